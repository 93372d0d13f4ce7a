import assert from "node:assert/strict";
import { ErrorCode } from "../../../core/error_code.ts";
import { FrameType } from "../../../core/frame/mod.ts";
import { FrameFactory } from "../../_support/frame_factory.ts";
import { client, GET, OK, only, pair, server, types } from "./_harness.ts";

const BIG = [
  ...GET,
  ...Array.from({ length: 40 }, (_, i) => ({ name: `x-h${i}`, value: "v".repeat(900) })),
];

Deno.test("H2Connection assembles a field block from HEADERS and CONTINUATION frames", () => {
  const { conn, peer } = server();
  const bytes = peer.headers(1, BIG, { endStream: true });
  const frames = peer.frames(bytes);
  assert.ok(frames.length >= 2);
  assert.equal(frames[1].type, FrameType.CONTINUATION);
  const ev = conn.receive(bytes);
  assert.deepEqual(types(ev), ["request_received", "stream_ended"]);
  assert.equal(only(ev, "request_received").headers.length, BIG.length);
});

Deno.test("H2Connection splits large outgoing field blocks at the peer's max frame size", () => {
  const { client: c, server: s } = pair();
  c.sendHeaders(1, BIG, { endStream: true });
  const wire = c.dataToSend();
  let headers = 0;
  let continuations = 0;
  for (let at = 0; at < wire.length;) {
    const len = (wire[at] << 16) | (wire[at + 1] << 8) | wire[at + 2];
    assert.ok(len <= 16_384);
    if (wire[at + 3] === FrameType.HEADERS) headers++;
    if (wire[at + 3] === FrameType.CONTINUATION) continuations++;
    at += 9 + len;
  }
  assert.equal(headers, 1);
  assert.ok(continuations >= 1);
  assert.equal(only(s.receive(wire), "request_received").headers.length, BIG.length);
});

Deno.test("H2Connection treats a frame between HEADERS and CONTINUATION as a connection error", () => {
  for (
    const between of [
      (ff: FrameFactory) => ff.ping(),
      (ff: FrameFactory) => ff.data(1, "x"),
      (ff: FrameFactory) => ff.continuation(3, new Uint8Array([0x82])),
      (ff: FrameFactory) => ff.raw(0xee, 0, 0, new Uint8Array(0)),
    ]
  ) {
    const { conn, peer } = server();
    const block = peer.block(GET);
    const ev = conn.receive(
      FrameFactory.concat(
        peer.ff.headers(1, block.subarray(0, 2), { endHeaders: false }),
        between(peer.ff),
      ),
    );
    assert.equal(only(ev, "connection_terminated").errorCode, ErrorCode.PROTOCOL_ERROR);
  }
});

Deno.test("H2Connection treats a CONTINUATION without HEADERS as a connection error", () => {
  const { conn, peer } = server();
  const ev = conn.receive(peer.ff.continuation(1, new Uint8Array([0x82])));
  assert.equal(only(ev, "connection_terminated").errorCode, ErrorCode.PROTOCOL_ERROR);
});

Deno.test("H2Connection accepts padded HEADERS and a block split across reads", () => {
  const { conn, peer } = server();
  const bytes = peer.ff.headers(1, peer.block(GET), { endStream: true, padLength: 30 });
  const first = conn.receive(bytes.subarray(0, 12));
  assert.deepEqual(first, []);
  assert.deepEqual(types(conn.receive(bytes.subarray(12))), ["request_received", "stream_ended"]);
});

Deno.test("H2Connection decodes a broken field block as a connection COMPRESSION_ERROR", () => {
  const { conn, peer } = server();
  const ev = conn.receive(
    peer.ff.headers(1, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x7f]), { endStream: true }),
  );
  assert.equal(only(ev, "connection_terminated").errorCode, ErrorCode.COMPRESSION_ERROR);
  const { conn: c, peer: p } = client();
  c.sendHeaders(1, GET, { endStream: true });
  const ok = c.receive(p.headers(1, OK, { endStream: true }));
  assert.deepEqual(types(ok), ["response_received", "stream_ended"]);
});
