/**
 * The web backend: `CompressionStream("brotli")` / `DecompressionStream("brotli")`, for runtimes
 * where that is all there is. It takes no options (the runtime picks the quality) and flushes
 * after every chunk written. Its decoder hands back all the output of a written chunk at once, so
 * input is fed in small slices to keep a bomb's overshoot past the limit small.
 *
 * @module
 */

import type { BrotliBackend, BrotliStreamEngine } from "./backend.ts";
import { concatBytes } from "./_bytes.ts";
import {
  BrotliCorruptInputError,
  BrotliError,
  BrotliOutputLimitError,
  BrotliUnsupportedError,
} from "./errors.ts";
import type { ResolvedCompressOptions } from "./options.ts";

// Brotli can expand a few bytes into megabytes, so a decoder slice is kept tiny; it is a
// fallback backend, correctness before speed.
const DECODE_SLICE = 16;

function requireDefaults(options: ResolvedCompressOptions): void {
  if (options.explicit) {
    throw new BrotliUnsupportedError(
      'Cannot compress with backend "web": CompressionStream takes no quality, lgwin or mode',
    );
  }
}

class WebEngine implements BrotliStreamEngine {
  #writer: WritableStreamDefaultWriter<BufferSource>;
  #out: Uint8Array[] = [];
  #total = 0;
  #failure: unknown;
  #pump: Promise<void>;
  #limit: number;
  #slice: number;
  #decoder: boolean;
  #closed = false;

  constructor(ts: TransformStream<BufferSource, Uint8Array>, limit: number, decoder: boolean) {
    this.#limit = limit;
    this.#decoder = decoder;
    // Without a limit there is nothing to overshoot, so chunks go in whole.
    this.#slice = decoder && limit !== Infinity ? DECODE_SLICE : Infinity;
    this.#writer = ts.writable.getWriter();
    this.#writer.closed.catch(() => {});
    const reader = ts.readable.getReader();
    this.#pump = this.#run(reader);
  }

  async #run(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    try {
      for (;;) {
        const r = await reader.read();
        if (r.done) return;
        this.#total += r.value.length;
        if (this.#total > this.#limit) {
          this.#failure ??= new BrotliOutputLimitError(this.#limit);
          this.#out = [];
          reader.cancel().catch(() => {});
          this.#writer.abort().catch(() => {});
          return;
        }
        this.#out.push(r.value);
      }
    } catch (cause) {
      this.#failure ??= cause;
    }
  }

  #drain(): Uint8Array[] {
    if (this.#failure !== undefined) {
      const f = this.#failure;
      this.close();
      if (f instanceof BrotliError) throw f;
      const detail = f instanceof Error ? f.message : String(f);
      throw new BrotliCorruptInputError(`invalid stream: ${detail}`, { cause: f });
    }
    const out = this.#out;
    this.#out = [];
    return out;
  }

  async push(chunk: Uint8Array): Promise<Uint8Array[]> {
    if (this.#closed) throw new BrotliUnsupportedError("Stream is closed");
    for (let off = 0; off < chunk.length && this.#failure === undefined; off += this.#slice) {
      const end = Math.min(off + this.#slice, chunk.length);
      // Copied: the transform runs later and the caller may reuse its buffer.
      await this.#writer.write(chunk.slice(off, end)).catch((e) => (this.#failure ??= e));
    }
    return this.#drain();
  }

  async flush(): Promise<Uint8Array[]> {
    if (this.#decoder) return [];
    // CompressionStream flushes every chunk; wait one task so the reader has taken it.
    await this.#writer.ready;
    await new Promise((resolve) => setTimeout(resolve, 0));
    return this.#drain();
  }

  async finish(): Promise<Uint8Array[]> {
    if (this.#closed) throw new BrotliUnsupportedError("Stream is closed");
    await this.#writer.close().catch((e) => (this.#failure ??= e));
    await this.#pump;
    const out = this.#drain();
    this.#closed = true;
    return out;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#writer.abort().catch(() => {});
  }
}

async function runWhole(engine: WebEngine, bytes: Uint8Array): Promise<Uint8Array> {
  const out = await engine.push(bytes);
  for (const c of await engine.finish()) out.push(c);
  return concatBytes(out);
}

/**
 * Loads the web backend.
 *
 * @returns The backend; its methods are asynchronous.
 * @throws {BrotliUnsupportedError} When the runtime's compression streams lack `"brotli"`.
 */
export function loadWebBackend(): Promise<BrotliBackend> {
  try {
    // Constructing both checks that the runtime accepts the format.
    new CompressionStream("brotli" as CompressionFormat);
    new DecompressionStream("brotli" as CompressionFormat);
  } catch (cause) {
    return Promise.reject(
      new BrotliUnsupportedError('Cannot load the web Brotli backend: no "brotli" format', {
        cause,
      }),
    );
  }
  const encoder = () =>
    new WebEngine(new CompressionStream("brotli" as CompressionFormat), Infinity, false);
  const decoder = (limit: number) =>
    new WebEngine(new DecompressionStream("brotli" as CompressionFormat), limit, true);
  return Promise.resolve({
    name: "web",
    capabilities: {
      canFlush: true,
      quality: false,
      lgwin: false,
      mode: false,
      strictBoundedDecode: false,
    },
    compress(bytes, options) {
      requireDefaults(options);
      return runWhole(encoder(), bytes);
    },
    decompress(bytes, maxOutputSize) {
      if (bytes.length === 0) {
        return Promise.reject(new BrotliCorruptInputError("stream is truncated"));
      }
      return runWhole(decoder(maxOutputSize), bytes);
    },
    createCompressor(options) {
      requireDefaults(options);
      return encoder();
    },
    createDecompressor(maxOutputSize) {
      return decoder(maxOutputSize);
    },
  });
}
