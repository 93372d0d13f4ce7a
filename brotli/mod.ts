/**
 * Brotli (RFC 7932) for h2kit: one-shot and streaming compression and decompression over three
 * backends, bounded and strict decoding, and the codec shape used for `grpc-encoding: br`.
 *
 * - `compress` / `decompress`: whole buffers.
 * - `CompressStream` / `DecompressStream`: Web `TransformStream`s.
 * - `compressStream` / `decompressStream`: Effect `Stream` pipes.
 * - `brotliCodec` / `makeBrotliCodec`: `{ name: "br", compress, decompress(bytes, maxBytes) }` with
 *   promises; `loadBrotliSyncCodec()`: the same shape with synchronous calls (per-message RPC).
 * - `loadBrotliBackend`: a backend object with synchronous calls where the backend allows.
 *
 * Backends: `native` (`node:zlib`), `wasm` (`brotli-wasm`, always available, no flush) and `web`
 * (`CompressionStream("brotli")`). See README.md for permissions.
 *
 * @example Bomb-safe decompression
 * ```ts
 * import { BrotliOutputLimitError, compress, decompress } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const packed = await compress(new Uint8Array(1 << 20));
 * await assert.rejects(decompress(packed, { maxOutputSize: 1024 }), BrotliOutputLimitError);
 * ```
 *
 * @module
 */

export type { BrotliBackend, BrotliCapabilities, BrotliStreamEngine } from "./backend.ts";
export {
  type BrotliCodec,
  brotliCodec,
  type BrotliCodecOptions,
  type BrotliSyncCodec,
  loadBrotliSyncCodec,
  makeBrotliCodec,
} from "./codec.ts";
export { compressStream, decompressStream } from "./effect_stream.ts";
export {
  BrotliCorruptInputError,
  BrotliError,
  type BrotliErrorOptions,
  BrotliOutputLimitError,
  BrotliUnsupportedError,
} from "./errors.ts";
export {
  availableBrotliBackends,
  loadBrotliBackend,
  type LoadBrotliBackendOptions,
} from "./load_backend.ts";
export { compress, decompress } from "./one_shot.ts";
export {
  type BrotliBackendChoice,
  type BrotliBackendName,
  type BrotliCompressOptions,
  type BrotliDecompressOptions,
  type BrotliMode,
  DEFAULT_LGWIN,
  DEFAULT_MAX_OUTPUT_SIZE,
  DEFAULT_QUALITY,
  resolveCompressOptions,
  resolveMaxOutputSize,
} from "./options.ts";
export { CompressStream, type CompressStreamOptions, DecompressStream } from "./streams.ts";
