import assert from "node:assert/strict";
import { concatBytes } from "../../_support/bytes.ts";
import { ByteWriter } from "../../../core/byte_writer.ts";
import { ErrorCode } from "../../../core/error_code.ts";
import { FrameSizeError, H2Error, ProtocolError, UsageError } from "../../../core/errors.ts";
import {
  AltSvcFrame,
  ContinuationFrame,
  DataFrame,
  decodeFrame,
  encodeFrame,
  type Frame,
  FrameFlag,
  FrameReader,
  FrameType,
  frameTypeName,
  GoAwayFrame,
  HeadersFrame,
  OriginFrame,
  PingFrame,
  PriorityFrame,
  PriorityUpdateFrame,
  PushPromiseFrame,
  RstStreamFrame,
  serializeFrame,
  SettingId,
  settingIdName,
  SettingsFrame,
  UnknownFrame,
  WindowUpdateFrame,
  writeDataFrameHeader,
  writeFieldBlock,
  writePushPromise,
} from "../../../core/frame/mod.ts";
import { SeededRng, testSeeds } from "../../_support/seeded_rng.ts";
import { randomFrame } from "./_random_frames.ts";

function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  return Uint8Array.from(clean.match(/../g) ?? [], (b) => parseInt(b, 16));
}

/** Parses exactly one frame from wire bytes through the reader. */
function parseOne(bytes: Uint8Array, maxFrameSize = 16777215): Frame {
  const reader = new FrameReader({ maxFrameSize });
  reader.push(bytes);
  const frame = reader.next();
  assert.ok(frame !== undefined, "a whole frame was expected");
  assert.equal(reader.bufferedLength, 0);
  return frame;
}

function parseAll(bytes: Uint8Array): Frame[] {
  const reader = new FrameReader({ maxFrameSize: 16777215 });
  reader.push(bytes);
  const frames: Frame[] = [];
  for (let f = reader.next(); f !== undefined; f = reader.next()) frames.push(f);
  assert.equal(reader.bufferedLength, 0);
  return frames;
}

const te = new TextEncoder();

// --- Round trips ----------------------------------------------------------------------------

const samples: Frame[] = [
  new DataFrame({ streamId: 1, data: te.encode("hello") }),
  new DataFrame({ streamId: 3, data: te.encode("x"), endStream: true, padLength: 0 }),
  new DataFrame({ streamId: 5, data: new Uint8Array(0), padLength: 255, endStream: true }),
  new HeadersFrame({ streamId: 1, fragment: hex("828684"), endHeaders: true }),
  new HeadersFrame({
    streamId: 7,
    fragment: hex("8286"),
    endStream: true,
    endHeaders: false,
    padLength: 10,
    priority: { dependency: 3, exclusive: true, weight: 256 },
  }),
  new HeadersFrame({ streamId: 9, priority: { dependency: 0, exclusive: false, weight: 1 } }),
  new PriorityFrame({
    streamId: 11,
    priority: { dependency: 0x7fffffff, exclusive: false, weight: 16 },
  }),
  new RstStreamFrame({ streamId: 1, errorCode: ErrorCode.CANCEL }),
  new RstStreamFrame({ streamId: 1, errorCode: 0xffffffff }),
  new SettingsFrame({ settings: [[SettingId.MAX_FRAME_SIZE, 32768], [0xffff, 0xffffffff]] }),
  new SettingsFrame({ ack: true }),
  new SettingsFrame(),
  new PushPromiseFrame({ streamId: 1, promisedStreamId: 2, fragment: hex("82"), endHeaders: true }),
  new PushPromiseFrame({ streamId: 3, promisedStreamId: 4, fragment: hex("8287"), padLength: 4 }),
  new PingFrame({ data: hex("0102030405060708") }),
  new PingFrame({ data: hex("0102030405060708"), ack: true }),
  new GoAwayFrame({ lastStreamId: 0, errorCode: 0 }),
  new GoAwayFrame({ lastStreamId: 0x7fffffff, errorCode: 0xabcdef, debugData: te.encode("bye") }),
  new WindowUpdateFrame({ streamId: 0, increment: 0x7fffffff }),
  new WindowUpdateFrame({ streamId: 5, increment: 1 }),
  new ContinuationFrame({ streamId: 1, fragment: hex("84"), endHeaders: true }),
  new ContinuationFrame({ streamId: 1 }),
  new PriorityUpdateFrame({ prioritizedStreamId: 5, fieldValue: "u=1, i" }),
  new PriorityUpdateFrame({ prioritizedStreamId: 5, fieldValue: "" }),
  new AltSvcFrame({ streamId: 0, origin: "https://example.com", fieldValue: 'h2=":8443"' }),
  new AltSvcFrame({ streamId: 3, fieldValue: "clear" }),
  new OriginFrame({ origins: ["https://a.example", "https://b.example"] }),
  new OriginFrame({ origins: [] }),
  new UnknownFrame({ type: 0xfa, streamId: 7, flags: 0xff, payload: hex("abcdef") }),
  new UnknownFrame({ type: 0xb, streamId: 0 }),
];

