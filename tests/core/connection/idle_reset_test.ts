/**
 * RST_STREAM on idle streams. RFC 9113 §6.4 makes it a connection error, but
 * gRPC C-core clients send one whenever a call is cancelled between taking its
 * stream id and writing its HEADERS (grpc/grpc#19655, #38758). Seen against our
 * interop server: grpcio's `timeout_on_sleeping_server` (1 ms deadline) reset
 * stream 1 before any HEADERS, our GOAWAY(PROTOCOL_ERROR) followed, and the next
 * case failed with "UNAVAILABLE: GOAWAY received". A peer's idle stream reset is
 * therefore ignored (charged to the rapid-reset limit), unless
 * `rejectIdleStreamReset` asks for the RFC's answer.
 */
import assert from "node:assert/strict";
import { H2Connection } from "../../../core/connection.ts";
import { ErrorCode } from "../../../core/error_code.ts";
import { FrameType } from "../../../core/frame/mod.ts";
import { StreamState } from "../../../core/stream_state.ts";
import { FrameFactory } from "../../_support/frame_factory.ts";
import { client, GET, OK, only, Peer, POST, server, types } from "./_harness.ts";

/** The SETTINGS grpcio 1.51 (C-core) opens with: push off, 4 MiB windows and frames, 8 KiB lists. */
const GRPC_CORE_SETTINGS: [number, number][] = [
  [2, 0],
  [3, 0],
  [4, 4_194_303],
  [5, 4_194_303],
  [6, 8192],
  [0xfe03, 1], // grpc-allow-true-binary-metadata
];

const GRPC_REQUEST = [
  { name: ":scheme", value: "http" },
  { name: ":method", value: "POST" },
  { name: ":authority", value: "127.0.0.1:50051" },
  { name: ":path", value: "/grpc.testing.TestService/UnaryCall" },
  { name: "te", value: "trailers" },
  { name: "content-type", value: "application/grpc" },
  { name: "grpc-accept-encoding", value: "identity, deflate, gzip" },
];

Deno.test("H2Connection keeps the connection when a gRPC C-core client resets a stream it never opened", () => {
  // Frame for frame what grpcio sent when its first call's 1 ms deadline expired before the
  // call's HEADERS were written, followed by its next call on the same connection.
  const conn = new H2Connection({
    role: "server",
    initialWindowSize: 1024 * 1024,
    connectionWindowSize: 4 * 1024 * 1024,
  });
  const peer = new Peer();
  conn.initiateConnection();
  conn.dataToSend();
  const ff = peer.ff;
  const opening = conn.receive(FrameFactory.concat(
    ff.preface(),
    ff.settings(GRPC_CORE_SETTINGS),
    ff.windowUpdate(0, 4_128_768),
  ));
  assert.deepEqual(types(opening), ["remote_settings_changed", "window_updated"]);
  const settingsAck = peer.frames(conn.dataToSend());
  assert.deepEqual(settingsAck.map((f) => f.type), [FrameType.SETTINGS]);

  assert.deepEqual(types(conn.receive(ff.settingsAck())), ["settings_acknowledged"]);
  assert.deepEqual(
    conn.receive(ff.rstStream(1, ErrorCode.CANCEL)),
    [],
    "no event for a stream that never opened, and no connection error",
  );
  assert.ok(!conn.isClosed);
  assert.equal(conn.streamState(1), StreamState.IDLE);
  assert.equal(conn.dataToSend().length, 0, "no GOAWAY (nor anything else) is sent");

  // The next call opens stream 3 (implicitly closing 1, RFC 9113 §5.1.1) and completes.
  const body = new Uint8Array([0, 0, 0, 0, 0]);
  const ev = conn.receive(FrameFactory.concat(
    peer.headers(3, GRPC_REQUEST),
    ff.windowUpdate(3, 5),
    ff.data(3, body, { endStream: true }),
    ff.windowUpdate(0, 5),
  ));
  assert.deepEqual(types(ev), [
    "request_received",
    "window_updated",
    "data_received",
    "stream_ended",
    "window_updated",
  ]);
  assert.equal(conn.streamState(1), StreamState.CLOSED);
  conn.sendHeaders(3, [...OK, { name: "content-type", value: "application/grpc" }]);
  conn.sendData(3, body);
  conn.sendHeaders(3, [{ name: "grpc-status", value: "0" }], { endStream: true });
  const out = peer.frames(conn.dataToSend());
  assert.deepEqual(out.map((f) => [f.type, f.streamId]), [
    [FrameType.HEADERS, 3],
    [FrameType.DATA, 3],
    [FrameType.HEADERS, 3],
  ]);
  assert.equal(conn.streamState(3), StreamState.CLOSED);
});

