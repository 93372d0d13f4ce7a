import assert from "node:assert/strict";
import {
  BrotliOutputLimitError,
  compress,
  decompress,
  loadBrotliBackend,
  resolveCompressOptions,
} from "../../brotli/mod.ts";
import { SeededRng, testSeeds } from "../_support/seeded_rng.ts";
import { BACKENDS, mixed, textLike, windowBits } from "./_helpers.ts";
import { concatBytes } from "../_support/bytes.ts";

Deno.test("wasm compress at qualities 0-1 writes exactly native's stream", async () => {
  // brotli-wasm's one-shot call feeds its encoder 4 KiB at a time, which at these qualities
  // made larger inputs 20-30% bigger than native output; the backend now hands it the whole
  // input and narrows the window as native does.
  const native = await loadBrotliBackend("native");
  const wasm = await loadBrotliBackend("wasm");
  for (const seed of testSeeds(21, 2)) {
    for (const size of [10, 4096, 4097, 70_000, (1 << 18) - 16]) {
      const data = textLike(seed, size);
      for (const quality of [0, 1]) {
        const options = resolveCompressOptions({ quality });
        const a = await native.compress(data, options);
        const b = await wasm.compress(data, options);
        assert.deepEqual(b, a, `seed ${seed}, ${size} bytes, quality ${quality}`);
        assert.equal(windowBits(b), 18);
      }
    }
  }
});

Deno.test("wasm compress at qualities 0-1 round-trips on every backend, any size", async () => {
  const wasm = await loadBrotliBackend("wasm");
  const rng = new SeededRng(31);
  const inputs = [
    new Uint8Array(0),
    mixed(32, 300_000), // past 2^18 - 16: window 19, not narrowed by the header rewrite
    rng.bytes(600_000), // incompressible: output outgrows the first output request
  ];
  for (const data of inputs) {
    for (const quality of [0, 1]) {
      const packed = await wasm.compress(data, resolveCompressOptions({ quality }));
      if (data.length > (1 << 18) - 16) assert.equal(windowBits(packed), 22);
      for (const backend of BACKENDS) {
        assert.deepEqual(
          await decompress(packed, { backend }),
          data,
          `${data.length} bytes, quality ${quality}, decoded by ${backend}`,
        );
      }
    }
  }
});

Deno.test("native compress keeps window 22 above quality 1 and narrows it at 0-1", async () => {
  const data = textLike(41, 5000);
  for (const quality of [0, 1]) {
    assert.equal(windowBits(await compress(data, { backend: "native", quality })), 18);
  }
  for (const quality of [2, 4, 11]) {
    assert.equal(windowBits(await compress(data, { backend: "native", quality })), 22);
  }
  const big = textLike(42, (1 << 20) + 1);
  const packed = await compress(big, { backend: "native", quality: 1 });
  assert.equal(windowBits(packed), 21);
  assert.deepEqual(await decompress(packed, { backend: "wasm" }), big);
});

Deno.test("wasm decompress grows its output requests and still stops at the limit", async () => {
  // A 4 MiB run of one byte packs into a few dozen bytes: an expansion of about 100000x, far
  // past the first output request sized from the input.
  const data = new Uint8Array(4 << 20).fill(7);
  const packed = await compress(data, { backend: "native", quality: 5 });
  assert.ok(packed.length < 100);
  assert.deepEqual(
    await decompress(packed, { backend: "wasm", maxOutputSize: data.length }),
    data,
  );
  await assert.rejects(
    decompress(packed, { backend: "wasm", maxOutputSize: data.length - 1 }),
    BrotliOutputLimitError,
  );
  // Streaming, a byte at a time: every push starts small again.
  const wasm = await loadBrotliBackend("wasm");
  const engine = wasm.createDecompressor(data.length);
  const out: Uint8Array[] = [];
  for (let i = 0; i < packed.length; i++) {
    out.push(...(await engine.push(packed.subarray(i, i + 1))));
  }
  out.push(...(await engine.finish()));
  assert.deepEqual(concatBytes(out), data);
});

Deno.test("loadBrotliBackend auto remembers its answer per need", async () => {
  const a = loadBrotliBackend();
  assert.equal(loadBrotliBackend("auto", { compress: {} }), a);
  const quality = loadBrotliBackend("auto", { compress: { quality: 3 } });
  assert.equal(loadBrotliBackend("auto", { compress: { quality: 9 } }), quality);
  assert.notEqual(quality, a);
  const flushable = await loadBrotliBackend("auto", { flushable: true });
  assert.equal(flushable.capabilities.canFlush, true);
  const window = await loadBrotliBackend("auto", { compress: { lgwin: 16 } });
  assert.equal(window.capabilities.lgwin, true);
  const decoder = await loadBrotliBackend("auto", { purpose: "decompress" });
  assert.equal(decoder, await loadBrotliBackend("auto", { purpose: "decompress" }));
  assert.equal((await a).name, "native");
});
