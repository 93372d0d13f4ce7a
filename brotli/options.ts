/**
 * Options of Brotli compression and decompression, their defaults and validation.
 *
 * @module
 */

import { BrotliUnsupportedError } from "./errors.ts";

/**
 * The encoder's hint about the input (RFC 7932 does not store it; it only tunes the encoder):
 * `"generic"`, `"text"` (UTF-8) or `"font"` (WOFF 2.0).
 */
export type BrotliMode = "generic" | "text" | "font";

/**
 * Which implementation runs the codec.
 *
 * - `"wasm"`: the reference algorithm compiled to WebAssembly (npm `brotli-wasm`); always available.
 * - `"native"`: `node:zlib` (Deno, Node, Bun).
 * - `"web"`: `CompressionStream("brotli")` / `DecompressionStream("brotli")`.
 * - `"auto"`: the fastest available backend that can do what was asked (see `loadBrotliBackend`).
 */
export type BrotliBackendName = "wasm" | "native" | "web";

/** A backend name or `"auto"`. */
export type BrotliBackendChoice = BrotliBackendName | "auto";

/** Options of compression, one-shot or streaming. */
export interface BrotliCompressOptions {
  /** 0 (fastest) to 11 (smallest); default {@link DEFAULT_QUALITY}. */
  readonly quality?: number;
  /** Log2 of the sliding window, 10 to 24 (RFC 7932 §9.1); default 22. */
  readonly lgwin?: number;
  /** Encoder hint; ignored by backends that cannot take it (it never changes the format). */
  readonly mode?: BrotliMode;
  /** Which implementation to use; default `"auto"`. */
  readonly backend?: BrotliBackendChoice;
}

/** Options of decompression, one-shot or streaming. */
export interface BrotliDecompressOptions {
  /**
   * The most bytes of output accepted; more raises `BrotliOutputLimitError` before they are
   * allocated. Default {@link DEFAULT_MAX_OUTPUT_SIZE}; `Infinity` disables the limit.
   */
  readonly maxOutputSize?: number;
  /** Which implementation to use; default `"auto"`. */
  readonly backend?: BrotliBackendChoice;
}

/**
 * Default quality: 4 gives most of quality 6's ratio at about twice the speed, the usual choice
 * for compressing dynamic responses and RPC messages on the fly.
 */
export const DEFAULT_QUALITY = 4;

/** Default window: 22 (4 MiB), what every encoder uses unless told otherwise. */
export const DEFAULT_LGWIN = 22;

/** Default decompression limit: 64 MiB, so a bomb never costs more than that by default. */
export const DEFAULT_MAX_OUTPUT_SIZE = 64 * 1024 * 1024;

/** Compression options after validation and defaults. */
export interface ResolvedCompressOptions {
  readonly quality: number;
  readonly lgwin: number;
  readonly mode: BrotliMode;
  /** Whether the caller set `quality`, `lgwin` or `mode` explicitly (the web backend can't). */
  readonly explicit: boolean;
}

/**
 * Validates compression options and applies defaults.
 *
 * @param options The caller's options.
 * @returns The resolved options.
 * @throws {RangeError} When quality, window or mode is out of range.
 */
export function resolveCompressOptions(
  options: BrotliCompressOptions = {},
): ResolvedCompressOptions {
  const quality = options.quality ?? DEFAULT_QUALITY;
  const lgwin = options.lgwin ?? DEFAULT_LGWIN;
  const mode = options.mode ?? "generic";
  if (!Number.isInteger(quality) || quality < 0 || quality > 11) {
    throw new RangeError(
      `Cannot compress: quality must be an integer from 0 to 11, got "${quality}"`,
    );
  }
  if (!Number.isInteger(lgwin) || lgwin < 10 || lgwin > 24) {
    throw new RangeError(`Cannot compress: lgwin must be an integer from 10 to 24, got "${lgwin}"`);
  }
  if (mode !== "generic" && mode !== "text" && mode !== "font") {
    throw new RangeError(
      `Cannot compress: mode must be "generic", "text" or "font", got "${mode}"`,
    );
  }
  const explicit = options.quality !== undefined || options.lgwin !== undefined ||
    options.mode !== undefined;
  return { quality, lgwin, mode, explicit };
}

/**
 * Validates the decompression limit and applies the default.
 *
 * @param options The caller's options.
 * @returns The limit in bytes (`Infinity` for none).
 * @throws {RangeError} When the limit is negative or not a number.
 */
export function resolveMaxOutputSize(options: BrotliDecompressOptions = {}): number {
  const limit = options.maxOutputSize ?? DEFAULT_MAX_OUTPUT_SIZE;
  if (
    Number.isNaN(limit) || limit < 0 || (limit !== Infinity && !Number.isSafeInteger(limit))
  ) {
    throw new RangeError(
      `Cannot decompress: maxOutputSize must be a non-negative integer or Infinity, got "${limit}"`,
    );
  }
  return limit;
}

/**
 * Throws when a backend cannot honour a window size (it would change what the peer needs to
 * decode). The mode is only an encoder hint, so backends ignore it instead.
 *
 * @param backend The backend name, for the message.
 * @param options The resolved options.
 */
export function requireDefaultWindow(backend: string, options: ResolvedCompressOptions): void {
  if (options.lgwin !== DEFAULT_LGWIN) {
    throw new BrotliUnsupportedError(
      `Cannot compress with backend "${backend}": lgwin "${options.lgwin}" is not supported`,
    );
  }
}
