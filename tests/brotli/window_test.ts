import assert from "node:assert/strict";
import { fastWindowFor, narrowDefaultWindow } from "../../brotli/_window.ts";
import { windowBits } from "./_helpers.ts";

Deno.test("fastWindowFor picks the smallest window from 18 that covers the input", () => {
  const cases: Array<[length: number, lgwin: number, expected: number]> = [
    [0, 22, 18],
    [1024, 22, 18],
    [(1 << 18) - 16, 22, 18],
    [(1 << 18) - 15, 22, 19],
    [1 << 20, 22, 21],
    [(1 << 21) - 16, 22, 21],
    [(1 << 22) - 15, 22, 22],
    [64 << 20, 22, 22], // never above the caller's window
    [64 << 20, 24, 24],
    [1024, 16, 16], // a caller's smaller window is kept
  ];
  for (const [length, lgwin, expected] of cases) {
    assert.equal(fastWindowFor(length, lgwin), expected, `${length} bytes, lgwin ${lgwin}`);
  }
});

Deno.test("narrowDefaultWindow rewrites only window-22 headers of inputs that fit 18 bits", () => {
  // 0x8b: WBITS 22 (bits 1011) and the next bits of a real stream header.
  const small = new Uint8Array([0x8b, 0xff, 0x01]);
  assert.equal(narrowDefaultWindow(small, 1024), true);
  assert.deepEqual(small, new Uint8Array([0x83, 0xff, 0x01]));
  assert.equal(windowBits(small), 18);

  const big = new Uint8Array([0x8b, 0xff, 0x01]);
  assert.equal(narrowDefaultWindow(big, (1 << 18) - 15), false);
  assert.equal(windowBits(big), 22);

  const other = new Uint8Array([0x1d, 0x00]); // WBITS 24: not the default, left alone
  assert.equal(narrowDefaultWindow(other, 10), false);
  assert.deepEqual(other, new Uint8Array([0x1d, 0x00]));

  assert.equal(narrowDefaultWindow(new Uint8Array(0), 0), false);
});
