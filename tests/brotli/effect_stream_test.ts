import assert from "node:assert/strict";
import { Effect, Exit, Stream } from "effect";
import {
  BrotliCorruptInputError,
  BrotliError,
  BrotliOutputLimitError,
  compress,
  compressStream,
  decompress,
  decompressStream,
  loadBrotliBackend,
} from "../../brotli/mod.ts";
import { SeededRng, testSeeds } from "../_support/seeded_rng.ts";
import { BACKENDS, gigabyteBomb, mixed, optionsFor, splitRandomly, textLike } from "./_helpers.ts";
import { concatBytes } from "../_support/bytes.ts";

const collectBytes = <E>(s: Stream.Stream<Uint8Array, E>) =>
  Effect.map(Stream.runCollect(s), (chunks) => concatBytes(Array.from(chunks)));

Deno.test("compressStream and decompressStream round-trip at arbitrary chunk boundaries", async () => {
  for (const seed of testSeeds(31, 2)) {
    const rng = new SeededRng(seed);
    const data = mixed(seed, 80_000);
    for (const enc of BACKENDS) {
      const packed = await Effect.runPromise(
        collectBytes(
          Stream.fromIterable(splitRandomly(rng, data)).pipe(compressStream(optionsFor(enc))),
        ),
      );
      assert.deepEqual(await decompress(packed), data, `${enc} compressed`);
      for (const dec of BACKENDS) {
        const out = await Effect.runPromise(collectBytes(
          Stream.fromIterable(splitRandomly(rng, packed)).pipe(decompressStream({ backend: dec })),
        ));
        assert.deepEqual(out, data, `seed ${seed}: ${enc} -> ${dec}`);
      }
    }
  }
});

Deno.test("decompressStream fails with BrotliCorruptInputError that catchTag can handle", async () => {
  const packed = await compress(textLike(32, 10_000));
  for (const backend of BACKENDS) {
    const recovered = await Effect.runPromise(
      collectBytes(
        Stream.make(packed.subarray(0, packed.length - 2)).pipe(decompressStream({ backend })),
      )
        .pipe(
          Effect.map(() => "no error"),
          Effect.catchTag("BrotliCorruptInputError", (e) => Effect.succeed(e._tag)),
        ),
    );
    assert.equal(recovered, "BrotliCorruptInputError", backend);
  }
});

Deno.test("decompressStream stops a bomb with BrotliOutputLimitError", async () => {
  const bomb = await gigabyteBomb();
  for (const backend of BACKENDS) {
    const exit = await Effect.runPromiseExit(
      collectBytes(Stream.make(bomb).pipe(decompressStream({ backend, maxOutputSize: 4 << 20 }))),
    );
    assert.ok(Exit.isFailure(exit), backend);
    const err = await Effect.runPromise(
      Stream.make(bomb).pipe(
        decompressStream({ backend, maxOutputSize: 4 << 20 }),
        Stream.runDrain,
        Effect.flip,
      ),
    );
    assert.ok(err instanceof BrotliOutputLimitError, `${backend}: ${err}`);
  }
});

Deno.test("compressStream keeps the upstream error type and value", async () => {
  class Upstream {
    readonly _tag = "Upstream";
  }
  const failing = Stream.concat(Stream.make(new Uint8Array(10)), Stream.fail(new Upstream()));
  const err = await Effect.runPromise(
    failing.pipe(compressStream(), Stream.runDrain, Effect.flip),
  );
  assert.ok(err instanceof Upstream);
  // The union type is visible to the caller: both tags are catchable.
  const handled: Effect.Effect<string, never> = failing.pipe(
    compressStream(),
    Stream.runDrain,
    Effect.map(() => "done"),
    Effect.catchTags({
      Upstream: () => Effect.succeed("upstream"),
      BrotliError: () => Effect.succeed("brotli"),
      BrotliOutputLimitError: () => Effect.succeed("limit"),
      BrotliCorruptInputError: () => Effect.succeed("corrupt"),
      BrotliUnsupportedError: () => Effect.succeed("unsupported"),
    }),
  );
  assert.equal(await Effect.runPromise(handled), "upstream");
});

Deno.test("compressStream with flushEveryChunk emits decodable output per element", async () => {
  const messages = ["alpha", "beta", "gamma"].map((m) => new TextEncoder().encode(m));
  const chunks = await Effect.runPromise(
    Stream.runCollect(
      Stream.fromIterable(messages).pipe(compressStream({ flushEveryChunk: true })),
    ),
  );
  // Each element's output ends with a flush, so the output so far decodes to the input so far.
  let acc: Uint8Array = new Uint8Array(0);
  const texts: string[] = [];
  for (const c of chunks) {
    acc = concatBytes([acc, c]);
    const d = (await loadBrotliBackend("wasm")).createDecompressor(1 << 20);
    texts.push(new TextDecoder().decode(concatBytes(await d.push(acc))));
  }
  assert.ok(texts.includes("alpha"), JSON.stringify(texts));
  assert.ok(texts.includes("alphabeta"), JSON.stringify(texts));
  assert.equal(texts.at(-1), "alphabetagamma");
});

Deno.test("compressStream fails with a typed error when wasm is asked to flush", async () => {
  const err = await Effect.runPromise(
    Stream.make(new Uint8Array(5)).pipe(
      compressStream({ backend: "wasm", flushEveryChunk: true }),
      Stream.runDrain,
      Effect.flip,
    ),
  );
  assert.ok(err instanceof BrotliError);
  assert.equal(err._tag, "BrotliUnsupportedError");
});

Deno.test("decompressStream output equals one-shot output for an empty stream", async () => {
  const packed = await compress(new Uint8Array(0));
  const out = await Effect.runPromise(collectBytes(Stream.make(packed).pipe(decompressStream())));
  assert.equal(out.length, 0);
  const exit = await Effect.runPromiseExit(collectBytes(Stream.empty.pipe(decompressStream())));
  assert.ok(Exit.isFailure(exit));
  assert.ok(
    (await Effect.runPromise(
      Stream.empty.pipe(decompressStream(), Stream.runDrain, Effect.flip),
    )) instanceof
      BrotliCorruptInputError,
  );
});

Deno.test("decompressStream releases its decoder when the consumer stops early", async () => {
  const data = textLike(33, 400_000);
  const packed = await compress(data, { quality: 5 });
  const chunks = [packed.subarray(0, 100), packed.subarray(100)];
  for (const backend of BACKENDS) {
    const first = await Effect.runPromise(
      Stream.runCollect(
        Stream.fromIterable(chunks).pipe(decompressStream({ backend }), Stream.take(1)),
      ),
    );
    assert.equal(first.length, 1, backend);
    assert.deepEqual(first[0], data.subarray(0, first[0].length), backend);
  }
});

Deno.test("compressStream output matches one-shot decoding for every quality", async () => {
  const data = textLike(34, 30_000);
  for (const quality of [0, 4, 11]) {
    const packed = await Effect.runPromise(
      collectBytes(
        Stream.make(data.subarray(0, 1000), data.subarray(1000)).pipe(
          compressStream({ quality, backend: "wasm" }),
        ),
      ),
    );
    assert.deepEqual(await decompress(packed, { backend: "native" }), data, `q${quality}`);
  }
});