for (const frame of samples) {
  const label = `${frameTypeName(frame.type)} ${
    JSON.stringify(frame, (_k, v) => v instanceof Uint8Array ? `${v.length}B` : v)
  }`;
  Deno.test(`decodeFrame round-trips encodeFrame: ${label}`, () => {
    const wire = serializeFrame(frame);
    assert.equal(wire.length, 9 + frame.payloadLength);
    assert.equal(wire[4], frame.flags);
    const back = parseOne(wire);
    assert.deepEqual(back, frame);
    assert.deepEqual(serializeFrame(back), wire);
  });
}

Deno.test("decodeFrame round-trips seeded random frames of every type", () => {
  for (const seed of testSeeds(0xf4a3e, 20)) {
    const rng = new SeededRng(seed);
    for (let i = 0; i < 100; i++) {
      const frame = randomFrame(rng);
      const wire = serializeFrame(frame);
      assert.deepEqual(parseOne(wire), frame, `seed ${seed} frame ${i}`);
    }
  }
});

Deno.test("DataFrame flowControlledLength counts the pad length octet and padding", () => {
  assert.equal(new DataFrame({ streamId: 1, data: new Uint8Array(10) }).flowControlledLength, 10);
  assert.equal(
    new DataFrame({ streamId: 1, data: new Uint8Array(10), padLength: 0 }).flowControlledLength,
    11,
  );
  const parsed = parseOne(hex("000006 00 09 00000001 03 6869 000000")) as DataFrame;
  assert.equal(parsed.flowControlledLength, 6);
});

// --- Byte-exact vectors written by hand from the RFC layouts ---------------------------------

