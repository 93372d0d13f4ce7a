import assert from "node:assert/strict";
import {
  BrotliCorruptInputError,
  BrotliOutputLimitError,
  BrotliUnsupportedError,
  compress,
  CompressStream,
  decompress,
  DecompressStream,
  loadBrotliBackend,
  resolveCompressOptions,
} from "../../brotli/mod.ts";
import { SeededRng, testSeeds } from "../_support/seeded_rng.ts";
import {
  BACKENDS,
  collect,
  gigabyteBomb,
  mixed,
  optionsFor,
  splitRandomly,
  streamOf,
  textLike,
} from "./_helpers.ts";
import { concatBytes } from "../_support/bytes.ts";

Deno.test("CompressStream and DecompressStream round-trip at arbitrary chunk boundaries", async () => {
  for (const seed of testSeeds(21, 3)) {
    const rng = new SeededRng(seed);
    const data = mixed(seed, rng.int(0, 120_000));
    for (const enc of BACKENDS) {
      const packed = await collect(
        streamOf(splitRandomly(rng, data)).pipeThrough(new CompressStream(optionsFor(enc))),
      );
      // The stream output is a valid whole stream for every one-shot decoder too.
      assert.deepEqual(await decompress(packed, { backend: "wasm" }), data, `${enc} one-shot`);
      for (const dec of BACKENDS) {
        const out = await collect(
          streamOf(splitRandomly(rng, packed)).pipeThrough(new DecompressStream({ backend: dec })),
        );
        assert.deepEqual(out, data, `seed ${seed}: ${enc} -> ${dec}`);
      }
    }
  }
});

Deno.test("DecompressStream errors with typed errors for truncated, corrupt and trailing input", async () => {
  const data = textLike(22, 40_000);
  const packed = await compress(data);
  const cases: Array<[string, Uint8Array]> = [
    ["truncated", packed.subarray(0, packed.length - 1)],
    ["half", packed.subarray(0, packed.length >> 1)],
    ["empty", new Uint8Array(0)],
    ["trailing", concatBytes([packed, new Uint8Array([1, 2, 3])])],
    ["garbage", new Uint8Array(64).fill(0xff)],
  ];
  for (const backend of BACKENDS) {
    for (const [name, bytes] of cases) {
      const rng = new SeededRng(name.length);
      await assert.rejects(
        collect(streamOf(splitRandomly(rng, bytes)).pipeThrough(new DecompressStream({ backend }))),
        BrotliCorruptInputError,
        `${backend} ${name}`,
      );
    }
  }
});

Deno.test("DecompressStream refuses a 1 GiB bomb at the limit with bounded memory", async () => {
  const bomb = await gigabyteBomb();
  assert.ok(bomb.length < 4096, `bomb is ${bomb.length} bytes`);
  for (const backend of BACKENDS) {
    const before = Deno.memoryUsage().rss;
    let seen = 0;
    const out = streamOf([bomb]).pipeThrough(
      new DecompressStream({ backend, maxOutputSize: 8 << 20 }),
    );
    const err = await (async () => {
      for await (const c of out) seen += c.length;
    })().catch((e) => e);
    assert.ok(err instanceof BrotliOutputLimitError, `${backend}: ${err}`);
    assert.ok(seen <= 8 << 20, `${backend} passed on ${seen} bytes`);
    // Far below the gigabyte: the decoder stopped at the limit.
    const grown = Deno.memoryUsage().rss - before;
    assert.ok(grown < 256 << 20, `${backend} grew by ${grown} bytes`);
  }
});

Deno.test("decompress refuses a 1 GiB bomb at the limit on every backend", async () => {
  const bomb = await gigabyteBomb();
  for (const backend of BACKENDS) {
    const before = Deno.memoryUsage().rss;
    await assert.rejects(
      decompress(bomb, { backend, maxOutputSize: 16 << 20 }),
      BrotliOutputLimitError,
    );
    const grown = Deno.memoryUsage().rss - before;
    assert.ok(grown < 256 << 20, `${backend} grew by ${grown} bytes`);
  }
});

