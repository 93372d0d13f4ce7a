/**
 * The Brotli codec in the shape `rpc/compression.ts` uses for `grpc-encoding: br` (and HTTP
 * content-coding can use for `content-encoding: br`).
 *
 * @module
 */

import type { BrotliBackend } from "./backend.ts";
import { BrotliUnsupportedError } from "./errors.ts";
import { decoderFor, loadBrotliBackend } from "./load_backend.ts";
import { type BrotliBackendChoice, resolveCompressOptions } from "./options.ts";

/**
 * A named message compressor: `compress` a whole message, `decompress` one refusing more than
 * `maxBytes` of output (with `BrotliOutputLimitError`; corrupt input gives
 * `BrotliCorruptInputError`).
 */
export interface BrotliCodec {
  /** The content-coding token: `"br"` (RFC 9110 §8.4.1, RFC 7932). */
  readonly name: "br";
  /** Compresses one message. */
  compress(bytes: Uint8Array): Promise<Uint8Array>;
  /** Decompresses one message into at most `maxBytes` bytes. */
  decompress(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array>;
}

/** Options of {@link makeBrotliCodec}. */
export interface BrotliCodecOptions {
  /** Compression quality; default 4. Avoid 10 and 11 per message (milliseconds per call). */
  readonly quality?: number;
  /** Backend; default `"auto"`. */
  readonly backend?: BrotliBackendChoice;
}

/**
 * Makes a {@link BrotliCodec}. The backends are loaded on first use and then called directly,
 * so a message costs one backend call (synchronous for `native` and `wasm`).
 *
 * @param options Quality and backend.
 * @returns The codec.
 * @throws {RangeError} For a quality out of range.
 */
export function makeBrotliCodec(options: BrotliCodecOptions = {}): BrotliCodec {
  const resolved = resolveCompressOptions({ quality: options.quality });
  let encoding: Promise<BrotliBackend> | undefined;
  let decoding: Promise<BrotliBackend> | undefined;
  const encoder = () =>
    encoding ??= loadBrotliBackend(options.backend, { compress: { quality: options.quality } })
      .catch((e) => {
        encoding = undefined;
        throw e;
      });
  const decoder = () =>
    decoding ??= loadBrotliBackend(options.backend, { purpose: "decompress" }).catch((e) => {
      decoding = undefined;
      throw e;
    });
  return {
    name: "br",
    async compress(bytes) {
      return await (await encoder()).compress(bytes, resolved);
    },
    async decompress(bytes, maxBytes) {
      return await decoderFor(await decoder(), options.backend, bytes).decompress(bytes, maxBytes);
    },
  };
}

/** The default {@link BrotliCodec}: quality 4, automatic backend. */
export const brotliCodec: BrotliCodec = makeBrotliCodec();

/**
 * A {@link BrotliCodec} whose calls are synchronous, for per-message RPC compression where a
 * promise per message would cost more than compressing a small message. Matches
 * `rpc/compression.ts`'s `Compression` interface.
 */
export interface BrotliSyncCodec {
  /** The content-coding token: `"br"`. */
  readonly name: "br";
  /** Compresses one message. */
  compress(bytes: Uint8Array): Uint8Array;
  /**
   * Decompresses one message into at most `maxBytes` bytes; throws `BrotliOutputLimitError` past
   * it and `BrotliCorruptInputError` for corrupt or truncated input.
   */
  decompress(bytes: Uint8Array, maxBytes: number): Uint8Array;
}

/**
 * Loads the backends once and returns a {@link BrotliSyncCodec}.
 *
 * `"auto"` compresses natively and decompresses with the fastest decoder that is strict and
 * bounded synchronously: native where the runtime's `node:zlib` reports truncation (Node), Wasm
 * otherwise (Deno 2.9). The `web` backend is asynchronous and cannot be used here.
 *
 * @example Per-message compression
 * ```ts
 * import { loadBrotliSyncCodec } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const br = await loadBrotliSyncCodec();
 * const message = new TextEncoder().encode("ping ".repeat(50));
 * assert.deepEqual(br.decompress(br.compress(message), 1024), message);
 * ```
 *
 * @param options Quality and backend.
 * @returns The codec.
 * @throws {BrotliUnsupportedError} When the chosen backend cannot decode synchronously.
 */
export async function loadBrotliSyncCodec(
  options: BrotliCodecOptions = {},
): Promise<BrotliSyncCodec> {
  const resolved = resolveCompressOptions({ quality: options.quality });
  const choice = options.backend ?? "auto";
  if (choice === "web") {
    throw new BrotliUnsupportedError('Cannot make a synchronous Brotli codec on backend "web"');
  }
  const encoder = await loadBrotliBackend(choice, { compress: { quality: options.quality } });
  const decoder = await loadBrotliBackend(choice, { purpose: "decompress" });
  if (!decoder.capabilities.strictBoundedDecode) {
    throw new BrotliUnsupportedError(
      `Cannot make a synchronous Brotli codec on backend "${decoder.name}": its decoder needs ` +
        'an asynchronous verifying pass in this runtime; use "wasm" or "auto"',
    );
  }
  return {
    name: "br",
    compress: (bytes) => encoder.compress(bytes, resolved) as Uint8Array,
    decompress: (bytes, maxBytes) => decoder.decompress(bytes, maxBytes) as Uint8Array,
  };
}
