/**
 * Typed errors of the Brotli module.
 *
 * Every failure the module raises is a {@link BrotliError}. The subclasses carry a literal `_tag`
 * so that Effect code can use `Effect.catchTag` on them and plain code can use `instanceof`.
 *
 * @module
 */

/** Options shared by every {@link BrotliError}. */
export interface BrotliErrorOptions {
  /** The underlying error reported by the backend, if any. */
  readonly cause?: unknown;
}

/**
 * Base class of every error raised by `brotli/`.
 *
 * Catch this to handle any Brotli failure; catch a subclass for one condition.
 */
export class BrotliError extends Error {
  /** Discriminant for Effect's `catchTag`; each subclass narrows it. */
  readonly _tag:
    | "BrotliError"
    | "BrotliOutputLimitError"
    | "BrotliCorruptInputError"
    | "BrotliUnsupportedError" = "BrotliError";

  /**
   * @param message A sentence-case description without a final period.
   * @param options The underlying cause.
   */
  constructor(message: string, options: BrotliErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/**
 * Decompression was stopped because the output would exceed the caller's `maxOutputSize`.
 *
 * Raised before a buffer larger than the limit is allocated: decoders run in bounded chunks
 * and stop at the first chunk that crosses the limit. This is the answer to a decompression
 * bomb; HTTP maps it to 413 or a stream reset, gRPC to RESOURCE_EXHAUSTED.
 */
export class BrotliOutputLimitError extends BrotliError {
  override readonly _tag = "BrotliOutputLimitError";
  /** The limit that was crossed, in bytes. */
  readonly limit: number;

  /**
   * @param limit The `maxOutputSize` in force.
   * @param options The underlying cause.
   */
  constructor(limit: number, options: BrotliErrorOptions = {}) {
    super(`Cannot decompress Brotli data: output exceeds the limit of ${limit} bytes`, options);
    this.limit = limit;
  }
}

/**
 * The input is not a complete, valid Brotli stream (RFC 7932): corrupt, truncated, or followed
 * by trailing bytes.
 */
export class BrotliCorruptInputError extends BrotliError {
  override readonly _tag = "BrotliCorruptInputError";

  /**
   * @param detail What is wrong, e.g. `"stream is truncated"`.
   * @param options The underlying cause.
   */
  constructor(detail: string, options: BrotliErrorOptions = {}) {
    super(`Cannot decompress Brotli data: ${detail}`, options);
  }
}

/**
 * The requested backend is not available in this runtime, or cannot honour an option (for
 * example a window size on the Wasm backend, or flushing on a backend without flush).
 */
export class BrotliUnsupportedError extends BrotliError {
  override readonly _tag = "BrotliUnsupportedError";
}