Deno.test("CompressStream flush makes the data so far decodable before the end on native", async () => {
  const native = await loadBrotliBackend("native");
  assert.equal(native.capabilities.canFlush, true);
  const cs = new CompressStream({ backend: "native", quality: 5, flushable: true });
  const writer = cs.writable.getWriter();
  const decoder = (await loadBrotliBackend("wasm")).createDecompressor(1 << 20);
  const decoded: Uint8Array[] = [];
  const pump = (async () => {
    for await (const c of cs.readable) decoded.push(...(await decoder.push(c)));
  })();
  let expected = "";
  for (const message of ["first message", "second one", "third"]) {
    // flush() covers every chunk whose write() has resolved.
    await writer.write(new TextEncoder().encode(message));
    await cs.flush();
    expected += message;
    // Let the reader take what the flush enqueued (a bounded number of turns, no timing).
    for (let i = 0; i < 100 && concatBytes(decoded).length < expected.length; i++) {
      await new Promise((r) => setTimeout(r, 0));
    }
    assert.equal(new TextDecoder().decode(concatBytes(decoded)), expected);
  }
  await writer.close();
  await pump;
  assert.deepEqual(await decoder.finish(), []);
  assert.equal(new TextDecoder().decode(concatBytes(decoded)), expected);
});

Deno.test("CompressStream flushEveryChunk lets each chunk decode on arrival", async () => {
  for (const backend of ["native", "web", "auto"] as const) {
    const cs = new CompressStream(
      backend === "web" ? { backend, flushEveryChunk: true } : { backend, flushEveryChunk: true },
    );
    const writer = cs.writable.getWriter();
    const reader = cs.readable.getReader();
    const decoder = (await loadBrotliBackend("wasm")).createDecompressor(1 << 20);
    for (let i = 0; i < 5; i++) {
      const message = `event ${i}: ${"x".repeat(i * 10)}`;
      const wrote = writer.write(new TextEncoder().encode(message));
      const got: Uint8Array[] = [];
      while (concatBytes(got).length < message.length) {
        const r = await reader.read();
        assert.equal(r.done, false, backend);
        got.push(...(await decoder.push(r.value!)));
      }
      await wrote;
      assert.equal(new TextDecoder().decode(concatBytes(got)), message, backend);
    }
    writer.close();
    await collect(
      new ReadableStream({
        pull: async (c) => {
          const r = await reader.read();
          if (r.done) c.close();
          else c.enqueue(r.value);
        },
      }),
    );
  }
});

Deno.test("CompressStream on wasm reports canFlush false and refuses flushable use", async () => {
  const wasm = await loadBrotliBackend("wasm");
  assert.equal(wasm.capabilities.canFlush, false);
  assert.throws(
    () => wasm.createCompressor(resolveCompressOptions()).flush(),
    BrotliUnsupportedError,
  );
  await assert.rejects(loadBrotliBackend("wasm", { flushable: true }), BrotliUnsupportedError);
  const cs = new CompressStream({ backend: "wasm", flushable: true });
  await assert.rejects(cs.writable.getWriter().write(new Uint8Array(1)), BrotliUnsupportedError);
  // Without flushable, a manual flush on wasm fails with a typed error too.
  const plain = new CompressStream({ backend: "wasm" });
  await assert.rejects(plain.flush(), BrotliUnsupportedError);
  // auto with flushable never picks wasm.
  assert.notEqual(await new CompressStream({ flushable: true }).backend, "wasm");
});

Deno.test("CompressStream without input yields a valid empty stream", async () => {
  for (const backend of BACKENDS) {
    const packed = await collect(streamOf([]).pipeThrough(new CompressStream({ backend })));
    assert.deepEqual(await decompress(packed), new Uint8Array(0), backend);
  }
});

Deno.test("CompressStream reports bad options through the stream", async () => {
  const cs = new CompressStream({ quality: 42 });
  await assert.rejects(collect(streamOf([new Uint8Array(3)]).pipeThrough(cs)), RangeError);
});

Deno.test("DecompressStream cancel releases the decoder", async () => {
  const packed = await compress(textLike(23, 200_000));
  for (const backend of BACKENDS) {
    const reader = streamOf([packed]).pipeThrough(new DecompressStream({ backend })).getReader();
    const first = await reader.read();
    assert.equal(first.done, false);
    await reader.cancel();
  }
});
