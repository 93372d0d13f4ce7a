import assert from "node:assert/strict";
import { decodeInteger, encodeInteger, type IntegerResult } from "../../../core/hpack/integer.ts";
import { SeededRng, testSeeds } from "../../_support/seeded_rng.ts";

function enc(value: number, prefix: number, flags = 0): number[] {
  const buf = new Uint8Array(8);
  return Array.from(buf.subarray(0, encodeInteger(buf, 0, value, prefix, flags)));
}

Deno.test("encodeInteger matches RFC 7541 C.1.1-C.1.3", () => {
  assert.deepEqual(enc(10, 5), [0x0a]);
  assert.deepEqual(enc(1337, 5), [0x1f, 0x9a, 0x0a]);
  assert.deepEqual(enc(42, 8), [0x2a]);
  assert.deepEqual(enc(31, 5, 0x20), [0x3f, 0x00]); // exactly 2^N-1 needs a zero continuation
  assert.deepEqual(enc(0xffffffff, 4), [0x0f, 0xf0, 0xff, 0xff, 0xff, 0x0f]);
});

Deno.test("decodeInteger matches RFC 7541 C.1 and keeps the pattern bits out", () => {
  const out: IntegerResult = [0];
  assert.equal(decodeInteger(new Uint8Array([0xea]), 0, 1, 5, out), 1);
  assert.equal(out[0], 10);
  assert.equal(decodeInteger(new Uint8Array([0xff, 0x9a, 0x0a]), 0, 3, 5, out), 3);
  assert.equal(out[0], 1337);
  assert.equal(decodeInteger(new Uint8Array([0x2a]), 0, 1, 8, out), 1);
  assert.equal(out[0], 42);
});

Deno.test("decodeInteger round-trips random values for every prefix", () => {
  const out: IntegerResult = [0];
  for (const seed of testSeeds(0x1a7e6e5, 4)) {
    const rng = new SeededRng(seed);
    for (let i = 0; i < 2000; i++) {
      const prefix = rng.int(1, 8);
      const value = rng.chance(0.5) ? rng.int(0, 300) : rng.u32();
      const bytes = new Uint8Array(enc(value, prefix));
      assert.equal(
        decodeInteger(bytes, 0, bytes.length, prefix, out),
        bytes.length,
        `seed ${seed}`,
      );
      assert.equal(out[0], value, `seed ${seed}`);
    }
  }
});

Deno.test("decodeInteger reports truncation mid-integer", () => {
  const out: IntegerResult = [0];
  assert.equal(decodeInteger(new Uint8Array([0x1f]), 0, 1, 5, out), -1);
  assert.equal(decodeInteger(new Uint8Array([0x1f, 0x9a]), 0, 2, 5, out), -1);
});

Deno.test("decodeInteger rejects values above 2^32-1 and endless continuations", () => {
  const out: IntegerResult = [0];
  // 2^32 exactly with a 4-bit prefix.
  const over = new Uint8Array([0x0f, 0xf1, 0xff, 0xff, 0xff, 0x0f]);
  assert.equal(decodeInteger(over, 0, over.length, 4, out), -2);
  // Zero-valued continuations are still continuations: six is too many.
  const padded = new Uint8Array([0x7f, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
  assert.equal(decodeInteger(padded, 0, padded.length, 7, out), -2);
  const huge = new Uint8Array(100_000).fill(0xff);
  assert.equal(decodeInteger(huge, 0, huge.length, 7, out), -2);
  // Five continuation octets are fine when the value fits.
  const five = new Uint8Array([0x7f, 0x80, 0x80, 0x80, 0x80, 0x01]);
  assert.equal(decodeInteger(five, 0, five.length, 7, out), 6);
  assert.equal(out[0], 127 + 2 ** 28);
});
