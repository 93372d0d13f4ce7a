/**
 * A strictness check for decoders that bound their output but do not report a truncated
 * stream (Deno 2.9's `node:zlib` returns the decoded prefix of a truncated Brotli stream without
 * an error). The input is decoded a second time by `DecompressionStream("brotli")`, which does
 * report truncation and trailing bytes. It runs only after the bounded decoder accepted the same
 * bytes, so its output is already known to fit the limit.
 *
 * @module
 */

import { BrotliCorruptInputError, BrotliUnsupportedError } from "./errors.ts";

/** Feeds chunks to a second decoder and tells at the end whether the stream was complete. */
export class StreamVerifier {
  #writer: WritableStreamDefaultWriter<BufferSource>;
  #drained: Promise<void>;
  #failure: unknown;

  constructor() {
    if (typeof DecompressionStream !== "function") {
      throw new BrotliUnsupportedError(
        "Cannot verify Brotli input: DecompressionStream is not available in this runtime",
      );
    }
    const ds = new DecompressionStream("brotli" as CompressionFormat);
    this.#writer = ds.writable.getWriter();
    const reader = ds.readable.getReader();
    this.#drained = (async () => {
      try {
        while (!(await reader.read()).done) {
          // Output is discarded: only the decoder's verdict matters.
        }
      } catch (cause) {
        this.#failure ??= cause;
      }
    })();
    // The writer's promises reject together with the reader; the reader records the reason.
    this.#writer.closed.catch(() => {});
  }

  /** Feeds a copy of one chunk (the caller may reuse its buffer); the verdict comes from {@link finish}. */
  push(chunk: Uint8Array): void {
    if (chunk.length > 0) {
      this.#writer.write(chunk.slice()).catch((cause) => (this.#failure ??= cause));
    }
  }

  /** Ends the input and throws `BrotliCorruptInputError` if the stream was not complete. */
  async finish(): Promise<void> {
    await this.#writer.close().catch((cause) => (this.#failure ??= cause));
    await this.#drained;
    if (this.#failure !== undefined) {
      throw new BrotliCorruptInputError("stream is truncated or has trailing bytes", {
        cause: this.#failure,
      });
    }
  }

  /** Abandons verification. */
  close(): void {
    this.#writer.abort().catch(() => {});
  }
}

/** Verifies a whole buffer; see {@link StreamVerifier}. */
export async function verifyComplete(bytes: Uint8Array): Promise<void> {
  const v = new StreamVerifier();
  v.push(bytes);
  await v.finish();
}
