import assert from "node:assert/strict";
import { H2Connection } from "../../../core/connection.ts";
import { UsageError } from "../../../core/errors.ts";
import { StreamState } from "../../../core/stream_state.ts";
import { OK, types } from "./_harness.ts";

Deno.test("H2Connection h2c upgrade: HTTP2-Settings, stream 1 and the response", () => {
  const c = new H2Connection({
    role: "client",
    initialWindowSize: 100_000,
    maxConcurrentStreams: 7,
  });
  const header = c.initiateUpgradeConnection();
  assert.equal(typeof header, "string");
  assert.match(header!, /^[A-Za-z0-9_-]+$/);
  assert.equal(c.streamState(1), StreamState.HALF_CLOSED_LOCAL);
  assert.equal(c.getNextAvailableStreamId(), 3);

  const s = new H2Connection({ role: "server" });
  s.initiateUpgradeConnection(header);
  assert.equal(s.remoteSettings.initialWindowSize, 100_000);
  assert.equal(s.remoteSettings.maxConcurrentStreams, 7);
  assert.equal(s.streamState(1), StreamState.HALF_CLOSED_REMOTE);
  // The server answers the upgraded request on stream 1.
  s.sendHeaders(1, OK);
  assert.equal(s.localFlowControlWindow(1), 65_535); // the connection window still limits
  s.sendData(1, new Uint8Array(1000), { endStream: true });
  s.receive(c.dataToSend());
  const ev = c.receive(s.dataToSend());
  assert.deepEqual(types(ev), [
    "remote_settings_changed",
    "response_received",
    "data_received",
    "stream_ended",
    "settings_acknowledged",
  ]);
  assert.equal(c.streamState(1), StreamState.CLOSED);
});

Deno.test("H2Connection server upgrade rejects a malformed HTTP2-Settings", () => {
  assert.throws(
    () => new H2Connection({ role: "server" }).initiateUpgradeConnection("!!"),
    UsageError,
  );
  assert.throws(
    () => new H2Connection({ role: "server" }).initiateUpgradeConnection("AAMAAA"),
    UsageError,
  );
  // MAX_FRAME_SIZE 0 is invalid.
  assert.throws(
    () => new H2Connection({ role: "server" }).initiateUpgradeConnection("AAUAAAAA"),
    UsageError,
  );
});
