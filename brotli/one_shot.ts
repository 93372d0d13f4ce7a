/**
 * One-shot Brotli compression and decompression of whole buffers (RFC 7932).
 *
 * @module
 */

import { decoderFor, loadBrotliBackend } from "./load_backend.ts";
import {
  type BrotliCompressOptions,
  type BrotliDecompressOptions,
  resolveCompressOptions,
  resolveMaxOutputSize,
} from "./options.ts";

/**
 * Compresses a whole buffer.
 *
 * Use it for bodies and messages that are already in memory (per-message gRPC compression,
 * cached responses); use `CompressStream` or `compressStream` for data that arrives in pieces.
 *
 * @example Round trip
 * ```ts
 * import { compress, decompress } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const text = new TextEncoder().encode("hello hello hello");
 * const packed = await compress(text, { quality: 5 });
 * assert.deepEqual(await decompress(packed), text);
 * ```
 *
 * @param bytes The data.
 * @param options Quality, window, mode and backend.
 * @returns The Brotli stream.
 * @throws {RangeError} For an option out of range.
 * @throws {BrotliUnsupportedError} When the chosen backend cannot honour an option.
 */
export async function compress(
  bytes: Uint8Array,
  options: BrotliCompressOptions = {},
): Promise<Uint8Array> {
  const resolved = resolveCompressOptions(options);
  const backend = await loadBrotliBackend(options.backend, { compress: options });
  return await backend.compress(bytes, resolved);
}

/**
 * Decompresses a whole Brotli stream, refusing more than `maxOutputSize` bytes of output.
 *
 * The decoder runs in bounded chunks and stops at the first one that crosses the limit, so a
 * bomb costs at most the limit in memory.
 *
 * @param bytes A complete Brotli stream.
 * @param options The output limit and backend.
 * @returns The decompressed data.
 * @throws {BrotliOutputLimitError} When the output would exceed `maxOutputSize`.
 * @throws {BrotliCorruptInputError} For corrupt or truncated input or trailing bytes.
 */
export async function decompress(
  bytes: Uint8Array,
  options: BrotliDecompressOptions = {},
): Promise<Uint8Array> {
  const limit = resolveMaxOutputSize(options);
  const backend = await loadBrotliBackend(options.backend, { purpose: "decompress" });
  return await decoderFor(backend, options.backend, bytes).decompress(bytes, limit);
}
