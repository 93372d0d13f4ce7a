import assert from "node:assert/strict";
import {
  BrotliCorruptInputError,
  BrotliOutputLimitError,
  BrotliUnsupportedError,
  compress,
  decompress,
  loadBrotliBackend,
} from "../../brotli/mod.ts";
import { testSeeds } from "../_support/seeded_rng.ts";
import { BACKENDS, mixed, optionsFor, textLike, windowBits } from "./_helpers.ts";

Deno.test("compress round-trips through every backend pair", async () => {
  for (const seed of testSeeds(11, 2)) {
    const data = mixed(seed, 50_000 + (seed % 1000));
    for (const enc of BACKENDS) {
      const packed = await compress(data, optionsFor(enc));
      assert.ok(packed.length < data.length, `${enc} compressed`);
      for (const dec of BACKENDS) {
        const out = await decompress(packed, { backend: dec });
        assert.deepEqual(out, data, `seed ${seed}: ${enc} -> ${dec}`);
      }
    }
  }
});

Deno.test("compress accepts every quality on native and wasm with identical decodes", async () => {
  const data = textLike(7, 20_000);
  for (const backend of ["native", "wasm"] as const) {
    for (let quality = 0; quality <= 11; quality++) {
      const packed = await compress(data, { backend, quality });
      const other = backend === "native" ? "wasm" : "native";
      assert.deepEqual(
        await decompress(packed, { backend: other }),
        data,
        `${backend} q${quality}`,
      );
    }
  }
});

/** WBITS from the stream header (RFC 7932 §9.1), read least significant bit first. */
Deno.test("compress uses window 22 by default on every backend", async () => {
  const data = textLike(6, 5000);
  for (const backend of BACKENDS) {
    assert.equal(windowBits(await compress(data, optionsFor(backend))), 22, backend);
  }
});

Deno.test("compress honours lgwin and mode on native", async () => {
  const data = textLike(8, 100_000);
  for (const lgwin of [10, 16, 24]) {
    const packed = await compress(data, { backend: "native", lgwin, mode: "text" });
    assert.equal(windowBits(packed), lgwin);
    assert.deepEqual(await decompress(packed, { backend: "wasm" }), data, `lgwin ${lgwin}`);
  }
  const small = await compress(data, { backend: "native", lgwin: 10 });
  const large = await compress(data, { backend: "native", lgwin: 24 });
  assert.notDeepEqual(small, large);
});

Deno.test("compress auto picks a backend that honours lgwin", async () => {
  const data = textLike(9, 10_000);
  const packed = await compress(data, { lgwin: 12 });
  assert.deepEqual(await decompress(packed), data);
});

Deno.test("compress rejects options a backend cannot honour", async () => {
  const data = textLike(10, 1000);
  await assert.rejects(compress(data, { backend: "wasm", lgwin: 16 }), BrotliUnsupportedError);
  await assert.rejects(compress(data, { backend: "web", quality: 3 }), BrotliUnsupportedError);
});

Deno.test("compress rejects out-of-range options", async () => {
  const data = new Uint8Array(10);
  await assert.rejects(compress(data, { quality: 12 }), RangeError);
  await assert.rejects(compress(data, { quality: 1.5 }), RangeError);
  await assert.rejects(compress(data, { lgwin: 9 }), RangeError);
  await assert.rejects(compress(data, { lgwin: 25 }), RangeError);
  // deno-lint-ignore no-explicit-any
  await assert.rejects(compress(data, { mode: "binary" as any }), RangeError);
  await assert.rejects(decompress(data, { maxOutputSize: -1 }), RangeError);
  await assert.rejects(decompress(data, { maxOutputSize: NaN }), RangeError);
});

Deno.test("compress of empty input round-trips on every backend", async () => {
  for (const enc of BACKENDS) {
    const packed = await compress(new Uint8Array(0), optionsFor(enc));
    assert.ok(packed.length >= 1 && packed.length <= 8, `${enc}: ${packed.length} bytes`);
    for (const dec of BACKENDS) {
      assert.deepEqual(await decompress(packed, { backend: dec }), new Uint8Array(0));
    }
  }
});

Deno.test("decompress of empty input is a truncated stream on every backend", async () => {
  for (const backend of BACKENDS) {
    await assert.rejects(decompress(new Uint8Array(0), { backend }), BrotliCorruptInputError);
  }
});