const vectors: Array<[string, Frame, string]> = [
  [
    "SETTINGS MAX_FRAME_SIZE=32768 ENABLE_PUSH=0 (§6.5.1)",
    new SettingsFrame({
      settings: [[SettingId.MAX_FRAME_SIZE, 32768], [SettingId.ENABLE_PUSH, 0]],
    }),
    "00000c 04 00 00000000 0005 00008000 0002 00000000",
  ],
  ["SETTINGS ACK (§6.5)", new SettingsFrame({ ack: true }), "000000 04 01 00000000"],
  [
    "PING ACK (§6.7)",
    new PingFrame({ ack: true, data: hex("0102030405060708") }),
    "000008 06 01 00000000 0102030405060708",
  ],
  [
    "WINDOW_UPDATE stream 3 +65535 (§6.9)",
    new WindowUpdateFrame({ streamId: 3, increment: 65535 }),
    "000004 08 00 00000003 0000ffff",
  ],
  [
    "padded DATA with END_STREAM (§6.1)",
    new DataFrame({ streamId: 1, data: te.encode("hi"), endStream: true, padLength: 3 }),
    "000006 00 09 00000001 03 6869 000000",
  ],
  [
    "padded HEADERS with exclusive priority (§6.2)",
    new HeadersFrame({
      streamId: 5,
      fragment: hex("8286"),
      endHeaders: true,
      padLength: 2,
      priority: { dependency: 3, exclusive: true, weight: 16 },
    }),
    "00000a 01 2c 00000005 02 80000003 0f 8286 0000",
  ],
  [
    "PRIORITY non-exclusive (§6.3)",
    new PriorityFrame({ streamId: 3, priority: { dependency: 1, exclusive: false, weight: 256 } }),
    "000005 02 00 00000003 00000001 ff",
  ],
  [
    "RST_STREAM CANCEL (§6.4)",
    new RstStreamFrame({ streamId: 1, errorCode: ErrorCode.CANCEL }),
    "000004 03 00 00000001 00000008",
  ],
  [
    "PUSH_PROMISE (§6.6)",
    new PushPromiseFrame({
      streamId: 1,
      promisedStreamId: 2,
      fragment: hex("82"),
      endHeaders: true,
    }),
    "000005 05 04 00000001 00000002 82",
  ],
  [
    "GOAWAY PROTOCOL_ERROR with debug data (§6.8)",
    new GoAwayFrame({
      lastStreamId: 7,
      errorCode: ErrorCode.PROTOCOL_ERROR,
      debugData: te.encode("x"),
    }),
    "000009 07 00 00000000 00000007 00000001 78",
  ],
  [
    "CONTINUATION END_HEADERS (§6.10)",
    new ContinuationFrame({ streamId: 1, fragment: hex("84"), endHeaders: true }),
    "000001 09 04 00000001 84",
  ],
  [
    "PRIORITY_UPDATE (RFC 9218 §7.1)",
    new PriorityUpdateFrame({ prioritizedStreamId: 1, fieldValue: "u=1" }),
    "000007 10 00 00000000 00000001 753d31",
  ],
  [
    "ALTSVC on stream 0 (RFC 7838 §4)",
    new AltSvcFrame({ streamId: 0, origin: "o", fieldValue: "h2" }),
    "000005 0a 00 00000000 0001 6f 6832",
  ],
  [
    "ORIGIN (RFC 8336 §2)",
    new OriginFrame({ origins: ["a", "bc"] }),
    "000007 0c 00 00000000 0001 61 0002 6263",
  ],
  [
    "unknown type 0xfa (§5.5)",
    new UnknownFrame({ type: 0xfa, flags: 0xff, streamId: 7, payload: hex("ab") }),
    "000001 fa ff 00000007 ab",
  ],
];

for (const [name, frame, wire] of vectors) {
  Deno.test(`encodeFrame writes the RFC layout: ${name}`, () => {
    assert.deepEqual(serializeFrame(frame), hex(wire));
    assert.deepEqual(parseOne(hex(wire)), frame);
  });
}

Deno.test("decodeFrame ignores the reserved bit of stream ids", () => {
  const f = parseOne(hex("000004 08 00 80000003 8000ffff")) as WindowUpdateFrame;
  assert.equal(f.streamId, 3);
  assert.equal(f.increment, 65535);
  const g = parseOne(hex("000008 07 00 80000000 80000009 00000000")) as GoAwayFrame;
  assert.equal(g.streamId, 0);
  assert.equal(g.lastStreamId, 9);
  const p = parseOne(hex("000005 02 00 00000003 80000001 00")) as PriorityFrame;
  assert.deepEqual(p.priority, { dependency: 1, exclusive: true, weight: 1 });
  const pp = parseOne(hex("000004 05 04 00000001 80000002")) as PushPromiseFrame;
  assert.equal(pp.promisedStreamId, 2);
  assert.equal(decodeFrame(0, 0, 0x80000001, new Uint8Array(0)).streamId, 1);
});

Deno.test("encodeFrame never sets the reserved bit", () => {
  const wire = serializeFrame(
    new WindowUpdateFrame({ streamId: 0x7fffffff, increment: 0x7fffffff }),
  );
  assert.deepEqual(wire, hex("000004 08 00 7fffffff 7fffffff"));
});