Deno.test("H2Connection lets a lower stream open after the peer reset a higher idle one", () => {
  // C-core writes queued resets before the HEADERS of other new streams, so RST_STREAM for the
  // cancelled call's id may precede the HEADERS of an earlier call: the reset must not consume
  // the id space.
  const { conn, peer } = server();
  assert.deepEqual(conn.receive(peer.ff.rstStream(3, ErrorCode.CANCEL)), []);
  const ev = conn.receive(peer.headers(1, GET, { endStream: true }));
  assert.deepEqual(types(ev), ["request_received", "stream_ended"]);
  assert.equal(conn.streamState(3), StreamState.IDLE);
  assert.equal(conn.highestInboundStreamId, 1);
  // Further resets of idle or closed streams change nothing either.
  conn.sendHeaders(1, OK, { endStream: true });
  assert.equal(conn.streamState(1), StreamState.CLOSED);
  assert.deepEqual(conn.receive(peer.ff.rstStream(5, ErrorCode.CANCEL)), []);
  assert.deepEqual(conn.receive(peer.ff.rstStream(1, ErrorCode.CANCEL)), []);
  assert.ok(!conn.isClosed);
  assert.deepEqual(types(conn.receive(peer.headers(7, POST))), ["request_received"]);
});

Deno.test("H2Connection still treats RST_STREAM on an idle stream of its own numbering as a connection error", () => {
  // A server's even ids (push) and a client's unopened odd ids: no peer has a reason to reset them.
  const s = server();
  const ev = s.conn.receive(s.peer.ff.rstStream(2, ErrorCode.CANCEL));
  assert.equal(only(ev, "connection_terminated").errorCode, ErrorCode.PROTOCOL_ERROR);
  const c = client();
  const ev2 = c.conn.receive(c.peer.ff.rstStream(1, ErrorCode.CANCEL));
  assert.equal(only(ev2, "connection_terminated").errorCode, ErrorCode.PROTOCOL_ERROR);
  const goaway = c.peer.frames(c.conn.dataToSend()).find((f) => f.type === FrameType.GOAWAY);
  assert.ok(goaway !== undefined);
});

Deno.test("H2Connection with rejectIdleStreamReset answers RST_STREAM on a peer's idle stream with PROTOCOL_ERROR", () => {
  for (const id of [1, 9]) {
    const { conn, peer } = server({ rejectIdleStreamReset: true });
    const ev = conn.receive(peer.ff.rstStream(id, ErrorCode.CANCEL));
    const term = only(ev, "connection_terminated");
    assert.equal(term.errorCode, ErrorCode.PROTOCOL_ERROR);
    assert.equal(term.lastStreamId, 0);
  }
});

Deno.test("H2Connection charges resets of idle streams to the rapid-reset limit", () => {
  const { conn, peer } = server({ resetRate: { burst: 3, perSecond: 1 } });
  for (const id of [1, 3, 5]) assert.deepEqual(conn.receive(peer.ff.rstStream(id, 8), 0), []);
  const ev = conn.receive(peer.ff.rstStream(7, ErrorCode.CANCEL), 0);
  assert.equal(only(ev, "connection_terminated").errorCode, ErrorCode.ENHANCE_YOUR_CALM);
  // With time the budget refills: one reset per second is fine.
  const b = server({ resetRate: { burst: 1, perSecond: 1 } });
  for (let i = 0; i < 5; i++) {
    assert.deepEqual(b.conn.receive(b.peer.ff.rstStream(1 + 2 * i, 8), i * 1000), []);
  }
  assert.ok(!b.conn.isClosed);
});