Deno.test("decompress reports every truncation point as BrotliCorruptInputError", async () => {
  const data = textLike(12, 30_000);
  const packed = await compress(data, { backend: "native", quality: 5 });
  const cuts = [
    1,
    2,
    3,
    packed.length >> 2,
    packed.length >> 1,
    packed.length - 2,
    packed.length - 1,
  ];
  for (const backend of BACKENDS) {
    for (const cut of cuts) {
      await assert.rejects(
        decompress(packed.subarray(0, cut), { backend }),
        BrotliCorruptInputError,
        `${backend} cut at ${cut}`,
      );
    }
  }
});

Deno.test("decompress rejects trailing bytes after the stream", async () => {
  const packed = await compress(textLike(13, 5000));
  const trailing = new Uint8Array([...packed, 0x42]);
  for (const backend of BACKENDS) {
    await assert.rejects(decompress(trailing, { backend }), BrotliCorruptInputError, backend);
  }
});

Deno.test("decompress turns random bytes into typed errors, never another throw", async () => {
  for (const seed of testSeeds(14, 40)) {
    const rng = new (await import("../_support/seeded_rng.ts")).SeededRng(seed);
    const junk = rng.bytes(rng.int(1, 300));
    for (const backend of BACKENDS) {
      try {
        await decompress(junk, { backend, maxOutputSize: 1 << 20 });
      } catch (e) {
        assert.ok(
          e instanceof BrotliCorruptInputError || e instanceof BrotliOutputLimitError,
          `seed ${seed} ${backend}: ${e}`,
        );
      }
    }
  }
});

Deno.test("decompress flips of single bits give typed errors or other output", async () => {
  const data = textLike(15, 4000);
  const packed = await compress(data, { backend: "native", quality: 5 });
  for (let i = 0; i < packed.length; i += 7) {
    const bad = packed.slice();
    bad[i] ^= 1 << (i % 8);
    for (const backend of ["native", "wasm"] as const) {
      try {
        const out = await decompress(bad, { backend, maxOutputSize: 1 << 20 });
        assert.ok(out instanceof Uint8Array);
      } catch (e) {
        assert.ok(e instanceof BrotliCorruptInputError || e instanceof BrotliOutputLimitError);
      }
    }
  }
});

Deno.test("decompress enforces maxOutputSize exactly at the limit", async () => {
  const data = textLike(16, 10_000);
  const packed = await compress(data);
  for (const backend of BACKENDS) {
    assert.equal((await decompress(packed, { backend, maxOutputSize: 10_000 })).length, 10_000);
    const err = await decompress(packed, { backend, maxOutputSize: 9_999 }).catch((e) => e);
    assert.ok(err instanceof BrotliOutputLimitError, `${backend}: ${err}`);
    assert.equal(err.limit, 9_999);
    assert.equal(err._tag, "BrotliOutputLimitError");
  }
  await assert.rejects(decompress(packed, { maxOutputSize: 0 }), BrotliOutputLimitError);
});

Deno.test("decompress uses the default 64 MiB limit and accepts Infinity", async () => {
  const packed = await compress(new Uint8Array((64 << 20) + 1), { quality: 1 });
  await assert.rejects(decompress(packed), BrotliOutputLimitError);
  assert.equal((await decompress(packed, { maxOutputSize: Infinity })).length, (64 << 20) + 1);
});

Deno.test("decompress takes subarrays with a byte offset", async () => {
  const data = textLike(17, 3000);
  const packed = await compress(data);
  const padded = new Uint8Array(packed.length + 10);
  padded.set(packed, 5);
  for (const backend of BACKENDS) {
    const out = await decompress(padded.subarray(5, 5 + packed.length), { backend });
    assert.deepEqual(out, data);
  }
});

Deno.test("loadBrotliBackend auto prefers native for compression", async () => {
  assert.equal((await loadBrotliBackend()).name, "native");
  const decoder = await loadBrotliBackend("auto", { purpose: "decompress" });
  const native = await loadBrotliBackend("native");
  // A native decoder that needs a verifying pass is slower than Wasm, so auto skips it.
  assert.equal(decoder.name, native.capabilities.strictBoundedDecode ? "native" : "wasm");
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    loadBrotliBackend("zstd" as any),
    BrotliUnsupportedError,
  );
});
