import assert from "node:assert/strict";
import { ErrorCode } from "../../../core/error_code.ts";
import { client, GET, types } from "./_harness.ts";

Deno.test("H2Connection remoteGoAwayErrorCode is set before the refused streams' resets are handled", () => {
  const { conn, peer } = client();
  assert.equal(conn.remoteGoAwayErrorCode, ErrorCode.NO_ERROR);
  assert.equal(conn.remoteGoAwayLastStreamId, -1);
  conn.sendHeaders(1, GET, { endStream: true });
  conn.sendHeaders(3, GET, { endStream: true });
  const ev = conn.receive(peer.ff.goaway(1, ErrorCode.ENHANCE_YOUR_CALM, "calm"));
  // The reset of stream 3 comes first; whoever handles it can already read the code.
  assert.deepEqual(types(ev), ["stream_reset", "connection_terminated"]);
  assert.equal(conn.remoteGoAwayErrorCode, ErrorCode.ENHANCE_YOUR_CALM);
  assert.equal(conn.remoteGoAwayLastStreamId, 1);
});
