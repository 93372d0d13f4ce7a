/**
 * The contract every Brotli backend implements, so one-shot calls, Web streams and Effect streams
 * run over any of them.
 *
 * @module
 */

import type { BrotliBackendName, ResolvedCompressOptions } from "./options.ts";

/**
 * One compression or decompression context fed chunk by chunk.
 *
 * Methods return the output produced so far (possibly none). A result is either an array or a
 * promise of one: Wasm runs synchronously, `node:zlib` and `CompressionStream` asynchronously.
 * Decompressors throw `BrotliOutputLimitError` as soon as their total output would cross the
 * limit and `BrotliCorruptInputError` for bad input; `finish` throws it for a truncated stream.
 */
export interface BrotliStreamEngine {
  /** Feeds one chunk of input. */
  push(chunk: Uint8Array): Uint8Array[] | Promise<Uint8Array[]>;
  /**
   * Compressors only: emits everything fed so far so the peer can decode it now (a Brotli
   * flush, RFC 7932 empty meta-block padding). Throws `BrotliUnsupportedError` where the backend
   * cannot flush.
   */
  flush(): Uint8Array[] | Promise<Uint8Array[]>;
  /** Ends the stream and returns the rest of the output; the engine is closed afterwards. */
  finish(): Uint8Array[] | Promise<Uint8Array[]>;
  /** Releases the context early (cancel or error); safe to call more than once. */
  close(): void;
}

/** What a backend can do. */
export interface BrotliCapabilities {
  /** Compressors can flush mid-stream (interactive streams). */
  readonly canFlush: boolean;
  /** The `quality` option is honoured. */
  readonly quality: boolean;
  /** The `lgwin` option is honoured. */
  readonly lgwin: boolean;
  /** The `mode` hint is honoured. */
  readonly mode: boolean;
  /**
   * Decoding is both bounded (stops at the limit) and strict (reports truncated input) without
   * extra work. Backends without it still are, by a second verifying pass, so they are slower.
   */
  readonly strictBoundedDecode: boolean;
}

/**
 * A loaded Brotli implementation. Get one with `loadBrotliBackend`; its methods are then
 * synchronous where the implementation allows, which is the fastest way to handle many small
 * messages.
 */
export interface BrotliBackend {
  /** Which implementation this is. */
  readonly name: BrotliBackendName;
  /** What it supports. */
  readonly capabilities: BrotliCapabilities;
  /**
   * Wasm only: how the module was loaded, `"wasm-import"` (no permission needed) or `"fetch"`
   * (the package's web build; needs read access to the package directory).
   */
  readonly route?: "wasm-import" | "fetch";
  /** Compresses a whole buffer. Options must already be validated. */
  compress(bytes: Uint8Array, options: ResolvedCompressOptions): Uint8Array | Promise<Uint8Array>;
  /** Decompresses a whole buffer, producing at most `maxOutputSize` bytes. */
  decompress(bytes: Uint8Array, maxOutputSize: number): Uint8Array | Promise<Uint8Array>;
  /** Starts a streaming compression context. */
  createCompressor(options: ResolvedCompressOptions): BrotliStreamEngine;
  /** Starts a streaming decompression context bounded by `maxOutputSize`. */
  createDecompressor(maxOutputSize: number): BrotliStreamEngine;
}
