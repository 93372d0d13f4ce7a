import assert from "node:assert/strict";
import { ErrorCode } from "../../../core/error_code.ts";
import { FrameSizeError, H2Error, ProtocolError, UsageError } from "../../../core/errors.ts";
import {
  DataFrame,
  type Frame,
  FrameReader,
  PingFrame,
  serializeFrame,
  SettingsFrame,
  WindowUpdateFrame,
} from "../../../core/frame/mod.ts";
import { FrameFactory } from "../../_support/frame_factory.ts";
import { SeededRng, testSeeds } from "../../_support/seeded_rng.ts";
import { concat, randomFrame, randomSplit } from "./_random_frames.ts";

function drain(reader: FrameReader): Frame[] {
  const out: Frame[] = [];
  for (let f = reader.next(); f !== undefined; f = reader.next()) out.push(f);
  return out;
}

function randomStream(rng: SeededRng, count: number): { frames: Frame[]; wire: Uint8Array } {
  const frames = Array.from({ length: count }, () => randomFrame(rng));
  return { frames, wire: concat(frames.map(serializeFrame)) };
}

const ff = new FrameFactory();

Deno.test("FrameReader yields the same frames when fed one byte at a time", () => {
  const rng = new SeededRng(0x1b17e);
  const { frames, wire } = randomStream(rng, 60);
  const reader = new FrameReader({ maxFrameSize: 16777215 });
  const got: Frame[] = [];
  for (let i = 0; i < wire.length; i++) {
    reader.push(wire.subarray(i, i + 1));
    got.push(...drain(reader));
  }
  assert.deepEqual(got, frames);
  assert.equal(reader.bufferedLength, 0);
});

Deno.test("FrameReader yields the same frames at seeded random split points", () => {
  for (const seed of testSeeds(0x5117, 25)) {
    const rng = new SeededRng(seed);
    const { frames, wire } = randomStream(rng, 40);
    const reader = new FrameReader({ maxFrameSize: 16777215 });
    const got: Frame[] = [];
    for (const chunk of randomSplit(rng, wire, rng.pick([3, 20, 200, 5000]))) {
      reader.push(chunk);
      // Sometimes pull eagerly, sometimes let chunks pile up first.
      if (rng.chance(0.7)) got.push(...drain(reader));
    }
    got.push(...drain(reader));
    assert.deepEqual(got, frames, `seed ${seed}`);
  }
});

Deno.test("FrameReader returns zero-copy views for a frame inside one chunk", () => {
  const wire = ff.data(1, "payload in one chunk");
  const reader = new FrameReader();
  reader.push(wire);
  const frame = reader.next() as DataFrame;
  assert.equal(frame.data.buffer, wire.buffer);
  assert.equal(frame.data.byteOffset, wire.byteOffset + 9);
});

Deno.test("FrameReader copies only a frame that spans separate buffers", () => {
  const a = ff.data(1, "first");
  const b = ff.data(3, "second spans");
  const both = FrameFactory.concat(a, b);
  const reader = new FrameReader();
  const head = both.subarray(0, a.length + 12);
  const tail = both.slice(a.length + 12); // another buffer
  reader.push(head);
  reader.push(tail);
  const first = reader.next() as DataFrame;
  const second = reader.next() as DataFrame;
  assert.equal(first.data.buffer, both.buffer, "first frame is a view");
  assert.notEqual(second.data.buffer, both.buffer, "spanning frame is copied");
  assert.notEqual(second.data.buffer, tail.buffer, "spanning frame is copied");
  assert.equal(second.data.length, "second spans".length);
  assert.equal(new TextDecoder().decode(second.data), "second spans");
});

