import assert from "node:assert/strict";
import { ErrorCode } from "../../../core/error_code.ts";
import { FrameType, type RstStreamFrame } from "../../../core/frame/mod.ts";
import { StreamState } from "../../../core/stream_state.ts";
import { FrameFactory } from "../../_support/frame_factory.ts";
import { UsageError } from "../../../core/errors.ts";
import { SettingCode } from "../../../core/settings.ts";
import { client, GET, OK, only, POST, server, types } from "./_harness.ts";

Deno.test("H2Connection treats DATA on an idle stream as a connection error", () => {
  const { conn, peer } = server();
  const ev = conn.receive(peer.ff.data(1, "x"));
  assert.equal(only(ev, "connection_terminated").errorCode, ErrorCode.PROTOCOL_ERROR);
});

Deno.test("H2Connection treats RST_STREAM and WINDOW_UPDATE on idle streams as connection errors", () => {
  // RST_STREAM on the peer's idle streams only when asked: by default it is ignored, for gRPC
  // C-core's sake (idle_reset_test.ts).
  for (
    const make of [
      (p: FrameFactory) => p.rstStream(5, 8),
      (p: FrameFactory) => p.windowUpdate(5, 10),
    ]
  ) {
    const { conn, peer } = server({ rejectIdleStreamReset: true });
    const ev = conn.receive(make(peer.ff));
    assert.equal(only(ev, "connection_terminated").errorCode, ErrorCode.PROTOCOL_ERROR);
  }
  const { conn, peer } = server();
  const ev = conn.receive(peer.ff.windowUpdate(5, 10));
  assert.equal(only(ev, "connection_terminated").errorCode, ErrorCode.PROTOCOL_ERROR);
});

Deno.test("H2Connection answers DATA after the peer's END_STREAM with RST_STREAM STREAM_CLOSED", () => {
  const { conn, peer } = server();
  conn.receive(peer.headers(1, GET, { endStream: true }));
  const ev = conn.receive(peer.ff.data(1, "late"));
  const r = only(ev, "stream_reset");
  assert.equal(r.errorCode, ErrorCode.STREAM_CLOSED);
  assert.equal(r.remoteReset, false);
  const frames = peer.frames(conn.dataToSend());
  assert.equal(frames.at(-1)!.type, FrameType.RST_STREAM);
  assert.equal((frames.at(-1) as RstStreamFrame).errorCode, ErrorCode.STREAM_CLOSED);
  assert.equal(conn.streamState(1), StreamState.CLOSED);
  // Other streams carry on.
  assert.deepEqual(types(conn.receive(peer.headers(3, GET, { endStream: true }))), [
    "request_received",
    "stream_ended",
  ]);
});

Deno.test("H2Connection treats frames on a stream closed by END_STREAM as a connection error", () => {
  const { conn, peer } = server();
  conn.receive(peer.headers(1, GET, { endStream: true }));
  conn.sendHeaders(1, OK, { endStream: true });
  assert.equal(conn.streamState(1), StreamState.CLOSED);
  // WINDOW_UPDATE and RST_STREAM may still arrive for a closed stream.
  assert.deepEqual(conn.receive(peer.ff.windowUpdate(1, 100)), []);
  assert.deepEqual(conn.receive(peer.ff.rstStream(1, 0)), []);
  const ev = conn.receive(peer.ff.data(1, "x"));
  assert.equal(only(ev, "connection_terminated").errorCode, ErrorCode.STREAM_CLOSED);
});

Deno.test("H2Connection ignores frames in flight after its own RST_STREAM but counts their window", () => {
  const { conn, peer } = server();
  conn.receive(peer.headers(1, POST));
  conn.resetStream(1, ErrorCode.CANCEL);
  const frames = peer.frames(conn.dataToSend());
  assert.equal((frames[0] as RstStreamFrame).errorCode, ErrorCode.CANCEL);
  const before = conn.remoteFlowControlWindow(0);
  const ev = conn.receive(
    FrameFactory.concat(
      peer.ff.data(1, new Uint8Array(16_000)),
      peer.ff.data(1, new Uint8Array(16_000)),
      peer.ff.data(1, new Uint8Array(8_000)),
      peer.headers(1, [{ name: "x", value: "y" }], { endStream: true }),
    ),
  );
  assert.deepEqual(ev, []);
  // The discarded DATA's connection window was returned automatically.
  const after = peer.frames(conn.dataToSend());
  assert.equal(after.length, 1);
  assert.equal(after[0].type, FrameType.WINDOW_UPDATE);
  assert.equal(conn.remoteFlowControlWindow(0), before);
});

