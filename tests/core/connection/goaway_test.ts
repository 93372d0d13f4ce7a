import assert from "node:assert/strict";
import { ErrorCode } from "../../../core/error_code.ts";
import { UsageError } from "../../../core/errors.ts";
import { FrameType, type GoAwayFrame } from "../../../core/frame/mod.ts";
import { MAX_STREAM_ID } from "../../../core/connection.ts";
import { client, GET, OK, only, pair, server, types } from "./_harness.ts";

Deno.test("H2Connection graceful shutdown: GOAWAY 2^31-1, then the last stream id", () => {
  const { client: c, server: s } = pair();
  c.sendHeaders(1, GET, { endStream: true });
  s.receive(c.dataToSend());
  s.startGracefulShutdown();
  s.ping(new Uint8Array(8).fill(1));
  const first = c.receive(s.dataToSend());
  const t1 = only(first, "connection_terminated");
  assert.equal(t1.lastStreamId, MAX_STREAM_ID);
  assert.equal(t1.errorCode, ErrorCode.NO_ERROR);
  assert.equal(t1.remote, true);
  // A request already in flight is still accepted between the phases.
  const inflight = s.receive(c.dataToSend()); // PING ACK
  assert.deepEqual(types(inflight), ["ping_ack_received"]);
  s.finishGracefulShutdown();
  const second = c.receive(s.dataToSend());
  assert.equal(only(second, "connection_terminated").lastStreamId, 1);
  assert.throws(() => c.sendHeaders(3, GET), UsageError);
  // Stream 1 completes.
  s.sendHeaders(1, OK, { endStream: true });
  assert.deepEqual(types(c.receive(s.dataToSend())), ["response_received", "stream_ended"]);
});

Deno.test("H2Connection ignores new streams above its final GOAWAY", () => {
  const { conn, peer } = server();
  conn.receive(peer.headers(1, GET, { endStream: true }));
  conn.finishGracefulShutdown();
  const g = peer.frames(conn.dataToSend())[0] as GoAwayFrame;
  assert.equal(g.type, FrameType.GOAWAY);
  assert.equal(g.lastStreamId, 1);
  assert.deepEqual(conn.receive(peer.headers(3, GET, { endStream: true })), []);
  // ...but HPACK stayed in sync and stream 1 still works.
  conn.sendHeaders(1, OK, { endStream: true });
  assert.ok(conn.dataToSend().length > 0);
});

Deno.test("H2Connection client resets its streams above the server's last-stream-id", () => {
  const { conn, peer } = client();
  conn.sendHeaders(1, GET, { endStream: true });
  conn.sendHeaders(3, GET, { endStream: true });
  conn.sendHeaders(5, GET, { endStream: true });
  const ev = conn.receive(peer.ff.goaway(1, ErrorCode.NO_ERROR, "bye"));
  assert.deepEqual(types(ev), ["stream_reset", "stream_reset", "connection_terminated"]);
  assert.deepEqual(
    ev.slice(0, 2).map((e) => e.type === "stream_reset" && [e.streamId, e.errorCode]),
    [
      [3, ErrorCode.REFUSED_STREAM],
      [5, ErrorCode.REFUSED_STREAM],
    ],
  );
  const t = only(ev, "connection_terminated");
  assert.equal(new TextDecoder().decode(t.additionalData), "bye");
  assert.equal(conn.openOutboundStreams, 1);
  assert.equal(conn.remoteGoAwayLastStreamId, 1);
});

Deno.test("H2Connection sends GOAWAY with the error code and debug text on a connection error", () => {
  const { conn, peer } = server();
  conn.receive(peer.headers(1, GET, { endStream: true }));
  const ev = conn.receive(peer.ff.data(7, "x"));
  const t = only(ev, "connection_terminated");
  assert.equal(t.remote, false);
  assert.ok(t.error !== undefined);
  const g = peer.frames(conn.dataToSend()).find((f) => f.type === FrameType.GOAWAY) as GoAwayFrame;
  assert.equal(g.errorCode, ErrorCode.PROTOCOL_ERROR);
  assert.equal(g.lastStreamId, 1);
  assert.match(new TextDecoder().decode(g.debugData), /DATA/);
});