Deno.test("FrameReader returns one view for a frame split across adjacent views of one buffer", () => {
  // As a socket read loop delivers it: successive reads into one slab.
  const a = ff.data(1, "first");
  const b = ff.data(3, "second spans three reads");
  const slab = new Uint8Array(a.length + b.length + 7);
  slab.set(FrameFactory.concat(a, b), 3);
  const wire = slab.subarray(3, 3 + a.length + b.length);
  const reader = new FrameReader();
  reader.push(wire.subarray(0, a.length + 12));
  reader.push(wire.subarray(a.length + 12, a.length + 20));
  reader.push(wire.subarray(a.length + 20));
  const first = reader.next() as DataFrame;
  const second = reader.next() as DataFrame;
  assert.equal(second.data.buffer, slab.buffer, "spanning frame is a view");
  assert.equal(second.data.byteOffset, wire.byteOffset + a.length + 9);
  assert.equal(new TextDecoder().decode(first.data), "first");
  assert.equal(new TextDecoder().decode(second.data), "second spans three reads");
  assert.equal(reader.bufferedLength, 0);
  assert.equal(reader.next(), undefined);
});

Deno.test("FrameReader yields the same frames from seeded random splits, some adjacent and some copied", () => {
  for (const seed of testSeeds(0xad1a, 25)) {
    const rng = new SeededRng(seed);
    const { frames, wire } = randomStream(rng, 40);
    // Room for the wire twice in one buffer: each chunk is a view into the first copy, a view
    // into the second (so chunks next in the stream can be views of one buffer that are not
    // adjacent), or a copy of its own.
    // Each copy holds only the chunks taken from it (the rest is filler), so a view reaching
    // past its chunks would show.
    const slab = new Uint8Array(2 * wire.length).fill(0xee);
    const reader = new FrameReader({ maxFrameSize: 16777215 });
    const got: Frame[] = [];
    const copies = rng.pick([0, 0.1, 0.5]);
    const jumps = rng.pick([0, 0.1, 0.5]);
    let base = 0;
    for (const piece of randomSplit(rng, wire, rng.pick([3, 20, 200, 5000]))) {
      if (rng.chance(jumps)) base = wire.length - base;
      const at = base + piece.byteOffset - wire.byteOffset;
      slab.set(piece, at);
      const view = slab.subarray(at, at + piece.length);
      reader.push(rng.chance(copies) ? view.slice() : view);
      if (rng.chance(0.7)) got.push(...drain(reader));
    }
    got.push(...drain(reader));
    assert.deepEqual(got, frames, `seed ${seed}`);
    assert.equal(reader.bufferedLength, 0);
  }
});

Deno.test("FrameReader returns undefined until a frame is complete and keeps the header", () => {
  const wire = ff.windowUpdate(5, 1000);
  const reader = new FrameReader();
  assert.equal(reader.next(), undefined);
  reader.push(wire.subarray(0, 10));
  assert.equal(reader.next(), undefined);
  assert.equal(reader.next(), undefined);
  reader.push(wire.subarray(10));
  assert.deepEqual(reader.next(), new WindowUpdateFrame({ streamId: 5, increment: 1000 }));
  assert.equal(reader.next(), undefined);
});

Deno.test("FrameReader rejects an oversized frame from its header before the payload arrives", () => {
  const reader = new FrameReader();
  // Only the 9-byte header of a 16385-byte DATA frame: no payload is buffered or awaited.
  reader.push(Uint8Array.of(0x00, 0x40, 0x01, 0x00, 0x00, 0, 0, 0, 1));
  assert.throws(() => reader.next(), (e: unknown) => {
    assert.ok(e instanceof FrameSizeError);
    assert.equal(e.code, ErrorCode.FRAME_SIZE_ERROR);
    assert.equal(e.scope, "connection");
    assert.equal(e.streamId, 0);
    return true;
  });
});

Deno.test("FrameReader accepts a frame of exactly maxFrameSize and honours a raised limit", () => {
  const reader = new FrameReader();
  reader.push(ff.data(1, new Uint8Array(16384)));
  assert.equal((reader.next() as DataFrame).data.length, 16384);
  reader.maxFrameSize = 32768;
  reader.push(ff.data(1, new Uint8Array(32768)));
  assert.equal((reader.next() as DataFrame).data.length, 32768);
  reader.push(ff.data(1, new Uint8Array(32769)));
  assert.throws(() => reader.next(), FrameSizeError);
});

