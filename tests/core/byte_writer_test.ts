import assert from "node:assert/strict";
import { ByteWriter } from "../../core/byte_writer.ts";

Deno.test("ByteWriter appends big-endian integers and grows past its capacity", () => {
  const w = new ByteWriter(1);
  w.u8(0xab);
  w.u16(0x0102);
  w.u24(0x030405);
  w.u32(0x06070809);
  w.bytes(new Uint8Array(300).fill(7));
  const out = w.take();
  assert.equal(out.length, 1 + 2 + 3 + 4 + 300);
  assert.deepEqual(Array.from(out.subarray(0, 10)), [0xab, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(out[309], 7);
  assert.equal(w.length, 0);
});

Deno.test("ByteWriter take hands out bytes that later writes do not overwrite", () => {
  const w = new ByteWriter();
  w.u32(0xdeadbeef);
  const first = w.take();
  w.u32(0x01020304);
  assert.deepEqual(Array.from(first), [0xde, 0xad, 0xbe, 0xef]);
  assert.deepEqual(Array.from(w.take()), [1, 2, 3, 4]);
  assert.equal(w.take().length, 0);
});

Deno.test("ByteWriter patchU24 rewrites a length after the fact", () => {
  const w = new ByteWriter();
  const at = w.reserve(3);
  w.u8(9);
  w.patchU24(at, 0x123456);
  assert.deepEqual(Array.from(w.toBytes()), [0x12, 0x34, 0x56, 9]);
});

Deno.test("ByteWriter clear keeps its buffer unless it exceeds maxCapacity", () => {
  const w = new ByteWriter(256);
  w.bytes(new Uint8Array(5000).fill(1));
  const grown = w.buffer;
  w.clear();
  assert.equal(w.length, 0);
  assert.equal(w.buffer, grown);
  w.u8(9);
  assert.equal(grown[0], 9);
  w.clear(1024);
  assert.equal(w.buffer.length, 1024);
  assert.notEqual(w.buffer, grown);
  w.clear(4096);
  assert.equal(w.buffer.length, 1024);
});