Deno.test("decodeFrame ignores unknown flags", () => {
  const d = parseOne(hex("000002 00 f6 00000001 6869")) as DataFrame;
  assert.equal(d.endStream, false);
  assert.equal(d.padLength, undefined);
  assert.deepEqual(d.data, te.encode("hi"));
  const s = parseOne(hex("000000 04 fe 00000000")) as SettingsFrame;
  assert.equal(s.ack, false);
  const p = parseOne(hex("000005 02 ff 00000003 00000001 0f")) as PriorityFrame;
  assert.equal(p.priority.weight, 16);
  const c = parseOne(hex("000000 09 fb 00000001")) as ContinuationFrame;
  assert.equal(c.endHeaders, false);
});

Deno.test("decodeFrame returns payload views without copying", () => {
  const wire = serializeFrame(new DataFrame({ streamId: 1, data: te.encode("abcdef") }));
  const frame = decodeFrame(0, 0, 1, wire.subarray(9)) as DataFrame;
  assert.equal(frame.data.buffer, wire.buffer);
  assert.equal(frame.data.byteOffset, wire.byteOffset + 9);
});

Deno.test("UnknownFrame re-serializes byte-identically", () => {
  const wire = hex("000004 ee a5 00000009 deadbeef");
  const f = parseOne(wire);
  assert.ok(f instanceof UnknownFrame);
  assert.equal(f.type, 0xee);
  assert.equal(f.flags, 0xa5);
  assert.deepEqual(serializeFrame(f), wire);
});

Deno.test("AltSvcFrame and OriginFrame decode frames RFC 7838 and RFC 8336 say to ignore", () => {
  const emptyOnZero = parseOne(hex("000004 0a 00 00000000 0000 6832")) as AltSvcFrame;
  assert.equal(emptyOnZero.origin, "");
  assert.equal(emptyOnZero.valid, false);
  const originOnStream = parseOne(hex("000005 0a 00 00000001 0001 6f 6832")) as AltSvcFrame;
  assert.equal(originOnStream.valid, false);
  assert.equal((parseOne(hex("000004 0a 00 00000001 0000 6832")) as AltSvcFrame).valid, true);
  assert.equal((parseOne(hex("000005 0a 00 00000000 0001 6f 6832")) as AltSvcFrame).valid, true);
  const originOnStream3 = parseOne(hex("000003 0c 00 00000003 0001 61")) as OriginFrame;
  assert.equal(originOnStream3.valid, false);
  assert.deepEqual(originOnStream3.origins, ["a"]);
});

Deno.test("PriorityUpdateFrame and AltSvcFrame keep non-ASCII octets as byte strings", () => {
  const f = parseOne(hex("000006 10 00 00000000 00000001 ff00")) as PriorityUpdateFrame;
  assert.equal(f.fieldValue, "\xff\x00");
  assert.deepEqual(serializeFrame(f), hex("000006 10 00 00000000 00000001 ff00"));
  assert.throws(
    () => serializeFrame(new AltSvcFrame({ streamId: 0, origin: "é", fieldValue: "\u0100" })),
    UsageError,
  );
});

// --- Validation: every RFC 9113 frame-level error with code, scope and stream ---------------

interface Rejection {
  readonly name: string;
  readonly wire: string;
  readonly code: number;
  readonly scope: "connection" | "stream";
  readonly streamId: number;
}