Deno.test("FrameReader maxFrameSize is bounded to 16384..16777215", () => {
  assert.throws(() => new FrameReader({ maxFrameSize: 16383 }), UsageError);
  const reader = new FrameReader();
  assert.throws(() => (reader.maxFrameSize = 16777216), UsageError);
  assert.throws(() => (reader.maxFrameSize = 20000.5), UsageError);
  reader.maxFrameSize = 16777215;
  assert.equal(reader.maxFrameSize, 16777215);
});

Deno.test("FrameReader stays failed after a connection error", () => {
  const reader = new FrameReader();
  reader.push(FrameFactory.concat(ff.raw(0x0, 0, 0, [1]), ff.settingsAck()));
  let first: unknown;
  try {
    reader.next();
  } catch (e) {
    first = e;
  }
  assert.ok(first instanceof ProtocolError);
  assert.equal(first.scope, "connection");
  assert.throws(() => reader.next(), (e: unknown) => e === first);
  reader.push(ff.settingsAck());
  assert.equal(reader.bufferedLength, 0, "input after a connection error is dropped");
  assert.throws(() => reader.next(), (e: unknown) => e === first);
});

Deno.test("FrameReader stays usable after a stream error and skips only that frame", () => {
  const reader = new FrameReader();
  reader.push(ff.raw(0x2, 0, 3, [0, 0, 0, 1])); // PRIORITY of length 4: stream FRAME_SIZE_ERROR
  reader.push(ff.raw(0x8, 0, 7, [0, 0, 0, 0])); // WINDOW_UPDATE 0 on stream 7: stream error
  reader.push(ff.ping(new Uint8Array(8), { ack: true }));
  assert.throws(() => reader.next(), (e: unknown) => {
    assert.ok(e instanceof FrameSizeError);
    assert.equal(e.scope, "stream");
    assert.equal(e.streamId, 3);
    return true;
  });
  assert.throws(() => reader.next(), (e: unknown) => {
    assert.ok(e instanceof ProtocolError);
    assert.equal(e.scope, "stream");
    assert.equal(e.streamId, 7);
    return true;
  });
  assert.deepEqual(reader.next(), new PingFrame({ ack: true, data: new Uint8Array(8) }));
  assert.equal(reader.next(), undefined);
});

Deno.test("FrameReader consumes a long queue of one-byte chunks", () => {
  // 17000 one-byte chunks: the chunk queue is compacted as it is consumed.
  const wire = concat(Array.from({ length: 1000 }, () => ff.ping(new Uint8Array(8))));
  const many = new FrameReader();
  for (let i = 0; i < wire.length; i++) many.push(wire.subarray(i, i + 1));
  const frames = drain(many);
  assert.equal(frames.length, 1000);
  assert.equal(many.bufferedLength, 0);
});

Deno.test("FrameReader ignores empty chunks and zero-length frames", () => {
  const reader = new FrameReader();
  reader.push(new Uint8Array(0));
  assert.equal(reader.next(), undefined);
  reader.push(ff.settings());
  reader.push(new Uint8Array(0));
  assert.deepEqual(reader.next(), new SettingsFrame());
  assert.equal(reader.bufferedLength, 0);
});

Deno.test("FrameReader parses 16 KiB DATA frames across 64 KiB reads", () => {
  const body = new SeededRng(3).bytes(16384);
  const wire = concat(Array.from({ length: 16 }, (_, i) => ff.data(1 + 2 * i, body)));
  const reader = new FrameReader();
  let count = 0;
  for (let at = 0; at < wire.length; at += 65536) {
    reader.push(wire.subarray(at, at + 65536));
    for (const f of drain(reader)) {
      assert.ok(f instanceof DataFrame);
      assert.deepEqual(f.data, body);
      count++;
    }
  }
  assert.equal(count, 16);
});

Deno.test("FrameReader error messages follow the house rules", () => {
  const reader = new FrameReader();
  reader.push(ff.raw(0x2, 0, 1, [0, 0, 0, 1, 15]));
  try {
    reader.next();
    assert.fail("expected an error");
  } catch (e) {
    assert.ok(e instanceof H2Error);
    assert.match(e.message, /^Cannot accept PRIORITY frame: stream 1 depends on itself$/);
  }
});
