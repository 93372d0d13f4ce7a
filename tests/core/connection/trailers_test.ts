import assert from "node:assert/strict";
import { ErrorCode } from "../../../core/error_code.ts";
import { UsageError } from "../../../core/errors.ts";
import { FrameType } from "../../../core/frame/mod.ts";
import { OK, only, pair, POST, server, types } from "./_harness.ts";

const TRAILERS = [{ name: "grpc-status", value: "0" }, { name: "grpc-message", value: "ok" }];

Deno.test("H2Connection sends and receives trailers after data", () => {
  const { client: c, server: s } = pair();
  c.sendHeaders(1, POST);
  c.sendData(1, new Uint8Array(3));
  c.sendHeaders(1, [{ name: "x-checksum", value: "abc" }], { endStream: true });
  const ev = s.receive(c.dataToSend());
  assert.deepEqual(types(ev), [
    "request_received",
    "data_received",
    "trailers_received",
    "stream_ended",
  ]);
  const t = only(ev, "trailers_received");
  assert.equal(t.headers[0].name, "x-checksum");
  assert.equal(t.streamEnded, ev[3]);
  s.sendHeaders(1, OK);
  s.sendData(1, new Uint8Array(5));
  s.sendHeaders(1, TRAILERS, { endStream: true });
  const back = c.receive(s.dataToSend());
  assert.deepEqual(types(back), [
    "response_received",
    "data_received",
    "trailers_received",
    "stream_ended",
  ]);
});

Deno.test("H2Connection sends trailers after enqueued data drains", () => {
  const { client: c, server: s } = pair();
  c.sendHeaders(1, POST, { endStream: true });
  s.receive(c.dataToSend());
  s.sendHeaders(1, OK);
  s.enqueueData(1, new Uint8Array(100_000));
  s.sendHeaders(1, TRAILERS, { endStream: true });
  const seen: string[] = [];
  for (let i = 0; i < 10 && !seen.includes("stream_ended"); i++) {
    for (const e of c.receive(s.dataToSend())) {
      if (e.type !== "data_received" || seen.at(-1) !== "data_received") seen.push(e.type);
      if (e.type === "data_received") c.acknowledgeReceivedData(1, e.flowControlledLength);
    }
    s.receive(c.dataToSend());
  }
  assert.deepEqual(seen, [
    "response_received",
    "data_received",
    "trailers_received",
    "stream_ended",
  ]);
});

Deno.test("H2Connection requires END_STREAM on trailers both ways", () => {
  const { client: c } = pair();
  c.sendHeaders(1, POST);
  assert.throws(() => c.sendHeaders(1, TRAILERS), UsageError);
  const { conn, peer } = server();
  conn.receive(peer.headers(1, POST));
  const ev = conn.receive(peer.headers(1, [{ name: "x", value: "1" }]));
  assert.equal(only(ev, "stream_reset").errorCode, ErrorCode.PROTOCOL_ERROR);
});

Deno.test("H2Connection rejects pseudo-headers in trailers", () => {
  const { conn, peer } = server();
  conn.receive(peer.headers(1, POST));
  const ev = conn.receive(
    peer.headers(1, [{ name: ":status", value: "200" }], { endStream: true }),
  );
  assert.equal(only(ev, "stream_reset").errorCode, ErrorCode.PROTOCOL_ERROR);
  const { client: c } = pair();
  c.sendHeaders(1, POST);
  assert.throws(
    () => c.sendHeaders(1, [{ name: ":path", value: "/" }], { endStream: true }),
    UsageError,
  );
});

Deno.test("H2Connection checks content-length against the DATA received", () => {
  const withLength = [...POST, { name: "content-length", value: "5" }];
  {
    const { conn, peer } = server();
    conn.receive(peer.headers(1, withLength));
    const ev = conn.receive(peer.ff.data(1, "toolong"));
    assert.equal(only(ev, "stream_reset").errorCode, ErrorCode.PROTOCOL_ERROR);
  }
  {
    const { conn, peer } = server();
    conn.receive(peer.headers(1, withLength));
    const ev = conn.receive(peer.ff.data(1, "abc", { endStream: true }));
    assert.equal(only(ev, "stream_reset").errorCode, ErrorCode.PROTOCOL_ERROR);
  }
  {
    const { conn, peer } = server();
    conn.receive(peer.headers(1, withLength));
    const ev = conn.receive(peer.ff.data(1, "12345", { endStream: true }));
    assert.deepEqual(types(ev), ["data_received", "stream_ended"]);
  }
  {
    // content-length with END_STREAM on HEADERS and no body is malformed unless it is 0.
    const { conn, peer } = server();
    const ev = conn.receive(peer.headers(1, withLength, { endStream: true }));
    assert.equal(only(ev, "stream_reset").errorCode, ErrorCode.PROTOCOL_ERROR);
  }
});

Deno.test("H2Connection accepts a HEAD response's content-length without a body", () => {
  const { client: c, server: s } = pair();
  const head = POST.map((f) => (f.name === ":method" ? { name: ":method", value: "HEAD" } : f));
  c.sendHeaders(1, head, { endStream: true });
  s.receive(c.dataToSend());
  s.sendHeaders(1, [...OK, { name: "content-length", value: "1234" }], { endStream: true });
  assert.deepEqual(types(c.receive(s.dataToSend())), ["response_received", "stream_ended"]);
});

Deno.test("H2Connection rejects DATA before the response headers", () => {
  const { client: c, server: s } = pair();
  c.sendHeaders(1, POST, { endStream: true });
  s.receive(c.dataToSend());
  s.sendHeaders(1, [{ name: ":status", value: "100" }]);
  const out = s.dataToSend();
  // Forge a DATA frame after the informational response.
  const forged = new Uint8Array([0, 0, 1, FrameType.DATA, 0, 0, 0, 0, 1, 42]);
  const ev = c.receive(new Uint8Array([...out, ...forged]));
  assert.equal(only(ev, "stream_reset").errorCode, ErrorCode.PROTOCOL_ERROR);
});

Deno.test("H2Connection keeps its own bodies to the content-length it declared", () => {
  const { client: c, server: s } = pair();
  const declared = [...POST, { name: "content-length", value: "4" }];
  c.sendHeaders(1, declared);
  assert.throws(() => c.sendData(1, new Uint8Array(5)), UsageError);
  c.sendData(1, new Uint8Array(3));
  assert.throws(() => c.endStream(1), UsageError); // 3 of 4 octets
  c.sendData(1, new Uint8Array(1), { endStream: true });
  assert.throws(() => c.sendHeaders(3, declared, { endStream: true }), UsageError);
  s.receive(c.dataToSend());
  // A HEAD response may declare a length but carries no body.
  const head = POST.map((f) => (f.name === ":method" ? { name: ":method", value: "HEAD" } : f));
  c.sendHeaders(3, head, { endStream: true });
  s.receive(c.dataToSend());
  s.sendHeaders(3, [...OK, { name: "content-length", value: "100" }]);
  assert.throws(() => s.sendData(3, new Uint8Array(1)), UsageError);
  s.endStream(3);
});