const P = ErrorCode.PROTOCOL_ERROR;
const F = ErrorCode.FRAME_SIZE_ERROR;
const rejections: Rejection[] = [
  // Stream-0 misuse (RFC 9113 §6.1-§6.4, §6.6, §6.10).
  {
    name: "DATA on stream 0",
    wire: "000001 00 00 00000000 61",
    code: P,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "HEADERS on stream 0",
    wire: "000001 01 04 00000000 82",
    code: P,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "PRIORITY on stream 0",
    wire: "000005 02 00 00000000 00000001 0f",
    code: P,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "RST_STREAM on stream 0",
    wire: "000004 03 00 00000000 00000008",
    code: P,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "PUSH_PROMISE on stream 0",
    wire: "000004 05 04 00000000 00000002",
    code: P,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "CONTINUATION on stream 0",
    wire: "000001 09 04 00000000 82",
    code: P,
    scope: "connection",
    streamId: 0,
  },
  // Connection-only frames on a stream (RFC 9113 §6.5, §6.7, §6.8; RFC 9218 §7.1).
  {
    name: "SETTINGS on stream 1",
    wire: "000000 04 00 00000001",
    code: P,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "PING on stream 1",
    wire: "000008 06 00 00000001 0000000000000000",
    code: P,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "GOAWAY on stream 1",
    wire: "000008 07 00 00000001 0000000000000000",
    code: P,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "PRIORITY_UPDATE on stream 1",
    wire: "000004 10 00 00000001 00000001",
    code: P,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "PRIORITY_UPDATE for stream 0",
    wire: "000005 10 00 00000000 00000000 75",
    code: P,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "PRIORITY_UPDATE shorter than 4",
    wire: "000003 10 00 00000000 000000",
    code: F,
    scope: "connection",
    streamId: 0,
  },
  // Lengths (RFC 9113 §4.2, §6.3-§6.9).
  {
    name: "PRIORITY of length 4 (stream error)",
    wire: "000004 02 00 00000003 00000001",
    code: F,
    scope: "stream",
    streamId: 3,
  },
  {
    name: "PRIORITY of length 6 (stream error)",
    wire: "000006 02 00 00000003 00000001 0f00",
    code: F,
    scope: "stream",
    streamId: 3,
  },
  {
    name: "RST_STREAM of length 3",
    wire: "000003 03 00 00000001 000008",
    code: F,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "RST_STREAM of length 5",
    wire: "000005 03 00 00000001 0000000800",
    code: F,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "WINDOW_UPDATE of length 3",
    wire: "000003 08 00 00000001 000001",
    code: F,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "WINDOW_UPDATE of length 5 on stream 0",
    wire: "000005 08 00 00000000 0000000100",
    code: F,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "PING of length 7",
    wire: "000007 06 00 00000000 00000000000000",
    code: F,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "PING of length 9",
    wire: "000009 06 01 00000000 000000000000000000",
    code: F,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "SETTINGS of length 5",
    wire: "000005 04 00 00000000 0001000010",
    code: F,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "SETTINGS ACK with a payload",
    wire: "000006 04 01 00000000 000100001000",
    code: F,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "GOAWAY of length 7",
    wire: "000007 07 00 00000000 00000000000000",
    code: F,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "HEADERS with PRIORITY shorter than 5",
    wire: "000004 01 24 00000001 00000000",
    code: F,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "PUSH_PROMISE shorter than 4",
    wire: "000003 05 04 00000001 000002",
    code: F,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "PADDED DATA of length 0",
    wire: "000000 00 08 00000001",
    code: F,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "PADDED HEADERS of length 0",
    wire: "000000 01 0c 00000001",
    code: F,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "PADDED PRIORITY HEADERS of length 5",
    wire: "000005 01 2c 00000001 00 00000000",
    code: F,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "PADDED PUSH_PROMISE of length 4",
    wire: "000004 05 0c 00000001 00000002",
    code: F,
    scope: "connection",
    streamId: 0,
  },
  // Padding (RFC 9113 §6.1, §6.2, §6.6).
  {
    name: "DATA whose pad length equals the payload length",
    wire: "000003 00 08 00000001 03 0000",
    code: P,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "DATA whose pad length exceeds the payload",
    wire: "000001 00 08 00000001 ff",
    code: P,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "HEADERS whose padding eats the priority block",
    wire: "000007 01 2c 00000001 02 0000000010 00",
    code: P,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "HEADERS whose pad length exceeds the payload",
    wire: "000002 01 0c 00000001 02 82",
    code: P,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "PUSH_PROMISE whose padding eats the promised id",
    wire: "000006 05 0c 00000001 02 00000002 00",
    code: P,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "PUSH_PROMISE promising odd stream 3",
    wire: "000004 05 04 00000001 00000003",
    code: P,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "PUSH_PROMISE promising stream 0",
    wire: "000004 05 04 00000001 00000000",
    code: P,
    scope: "connection",
    streamId: 0,
  },
  // Flow control and priority (RFC 9113 §6.9, §5.3.1).
  {
    name: "WINDOW_UPDATE of 0 on a stream",
    wire: "000004 08 00 00000005 00000000",
    code: P,
    scope: "stream",
    streamId: 5,
  },
  {
    name: "WINDOW_UPDATE of 0 (reserved bit set) on a stream",
    wire: "000004 08 00 00000005 80000000",
    code: P,
    scope: "stream",
    streamId: 5,
  },
  {
    name: "WINDOW_UPDATE of 0 on stream 0",
    wire: "000004 08 00 00000000 00000000",
    code: P,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "HEADERS depending on itself",
    wire: "000006 01 24 00000003 00000003 0f 82",
    code: P,
    scope: "stream",
    streamId: 3,
  },
  {
    name: "PRIORITY depending on itself",
    wire: "000005 02 00 00000003 80000003 0f",
    code: P,
    scope: "stream",
    streamId: 3,
  },
  // Extensions (RFC 7838 §4, RFC 8336 §2).
  {
    name: "ALTSVC shorter than its Origin-Len on stream 0",
    wire: "000003 0a 00 00000000 0005 61",
    code: F,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "ALTSVC of length 1 on a stream",
    wire: "000001 0a 00 00000003 00",
    code: F,
    scope: "stream",
    streamId: 3,
  },
  {
    name: "ORIGIN entry overrunning the payload",
    wire: "000004 0c 00 00000000 0003 6162",
    code: F,
    scope: "connection",
    streamId: 0,
  },
  {
    name: "ORIGIN with a dangling length octet",
    wire: "000004 0c 00 00000000 0001 61 00",
    code: F,
    scope: "connection",
    streamId: 0,
  },
];

