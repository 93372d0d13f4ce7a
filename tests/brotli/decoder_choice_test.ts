import assert from "node:assert/strict";
import {
  brotliCodec,
  BrotliCorruptInputError,
  BrotliOutputLimitError,
  compress,
  decompress,
  loadBrotliBackend,
  resolveCompressOptions,
} from "../../brotli/mod.ts";
import { prefersNativeDecode, readStreamStart } from "../../brotli/_decoder_choice.ts";
import { SeededRng } from "../_support/seeded_rng.ts";
import { textLike } from "./_helpers.ts";
import { concatBytes } from "../_support/bytes.ts";

/** A stream as a streaming server sends it: flushed once, so its first meta-block is not last. */
async function flushedStream(data: Uint8Array, lgwin = 22): Promise<Uint8Array> {
  const native = await loadBrotliBackend("native");
  const engine = native.createCompressor(resolveCompressOptions({ quality: 5, lgwin }));
  const out = [...await engine.push(data), ...await engine.flush(), ...await engine.finish()];
  return concatBytes(out);
}

Deno.test("readStreamStart reads WBITS and the first ISLAST bit", async () => {
  const data = textLike(51, 3000);
  assert.deepEqual(readStreamStart(await compress(data, { quality: 5 })), {
    wbits: 22,
    firstIsLast: true,
  });
  assert.deepEqual(readStreamStart(await flushedStream(data)), { wbits: 22, firstIsLast: false });
  assert.deepEqual(readStreamStart(await flushedStream(data, 24)), {
    wbits: 24,
    firstIsLast: false,
  });
  for (const lgwin of [10, 16, 17, 18]) {
    const packed = await compress(data, { backend: "native", quality: 5, lgwin });
    assert.equal(readStreamStart(packed)?.wbits, lgwin, `lgwin ${lgwin}`);
  }
  assert.equal(readStreamStart(new Uint8Array([0x0b])), undefined);
  assert.equal(readStreamStart(new Uint8Array([0x11, 0x00])), undefined); // reserved code
});

Deno.test("prefersNativeDecode only for small messages that need the whole window", async () => {
  const small = textLike(52, 3000);
  assert.equal(prefersNativeDecode(await flushedStream(small)), true);
  assert.equal(prefersNativeDecode(await flushedStream(small, 24)), true);
  assert.equal(prefersNativeDecode(await compress(small, { quality: 5 })), false);
  // Quality 1 one-shot output now uses window 18: its first meta-block is not the last, but a
  // 256 KiB ring buffer costs the Wasm decoder little.
  const q1 = await compress(small, { quality: 1 });
  assert.deepEqual(readStreamStart(q1), { wbits: 18, firstIsLast: false });
  assert.equal(prefersNativeDecode(q1), false);
  assert.equal(prefersNativeDecode(await flushedStream(small, 20)), false);
  // 32 KiB of compressed input and more amortise the window at 22.
  const big = await flushedStream(new SeededRng(54).bytes(40_000)); // incompressible
  assert.ok(big.length >= 32 * 1024);
  assert.equal(prefersNativeDecode(big), false);
});

Deno.test("decompress auto stays strict and bounded for messages it decodes natively", async () => {
  const data = textLike(53, 5000);
  const packed = await flushedStream(data);
  assert.equal(prefersNativeDecode(packed), true);
  assert.deepEqual(await decompress(packed), data);
  assert.deepEqual(await brotliCodec.decompress(packed, data.length), data);
  await assert.rejects(
    decompress(packed, { maxOutputSize: data.length - 1 }),
    BrotliOutputLimitError,
  );
  await assert.rejects(brotliCodec.decompress(packed, 100), BrotliOutputLimitError);
  for (const cut of [2, packed.length >> 1, packed.length - 1]) {
    await assert.rejects(
      decompress(packed.subarray(0, cut)),
      BrotliCorruptInputError,
      `cut at ${cut}`,
    );
  }
  const trailing = concatBytes([packed, new Uint8Array([1, 2, 3])]);
  await assert.rejects(decompress(trailing), BrotliCorruptInputError);
});
