import assert from "node:assert/strict";
import { ErrorCode } from "../../../core/error_code.ts";
import { UsageError } from "../../../core/errors.ts";
import { StreamState } from "../../../core/stream_state.ts";
import { client, GET, OK, only, pair, POST, server, types } from "./_harness.ts";

const PUSHED = GET.map((f) => (f.name === ":path" ? { name: ":path", value: "/style.css" } : f));

Deno.test("H2Connection pushes a stream end to end", () => {
  const { client: c, server: s } = pair({ enablePush: true });
  c.sendHeaders(1, GET, { endStream: true });
  s.receive(c.dataToSend());
  const pushed = s.pushStream(1, PUSHED);
  assert.equal(pushed, 2);
  assert.equal(s.streamState(2), StreamState.RESERVED_LOCAL);
  s.sendHeaders(1, OK, { endStream: true });
  s.sendHeaders(2, OK);
  s.sendData(2, new TextEncoder().encode("body{}"), { endStream: true });
  const ev = c.receive(s.dataToSend());
  assert.deepEqual(types(ev), [
    "pushed_stream_received",
    "response_received",
    "stream_ended",
    "response_received",
    "data_received",
    "stream_ended",
  ]);
  const p = only(ev, "pushed_stream_received");
  assert.equal(p.parentStreamId, 1);
  assert.equal(p.pushedStreamId, 2);
  assert.equal(p.headers.find((h) => h.name === ":path")?.value, "/style.css");
  assert.equal(c.streamState(2), StreamState.CLOSED);
  assert.equal(s.streamState(2), StreamState.CLOSED);
});

Deno.test("H2Connection does not push when the client disabled it", () => {
  const { client: c, server: s } = pair();
  c.sendHeaders(1, GET, { endStream: true });
  s.receive(c.dataToSend());
  assert.equal(s.remoteSettings.enablePush, false);
  assert.throws(() => s.pushStream(1, PUSHED), UsageError);
});

Deno.test("H2Connection client rejects PUSH_PROMISE when push is disabled", () => {
  const { conn, peer } = client();
  conn.sendHeaders(1, GET, { endStream: true });
  conn.dataToSend();
  const ev = conn.receive(peer.ff.pushPromise(1, 2, peer.block(PUSHED)));
  assert.equal(only(ev, "connection_terminated").errorCode, ErrorCode.PROTOCOL_ERROR);
});

Deno.test("H2Connection server rejects PUSH_PROMISE from a client", () => {
  const { conn, peer } = server();
  conn.receive(peer.headers(1, GET));
  const ev = conn.receive(peer.ff.pushPromise(1, 2, peer.block(PUSHED)));
  assert.equal(only(ev, "connection_terminated").errorCode, ErrorCode.PROTOCOL_ERROR);
});

Deno.test("H2Connection rejects a pushed request that is not safe and cacheable", () => {
  const { conn, peer } = client({ enablePush: true });
  conn.sendHeaders(1, GET, { endStream: true });
  const ev = conn.receive(peer.ff.pushPromise(1, 2, peer.block(POST)));
  const r = only(ev, "stream_reset");
  assert.equal(r.streamId, 2);
  assert.equal(r.errorCode, ErrorCode.PROTOCOL_ERROR);
  // Odd or reused promised ids are connection errors.
  const b = client({ enablePush: true });
  b.conn.sendHeaders(1, GET, { endStream: true });
  const ev2 = b.conn.receive(b.peer.ff.pushPromise(1, 3, b.peer.block(PUSHED)));
  assert.equal(only(ev2, "connection_terminated").errorCode, ErrorCode.PROTOCOL_ERROR);
});

Deno.test("H2Connection client can refuse a pushed stream with RST_STREAM", () => {
  const { client: c, server: s } = pair({ enablePush: true });
  c.sendHeaders(1, GET, { endStream: true });
  s.receive(c.dataToSend());
  s.pushStream(1, PUSHED);
  c.receive(s.dataToSend());
  c.resetStream(2, ErrorCode.CANCEL);
  const ev = s.receive(c.dataToSend());
  assert.equal(only(ev, "stream_reset").streamId, 2);
  assert.throws(() => s.sendHeaders(2, OK), UsageError);
});

Deno.test("H2Connection pushes only on an open client request", () => {
  const { client: c, server: s } = pair({ enablePush: true });
  c.sendHeaders(1, GET, { endStream: true });
  s.receive(c.dataToSend());
  s.sendHeaders(1, OK, { endStream: true });
  assert.throws(() => s.pushStream(1, PUSHED), UsageError);
  const frames = s.dataToSend();
  assert.ok(frames.length > 0);
});