for (const r of rejections) {
  Deno.test(`decodeFrame rejects ${r.name} (${r.code === P ? "PROTOCOL_ERROR" : "FRAME_SIZE_ERROR"}, ${r.scope})`, () => {
    const wire = hex(r.wire);
    const length = (wire[0] << 16) | (wire[1] << 8) | wire[2];
    assert.equal(length, wire.length - 9, "vector length field");
    const streamId = ((wire[5] << 24) | (wire[6] << 16) | (wire[7] << 8) | wire[8]) >>> 0;
    let caught: unknown;
    try {
      decodeFrame(wire[3], wire[4], streamId, wire.subarray(9));
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof H2Error, `expected an H2Error, got ${caught}`);
    assert.ok(caught instanceof (r.code === P ? ProtocolError : FrameSizeError));
    assert.equal(caught.code, r.code);
    assert.equal(caught.scope, r.scope);
    assert.equal(caught.streamId, r.streamId);
    assert.doesNotMatch(caught.message, /\.$/);
  });
}

Deno.test("HeadersFrame self-dependency error carries the decoded frame for HPACK", () => {
  try {
    decodeFrame(FrameType.HEADERS, 0x25, 3, hex("00000003 0f 8286"));
    assert.fail("expected a ProtocolError");
  } catch (e) {
    assert.ok(e instanceof ProtocolError);
    assert.ok(e.cause instanceof HeadersFrame);
    assert.deepEqual(e.cause.fragment, hex("8286"));
    assert.equal(e.cause.endHeaders, true);
  }
});

Deno.test("decodeFrame accepts padding that leaves an empty body", () => {
  const d = parseOne(hex("000003 00 08 00000001 02 0000")) as DataFrame;
  assert.equal(d.data.length, 0);
  assert.equal(d.padLength, 2);
  const h = parseOne(hex("000007 01 2c 00000001 01 00000000 10 00")) as HeadersFrame;
  assert.equal(h.fragment.length, 0);
  assert.equal(h.priority?.weight, 17);
});

// --- Writers ----------------------------------------------------------------------------------

Deno.test("writeFieldBlock emits one HEADERS frame when the block fits", () => {
  const out = new ByteWriter();
  writeFieldBlock(out, { streamId: 1, block: hex("828684"), endStream: true, maxFrameSize: 16384 });
  assert.deepEqual(out.take(), hex("000003 01 05 00000001 828684"));
});

