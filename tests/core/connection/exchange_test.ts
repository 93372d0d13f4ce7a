import assert from "node:assert/strict";
import { H2Connection } from "../../../core/connection.ts";
import { ErrorCode } from "../../../core/error_code.ts";
import { UsageError } from "../../../core/errors.ts";
import { FrameType, type GoAwayFrame, type HeadersFrame } from "../../../core/frame/mod.ts";
import { StreamState } from "../../../core/stream_state.ts";
import { FrameFactory } from "../../_support/frame_factory.ts";
import { client, GET, OK, only, pair, POST, server, types } from "./_harness.ts";

Deno.test("H2Connection client sends preface, SETTINGS and a request", () => {
  const conn = new H2Connection({ role: "client" });
  conn.initiateConnection();
  const out = conn.dataToSend();
  assert.equal(new TextDecoder().decode(out.subarray(0, 24)), "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  assert.equal(out[24 + 3], FrameType.SETTINGS);
  const { conn: c, peer } = client();
  const id = c.getNextAvailableStreamId();
  assert.equal(id, 1);
  c.sendHeaders(id, GET, { endStream: true });
  const frames = peer.frames(c.dataToSend());
  assert.equal(frames.length, 1);
  const h = frames[0] as HeadersFrame;
  assert.equal(h.type, FrameType.HEADERS);
  assert.equal(h.endStream, true);
  assert.deepEqual(peer.fields(h.fragment).map((f) => f.name), [
    ":method",
    ":scheme",
    ":authority",
    ":path",
  ]);
  assert.equal(c.streamState(1), StreamState.HALF_CLOSED_LOCAL);
  assert.equal(c.getNextAvailableStreamId(), 3);
});

Deno.test("H2Connection server emits linked RequestReceived and StreamEnded", () => {
  const { conn, peer } = server();
  const events = conn.receive(peer.headers(1, GET, { endStream: true }));
  assert.deepEqual(types(events), ["request_received", "stream_ended"]);
  const req = only(events, "request_received");
  assert.equal(req.streamId, 1);
  assert.equal(req.headers[0].value, "GET");
  assert.equal(req.streamEnded, events[1]);
  assert.equal(conn.streamState(1), StreamState.HALF_CLOSED_REMOTE);
  assert.equal(conn.openInboundStreams, 1);
});

Deno.test("H2Connection delivers a request body and response in memory", () => {
  const { client: c, server: s } = pair();
  c.sendHeaders(1, POST);
  c.sendData(1, new TextEncoder().encode("hello"), { endStream: true });
  const ev = s.receive(c.dataToSend());
  assert.deepEqual(types(ev), ["request_received", "data_received", "stream_ended"]);
  const data = only(ev, "data_received");
  assert.equal(new TextDecoder().decode(data.data), "hello");
  assert.equal(data.flowControlledLength, 5);
  assert.equal(data.streamEnded, ev[2]);
  s.sendHeaders(1, OK);
  s.sendData(1, new TextEncoder().encode("world"), { endStream: true });
  const back = c.receive(s.dataToSend());
  assert.deepEqual(types(back), ["response_received", "data_received", "stream_ended"]);
  assert.equal(c.streamState(1), StreamState.CLOSED);
  assert.equal(s.streamState(1), StreamState.CLOSED);
  assert.equal(c.openOutboundStreams, 0);
  assert.equal(s.openInboundStreams, 0);
});

Deno.test("H2Connection receive tolerates bytes split at every position", () => {
  const { client: c } = pair();
  c.sendHeaders(1, POST);
  c.sendData(1, new Uint8Array(300).fill(7), { endStream: true });
  const wire = c.dataToSend();
  for (const step of [1, 2, 7, 9, 10, 64]) {
    const { conn: s, peer } = server();
    // Replay the same request through a fresh server whose HPACK context matches the client's.
    const again = new H2Connection({ role: "client" });
    again.initiateConnection();
    again.receive(FrameFactory.concat(peer.ff.settings(), peer.ff.settingsAck()));
    again.dataToSend();
    again.sendHeaders(1, POST);
    again.sendData(1, new Uint8Array(300).fill(7), { endStream: true });
    const bytes = again.dataToSend();
    const events = [];
    for (let at = 0; at < bytes.length; at += step) {
      events.push(...s.receive(bytes.slice(at, at + step)));
    }
    const got = events.filter((e) => e.type === "data_received").reduce(
      (n, e) => n + (e.type === "data_received" ? e.data.length : 0),
      0,
    );
    assert.equal(got, 300, `step ${step}`);
    assert.equal(events.at(-1)?.type, "stream_ended");
  }
  assert.ok(wire.length > 300);
});

Deno.test("H2Connection sends 1xx informational responses before the final one", () => {
  const { client: c, server: s } = pair();
  c.sendHeaders(1, GET, { endStream: true });
  s.receive(c.dataToSend());
  s.sendHeaders(1, [{ name: ":status", value: "103" }, {
    name: "link",
    value: "</a>; rel=preload",
  }]);
  assert.throws(
    () => s.sendHeaders(1, [{ name: ":status", value: "100" }], { endStream: true }),
    UsageError,
  );
  s.sendHeaders(1, OK, { endStream: true });
  const ev = c.receive(s.dataToSend());
  assert.deepEqual(types(ev), [
    "informational_response_received",
    "response_received",
    "stream_ended",
  ]);
});

Deno.test("H2Connection rejects API misuse with UsageError and sends nothing", () => {
  const { conn } = client();
  assert.throws(() => conn.sendHeaders(2, GET), UsageError); // even id
  assert.throws(() => conn.sendData(1, new Uint8Array(1)), UsageError); // idle stream
  assert.throws(() => conn.sendHeaders(1, [{ name: ":method", value: "GET" }]), UsageError);
  assert.throws(() => conn.sendHeaders(1, [...GET, { name: "Upper", value: "x" }]), UsageError);
  assert.throws(
    () => conn.sendHeaders(1, [...GET, { name: "connection", value: "close" }]),
    UsageError,
  );
  assert.throws(() => conn.ping(new Uint8Array(4)), UsageError);
  assert.equal(conn.dataToSend().length, 0);
  conn.sendHeaders(1, GET, { endStream: true });
  assert.throws(() => conn.sendData(1, new Uint8Array(1)), UsageError); // half-closed (local)
  assert.throws(() => conn.sendHeaders(1, GET), UsageError);
  const fresh = new H2Connection({ role: "server" });
  assert.throws(() => fresh.ping(), UsageError);
  assert.throws(() => fresh.receive(new Uint8Array(24)), UsageError);
  assert.throws(() => new H2Connection({ role: "server", maxFrameSize: 100 }), RangeError);
});

Deno.test("H2Connection server rejects a bad preface with GOAWAY PROTOCOL_ERROR", () => {
  const conn = new H2Connection({ role: "server" });
  conn.initiateConnection();
  conn.dataToSend();
  const ev = conn.receive(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"));
  const t = only(ev, "connection_terminated");
  assert.equal(t.errorCode, ErrorCode.PROTOCOL_ERROR);
  assert.equal(t.remote, false);
  assert.ok(conn.isClosed);
  assert.deepEqual(conn.receive(new Uint8Array(10)), []);
  assert.throws(() => conn.ping(), UsageError);
});

Deno.test("H2Connection requires SETTINGS as the peer's first frame", () => {
  const conn = new H2Connection({ role: "client" });
  conn.initiateConnection();
  conn.dataToSend();
  const ff = new FrameFactory();
  const ev = conn.receive(ff.ping());
  assert.equal(only(ev, "connection_terminated").errorCode, ErrorCode.PROTOCOL_ERROR);
  const out = conn.dataToSend();
  assert.equal(out[3], FrameType.GOAWAY);
});

Deno.test("H2Connection answers PING and reports PING ACKs", () => {
  const { conn, peer } = server();
  const data = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  const ev = conn.receive(peer.ff.ping(data));
  assert.deepEqual([...only(ev, "ping_received").data], [...data]);
  const frames = peer.frames(conn.dataToSend());
  assert.equal(frames[0].type, FrameType.PING);
  assert.equal((frames[0] as { ack: boolean }).ack, true);
  conn.ping(data);
  assert.equal(peer.frames(conn.dataToSend())[0].type, FrameType.PING);
  const ack = conn.receive(peer.ff.ping(data, { ack: true }));
  assert.deepEqual(types(ack), ["ping_ack_received"]);
});

Deno.test("H2Connection reports unknown frames and ALTSVC", () => {
  const { conn, peer } = client();
  const ev = conn.receive(
    FrameFactory.concat(
      peer.ff.raw(0xfa, 0x3, 0, new Uint8Array([9, 9])),
      peer.ff.altsvc(0, "https://example.com", 'h2=":8443"'),
    ),
  );
  assert.deepEqual(types(ev), ["unknown_frame_received", "alternative_service_available"]);
  const u = only(ev, "unknown_frame_received");
  assert.equal(u.frameType, 0xfa);
  assert.equal(u.flags, 3);
  assert.deepEqual([...u.payload], [9, 9]);
  assert.equal(only(ev, "alternative_service_available").fieldValue, 'h2=":8443"');
});

Deno.test("H2Connection closeConnection sends GOAWAY with debug data and stops", () => {
  const { conn, peer } = server();
  conn.receive(peer.headers(1, GET, { endStream: true }));
  conn.closeConnection(ErrorCode.INTERNAL_ERROR, { debugData: new Uint8Array([1, 2]) });
  const g = peer.frames(conn.dataToSend())[0] as GoAwayFrame;
  assert.equal(g.type, FrameType.GOAWAY);
  assert.equal(g.lastStreamId, 1);
  assert.equal(g.errorCode, ErrorCode.INTERNAL_ERROR);
  assert.deepEqual([...g.debugData], [1, 2]);
  assert.ok(conn.isClosed);
  assert.throws(() => conn.sendHeaders(1, OK), UsageError);
});
