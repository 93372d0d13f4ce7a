import assert from "node:assert/strict";
import {
  brotliCodec,
  BrotliCorruptInputError,
  BrotliOutputLimitError,
  BrotliUnsupportedError,
  decompress,
  loadBrotliBackend,
  loadBrotliSyncCodec,
  makeBrotliCodec,
} from "../../brotli/mod.ts";
import { textLike } from "./_helpers.ts";

Deno.test("brotliCodec has the rpc compression shape and round-trips messages", async () => {
  assert.equal(brotliCodec.name, "br");
  for (const size of [0, 1, 100, 1024, 64 * 1024]) {
    const message = textLike(size, size);
    const packed = await brotliCodec.compress(message);
    assert.deepEqual(await brotliCodec.decompress(packed, size), message, `size ${size}`);
  }
});

Deno.test("brotliCodec decompress enforces maxBytes and rejects corrupt messages", async () => {
  const message = textLike(51, 5000);
  const packed = await brotliCodec.compress(message);
  await assert.rejects(brotliCodec.decompress(packed, 4999), BrotliOutputLimitError);
  await assert.rejects(
    brotliCodec.decompress(packed.subarray(0, 10), 1 << 20),
    BrotliCorruptInputError,
  );
});

Deno.test("makeBrotliCodec honours quality and backend", async () => {
  const message = textLike(52, 20_000);
  const fast = makeBrotliCodec({ quality: 0, backend: "wasm" });
  const small = makeBrotliCodec({ quality: 9, backend: "native" });
  const a = await fast.compress(message);
  const b = await small.compress(message);
  assert.ok(b.length < a.length, `${b.length} < ${a.length}`);
  assert.deepEqual(await decompress(a, { backend: "native" }), message);
  assert.deepEqual(await fast.decompress(b, 20_000), message);
  assert.throws(() => makeBrotliCodec({ quality: 12 }), RangeError);
});

Deno.test("loadBrotliSyncCodec returns synchronous results that round-trip", async () => {
  const br = await loadBrotliSyncCodec();
  assert.equal(br.name, "br");
  for (const size of [0, 10, 1000, 64 * 1024]) {
    const message = textLike(size + 1, size);
    const packed = br.compress(message);
    assert.ok(packed instanceof Uint8Array, "compress is synchronous");
    const back = br.decompress(packed, size);
    assert.ok(back instanceof Uint8Array, "decompress is synchronous");
    assert.deepEqual(back, message);
  }
});

Deno.test("loadBrotliSyncCodec throws typed errors synchronously", async () => {
  const br = await loadBrotliSyncCodec({ quality: 1 });
  const packed = br.compress(new Uint8Array(100_000));
  assert.throws(() => br.decompress(packed, 99_999), BrotliOutputLimitError);
  assert.throws(
    () => br.decompress(packed.subarray(0, packed.length - 1), 1 << 20),
    BrotliCorruptInputError,
  );
  assert.throws(() => br.decompress(new Uint8Array(0), 10), BrotliCorruptInputError);
});

Deno.test("loadBrotliSyncCodec refuses backends that cannot decode synchronously", async () => {
  await assert.rejects(loadBrotliSyncCodec({ backend: "web" }), BrotliUnsupportedError);
  const native = await loadBrotliBackend("native");
  if (!native.capabilities.strictBoundedDecode) {
    await assert.rejects(loadBrotliSyncCodec({ backend: "native" }), BrotliUnsupportedError);
  }
  const wasm = await loadBrotliSyncCodec({ backend: "wasm" });
  assert.deepEqual(wasm.decompress(wasm.compress(new Uint8Array(5)), 5), new Uint8Array(5));
});