Deno.test("writeFieldBlock splits at maxFrameSize into HEADERS and CONTINUATION frames", () => {
  const block = new SeededRng(7).bytes(16384 * 2 + 100);
  const out = new ByteWriter();
  writeFieldBlock(out, { streamId: 3, block, endStream: true, maxFrameSize: 16384 });
  const frames = parseAll(out.take());
  assert.equal(frames.length, 3);
  const [h, c1, c2] = frames as [HeadersFrame, ContinuationFrame, ContinuationFrame];
  assert.ok(
    h instanceof HeadersFrame && c1 instanceof ContinuationFrame && c2 instanceof ContinuationFrame,
  );
  assert.equal(h.endStream, true);
  assert.equal(h.endHeaders, false);
  assert.equal(c1.endHeaders, false);
  assert.equal(c2.endHeaders, true);
  assert.deepEqual([h.fragment.length, c1.fragment.length, c2.fragment.length], [
    16384,
    16384,
    100,
  ]);
  assert.deepEqual(concatBytes([h.fragment, c1.fragment, c2.fragment]), block);
  for (const f of frames) assert.equal(f.streamId, 3);
});

Deno.test("writeFieldBlock accounts for padding and priority in the first frame", () => {
  const block = new SeededRng(8).bytes(16384);
  const out = new ByteWriter();
  writeFieldBlock(out, {
    streamId: 5,
    block,
    endStream: false,
    maxFrameSize: 16384,
    padLength: 9,
    priority: { dependency: 1, exclusive: false, weight: 200 },
  });
  const wire = out.take();
  const frames = parseAll(wire);
  const [h, c] = frames as [HeadersFrame, ContinuationFrame];
  assert.equal((wire[0] << 16) | (wire[1] << 8) | wire[2], 16384);
  assert.equal(h.padLength, 9);
  assert.deepEqual(h.priority, { dependency: 1, exclusive: false, weight: 200 });
  assert.equal(h.fragment.length, 16384 - 10 - 5);
  assert.equal(h.endStream, false);
  assert.equal(c.endHeaders, true);
  assert.deepEqual(concatBytes([h.fragment, c.fragment]), block);
});

Deno.test("writeFieldBlock exact multiple of maxFrameSize ends without an empty CONTINUATION", () => {
  const block = new Uint8Array(16384 * 2).fill(0x41);
  const out = new ByteWriter();
  writeFieldBlock(out, { streamId: 1, block, endStream: false, maxFrameSize: 16384 });
  const frames = parseAll(out.take());
  assert.equal(frames.length, 2);
  assert.equal((frames[1] as ContinuationFrame).endHeaders, true);
  const empty = new ByteWriter();
  writeFieldBlock(empty, {
    streamId: 1,
    block: new Uint8Array(0),
    endStream: true,
    maxFrameSize: 16384,
  });
  assert.deepEqual(empty.take(), hex("000000 01 05 00000001"));
});

Deno.test("writeFieldBlock rejects an invalid maxFrameSize or pad length with UsageError", () => {
  const out = new ByteWriter();
  const block = new Uint8Array(1);
  assert.throws(
    () => writeFieldBlock(out, { streamId: 1, block, endStream: false, maxFrameSize: 100 }),
    UsageError,
  );
  assert.throws(
    () =>
      writeFieldBlock(out, {
        streamId: 1,
        block,
        endStream: false,
        maxFrameSize: 16384,
        padLength: 256,
      }),
    UsageError,
  );
  assert.equal(out.length, 0);
});

Deno.test("writePushPromise splits the promised request into PUSH_PROMISE and CONTINUATION", () => {
  const block = new SeededRng(9).bytes(20000);
  const out = new ByteWriter();
  writePushPromise(out, { streamId: 1, promisedStreamId: 2, block, maxFrameSize: 16384 });
  const [p, c] = parseAll(out.take()) as [PushPromiseFrame, ContinuationFrame];
  assert.ok(p instanceof PushPromiseFrame && c instanceof ContinuationFrame);
  assert.equal(p.promisedStreamId, 2);
  assert.equal(p.fragment.length, 16380);
  assert.equal(p.endHeaders, false);
  assert.equal(c.endHeaders, true);
  assert.deepEqual(concatBytes([p.fragment, c.fragment]), block);
  const small = new ByteWriter();
  writePushPromise(small, {
    streamId: 1,
    promisedStreamId: 4,
    block: hex("82"),
    maxFrameSize: 16384,
  });
  assert.deepEqual(small.take(), hex("000005 05 04 00000001 00000004 82"));
});

