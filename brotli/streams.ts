/**
 * Streaming Brotli as Web `TransformStream`s.
 *
 * @module
 */

import type { BrotliBackend, BrotliStreamEngine } from "./backend.ts";
import { loadBrotliBackend } from "./load_backend.ts";
import {
  type BrotliBackendName,
  type BrotliCompressOptions,
  type BrotliDecompressOptions,
  resolveCompressOptions,
  resolveMaxOutputSize,
} from "./options.ts";

/** Options of streaming compression. */
export interface CompressStreamOptions extends BrotliCompressOptions {
  /**
   * Interactive stream: pick a backend that can flush, so `flush()` works. Default false, which
   * lets `"auto"` pick a non-flushing backend.
   */
  readonly flushable?: boolean;
  /**
   * Flush after every chunk, so each written chunk can be decoded by the peer at once (server
   * events, streamed RPC). Implies `flushable`. Costs ratio: each flush ends a meta-block.
   */
  readonly flushEveryChunk?: boolean;
}

/** Opens a compression engine, validating options first. */
export async function openCompressor(
  options: CompressStreamOptions,
): Promise<{ engine: BrotliStreamEngine; backend: BrotliBackend }> {
  const resolved = resolveCompressOptions(options);
  const backend = await loadBrotliBackend(options.backend, {
    compress: options,
    flushable: options.flushable || options.flushEveryChunk,
  });
  return { engine: backend.createCompressor(resolved), backend };
}

/** Opens a decompression engine, validating options first. */
export async function openDecompressor(
  options: BrotliDecompressOptions,
): Promise<{ engine: BrotliStreamEngine; backend: BrotliBackend }> {
  const limit = resolveMaxOutputSize(options);
  const backend = await loadBrotliBackend(options.backend, { purpose: "decompress" });
  return { engine: backend.createDecompressor(limit), backend };
}

function enqueueAll(ctl: TransformStreamDefaultController<Uint8Array>, chunks: Uint8Array[]) {
  for (const c of chunks) ctl.enqueue(c);
}

/**
 * Brotli compression as a `TransformStream` (bytes in, Brotli stream out).
 *
 * @example Compress a stream
 * ```ts
 * import { CompressStream, DecompressStream } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const body = new Blob(["hello ", "world"]).stream()
 *   .pipeThrough(new CompressStream({ quality: 5 }))
 *   .pipeThrough(new DecompressStream());
 * assert.equal(await new Response(body).text(), "hello world");
 * ```
 */
export class CompressStream extends TransformStream<Uint8Array, Uint8Array> {
  #flush: () => Promise<void>;
  #backend: Promise<BrotliBackendName>;

  /** @param options Quality, window, mode, backend and flushing. */
  constructor(options: CompressStreamOptions = {}) {
    let engine: BrotliStreamEngine | undefined;
    let ctl: TransformStreamDefaultController<Uint8Array> | undefined;
    // Serializes manual flushes with transforms so output keeps its order.
    let queue: Promise<unknown> = Promise.resolve();
    const opened = openCompressor(options);
    const serial = <T>(f: () => Promise<T>): Promise<T> => {
      const next = queue.then(f);
      queue = next.catch(() => {});
      return next;
    };
    super({
      async start(controller) {
        ctl = controller;
        engine = (await opened).engine;
      },
      transform(chunk, controller) {
        return serial(async () => {
          enqueueAll(controller, await engine!.push(chunk));
          if (options.flushEveryChunk) enqueueAll(controller, await engine!.flush());
        });
      },
      flush(controller) {
        return serial(async () => enqueueAll(controller, await engine!.finish()));
      },
      cancel() {
        engine?.close();
      },
    });
    opened.catch(() => {}); // reported through start()
    this.#backend = opened.then((o) => o.backend.name);
    this.#backend.catch(() => {});
    this.#flush = () =>
      serial(async () => {
        await opened;
        enqueueAll(ctl!, await engine!.flush());
      });
  }

  /**
   * Emits everything written so far as decodable output, without ending the stream. Needs a
   * backend that can flush (create the stream with `flushable: true`).
   *
   * @returns Resolves once the flushed bytes are enqueued on `readable`.
   * @throws {BrotliUnsupportedError} When the backend cannot flush.
   */
  flush(): Promise<void> {
    return this.#flush();
  }

  /** The backend this stream runs on, once loaded. */
  get backend(): Promise<BrotliBackendName> {
    return this.#backend;
  }
}

/**
 * Brotli decompression as a `TransformStream`, bounded by `maxOutputSize` and strict: a
 * corrupt, truncated or over-long stream errors the readable side with a typed `BrotliError`.
 */
export class DecompressStream extends TransformStream<Uint8Array, Uint8Array> {
  #backend: Promise<BrotliBackendName>;

  /** @param options The output limit and backend. */
  constructor(options: BrotliDecompressOptions = {}) {
    let engine: BrotliStreamEngine | undefined;
    const opened = openDecompressor(options);
    super({
      async start() {
        engine = (await opened).engine;
      },
      async transform(chunk, controller) {
        enqueueAll(controller, await engine!.push(chunk));
      },
      async flush(controller) {
        enqueueAll(controller, await engine!.finish());
      },
      cancel() {
        engine?.close();
      },
    });
    opened.catch(() => {});
    this.#backend = opened.then((o) => o.backend.name);
    this.#backend.catch(() => {});
  }

  /** The backend this stream runs on, once loaded. */
  get backend(): Promise<BrotliBackendName> {
    return this.#backend;
  }
}