Deno.test("H2Connection answers frames after the peer's RST_STREAM with STREAM_CLOSED", () => {
  const { conn, peer } = server();
  conn.receive(peer.headers(1, POST));
  const ev = conn.receive(peer.ff.rstStream(1, ErrorCode.CANCEL));
  const r = only(ev, "stream_reset");
  assert.equal(r.remoteReset, true);
  assert.equal(r.errorCode, ErrorCode.CANCEL);
  assert.equal(conn.openInboundStreams, 0);
  const late = conn.receive(peer.ff.data(1, "x"));
  assert.equal(only(late, "stream_reset").errorCode, ErrorCode.STREAM_CLOSED);
  assert.ok(!conn.isClosed);
});

Deno.test("H2Connection rejects a decreasing or even client stream id", () => {
  const { conn, peer } = server();
  conn.receive(peer.headers(5, GET, { endStream: true }));
  conn.sendHeaders(5, OK, { endStream: true });
  // Stream 3 was skipped: it is closed now, not openable (§5.1.1).
  const ev = conn.receive(peer.headers(3, GET, { endStream: true }));
  assert.equal(only(ev, "connection_terminated").errorCode, ErrorCode.PROTOCOL_ERROR);
  const b = server();
  const ev2 = b.conn.receive(b.peer.headers(2, GET, { endStream: true }));
  assert.equal(only(ev2, "connection_terminated").errorCode, ErrorCode.PROTOCOL_ERROR);
});

Deno.test("H2Connection refuses streams beyond SETTINGS_MAX_CONCURRENT_STREAMS", () => {
  const { conn, peer } = server({ maxConcurrentStreams: 2 });
  conn.receive(peer.headers(1, GET));
  conn.receive(peer.headers(3, GET));
  const ev = conn.receive(peer.headers(5, GET));
  const r = only(ev, "stream_reset");
  assert.equal(r.streamId, 5);
  assert.equal(r.errorCode, ErrorCode.REFUSED_STREAM);
  assert.equal(conn.openInboundStreams, 2);
  // HPACK stayed in sync: a later stream decodes fine once capacity frees up.
  conn.receive(peer.ff.rstStream(1, ErrorCode.CANCEL));
  assert.deepEqual(types(conn.receive(peer.headers(7, GET, { endStream: true }))), [
    "request_received",
    "stream_ended",
  ]);
});

Deno.test("H2Connection client does not open more streams than the server allows", () => {
  const { conn } = client({}, [[SettingCode.MAX_CONCURRENT_STREAMS, 1]]);
  conn.sendHeaders(1, GET);
  assert.throws(() => conn.sendHeaders(3, GET), UsageError);
  conn.resetStream(1);
  conn.sendHeaders(3, GET);
});

Deno.test("H2Connection treats HEADERS on a server-pushed (reserved local) stream as a connection error", () => {
  const { conn, peer } = server();
  conn.receive(peer.headers(1, GET, { endStream: true }));
  const pushed = conn.pushStream(1, GET);
  const ev = conn.receive(peer.headers(pushed, OK));
  assert.equal(only(ev, "connection_terminated").errorCode, ErrorCode.PROTOCOL_ERROR);
});

Deno.test("H2Connection resets a HEADERS frame that depends on itself and keeps HPACK in sync", () => {
  const { conn, peer } = server();
  const block = peer.block(GET);
  const ev = conn.receive(
    peer.ff.headers(1, block, {
      endStream: true,
      priority: { dependency: 1, exclusive: false, weight: 16 },
    }),
  );
  assert.equal(only(ev, "stream_reset").errorCode, ErrorCode.PROTOCOL_ERROR);
  assert.deepEqual(types(conn.receive(peer.headers(3, GET, { endStream: true }))), [
    "request_received",
    "stream_ended",
  ]);
});