Deno.test("writeDataFrameHeader writes only the 9-byte DATA header", () => {
  const out = new ByteWriter();
  writeDataFrameHeader(out, 3, 16384, true);
  writeDataFrameHeader(out, 0x7fffffff, 0, false);
  assert.deepEqual(out.take(), hex("004000 00 01 00000003 000000 00 00 7fffffff"));
  assert.throws(() => writeDataFrameHeader(out, 1, 0x1000000, false), UsageError);
});

Deno.test("encodeFrame rejects unrepresentable frames with UsageError before writing", () => {
  const out = new ByteWriter();
  const bad: Frame[] = [
    new DataFrame({ streamId: 0x80000000 }),
    new DataFrame({ streamId: 1, padLength: 256 }),
    new HeadersFrame({ streamId: 1, priority: { dependency: 0, exclusive: false, weight: 0 } }),
    new PriorityFrame({ streamId: 1, priority: { dependency: 1, exclusive: false, weight: 257 } }),
    new PingFrame({ data: new Uint8Array(7) }),
    new RstStreamFrame({ streamId: 1, errorCode: -1 }),
    new SettingsFrame({ settings: [[0x10000, 1]] }),
    new SettingsFrame({ settings: [[1, 2 ** 32]] }),
    new GoAwayFrame({ lastStreamId: 2 ** 31, errorCode: 0 }),
    new WindowUpdateFrame({ streamId: 1, increment: 2 ** 31 }),
    new PriorityUpdateFrame({ prioritizedStreamId: 1, fieldValue: "\u2603" }),
    new OriginFrame({ origins: ["x".repeat(65536)] }),
    new UnknownFrame({ type: 256, streamId: 0 }),
    new UnknownFrame({ type: 0xfa, streamId: 0, flags: 256 }),
    new DataFrame({ streamId: 1, data: new Uint8Array(0x1000000) }),
  ];
  for (const frame of bad) {
    assert.throws(() => encodeFrame(frame, out), UsageError, frameTypeName(frame.type));
  }
  assert.equal(out.length, 0);
});

Deno.test("encodeFrame writes protocol-invalid but representable frames for peer tests", () => {
  assert.deepEqual(serializeFrame(new DataFrame({ streamId: 0 })), hex("000000 00 00 00000000"));
  assert.deepEqual(
    serializeFrame(new UnknownFrame({ type: FrameType.PING, streamId: 0, payload: hex("00") })),
    hex("000001 06 00 00000000 00"),
  );
});

Deno.test("FrameFlag values match RFC 9113 §6", () => {
  assert.deepEqual(FrameFlag, { END_STREAM: 1, ACK: 1, END_HEADERS: 4, PADDED: 8, PRIORITY: 0x20 });
  assert.equal(frameTypeName(FrameType.PRIORITY_UPDATE), "PRIORITY_UPDATE");
  assert.equal(frameTypeName(0xfa), "UNKNOWN(0xfa)");
});

Deno.test("SettingId values match RFC 9113 §6.5.2, RFC 8441 and RFC 9218", () => {
  assert.deepEqual(SettingId, {
    HEADER_TABLE_SIZE: 1,
    ENABLE_PUSH: 2,
    MAX_CONCURRENT_STREAMS: 3,
    INITIAL_WINDOW_SIZE: 4,
    MAX_FRAME_SIZE: 5,
    MAX_HEADER_LIST_SIZE: 6,
    ENABLE_CONNECT_PROTOCOL: 8,
    NO_RFC7540_PRIORITIES: 9,
  });
  assert.equal(settingIdName(SettingId.NO_RFC7540_PRIORITIES), "NO_RFC7540_PRIORITIES");
  assert.equal(settingIdName(0x99), "UNKNOWN(0x99)");
});
