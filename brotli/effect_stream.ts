/**
 * Streaming Brotli as Effect `Stream` pipes: `Stream -> Stream` functions for `.pipe(...)`.
 *
 * @module
 */

import { Effect, Stream } from "effect";
import type { BrotliStreamEngine } from "./backend.ts";
import { BrotliCorruptInputError, BrotliError } from "./errors.ts";
import type { BrotliDecompressOptions } from "./options.ts";
import { type CompressStreamOptions, openCompressor, openDecompressor } from "./streams.ts";

function toBrotliError(cause: unknown): BrotliError {
  if (cause instanceof BrotliError) return cause;
  if (cause instanceof RangeError) return new BrotliError(cause.message, { cause });
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new BrotliCorruptInputError(detail, { cause });
}

/** Runs one engine call, staying synchronous when the backend is. */
function step(
  f: () => Uint8Array[] | Promise<Uint8Array[]>,
): Effect.Effect<Uint8Array[], BrotliError> {
  return Effect.suspend(() => {
    let r: Uint8Array[] | Promise<Uint8Array[]>;
    try {
      r = f();
    } catch (e) {
      return Effect.fail(toBrotliError(e));
    }
    return Array.isArray(r)
      ? Effect.succeed(r)
      : Effect.tryPromise({ try: () => r as Promise<Uint8Array[]>, catch: toBrotliError });
  });
}

function pipeEngine<E, R>(
  self: Stream.Stream<Uint8Array, E, R>,
  open: () => Promise<{ engine: BrotliStreamEngine }>,
  flushEveryChunk: boolean,
): Stream.Stream<Uint8Array, E | BrotliError, R> {
  const acquire = Effect.acquireRelease(
    Effect.tryPromise({ try: () => open().then((o) => o.engine), catch: toBrotliError }),
    (engine) => Effect.sync(() => engine.close()),
  );
  return Stream.unwrap(Effect.map(acquire, (engine) => {
    const body = Stream.mapEffect(
      self,
      (chunk) =>
        flushEveryChunk
          ? Effect.flatMap(
            step(() => engine.push(chunk)),
            (out) => Effect.map(step(() => engine.flush()), (more) => out.concat(more)),
          )
          : step(() => engine.push(chunk)),
    );
    const tail = Stream.fromEffect(step(() => engine.finish()));
    return Stream.flattenIterable(Stream.concat(body, tail));
  }));
}

/**
 * Compresses a byte stream with Brotli, as an Effect pipe.
 *
 * The compression context is opened when the stream runs and released when it ends, fails or is
 * interrupted. With `flushEveryChunk`, each upstream chunk is flushed so the peer can decode it
 * at once (needs a backend that can flush; `"auto"` picks one).
 *
 * @example Compress and decompress a Stream
 * ```ts
 * import { Effect, Stream } from "effect";
 * import { compressStream, decompressStream } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new TextEncoder().encode("abc".repeat(100));
 * const out = await Effect.runPromise(Stream.runCollect(
 *   Stream.make(bytes).pipe(compressStream({ quality: 5 }), decompressStream()),
 * ));
 * assert.equal(out.reduce((n, c) => n + c.length, 0), 300);
 * ```
 *
 * @param options Quality, window, mode, backend and flushing.
 * @returns A function from a stream of bytes to a stream of Brotli bytes.
 */
export function compressStream(
  options: CompressStreamOptions = {},
): <E, R>(self: Stream.Stream<Uint8Array, E, R>) => Stream.Stream<Uint8Array, E | BrotliError, R> {
  return (self) => pipeEngine(self, () => openCompressor(options), !!options.flushEveryChunk);
}

/**
 * Decompresses a Brotli byte stream, as an Effect pipe. Fails with `BrotliOutputLimitError` as
 * soon as the output would exceed `maxOutputSize`, and with `BrotliCorruptInputError` for corrupt
 * or truncated input.
 *
 * @param options The output limit and backend.
 * @returns A function from a stream of Brotli bytes to a stream of bytes.
 */
export function decompressStream(
  options: BrotliDecompressOptions = {},
): <E, R>(self: Stream.Stream<Uint8Array, E, R>) => Stream.Stream<Uint8Array, E | BrotliError, R> {
  return (self) => pipeEngine(self, () => openDecompressor(options), false);
}
