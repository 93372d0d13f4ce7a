/**
 * The native backend: Brotli from `node:zlib` (Deno, Node, Bun), the fastest implementation in
 * these runtimes and the one that can flush mid-stream.
 *
 * Deno 2.9's `node:zlib` bounds its output (`maxOutputLength`) but accepts a truncated stream
 * silently. A probe at load time detects that, and such runtimes get a second, verifying pass
 * (`_verify.ts`), so this backend is always strict; `capabilities.strictBoundedDecode` tells
 * whether it is strict without that extra cost, which is what the automatic choice looks at.
 *
 * @module
 */

import type { BrotliBackend, BrotliStreamEngine } from "./backend.ts";
import { plainBytes } from "./_bytes.ts";
import {
  BrotliCorruptInputError,
  BrotliError,
  BrotliOutputLimitError,
  BrotliUnsupportedError,
} from "./errors.ts";
import type { ResolvedCompressOptions } from "./options.ts";
import { StreamVerifier, verifyComplete } from "./_verify.ts";
import { FAST_QUALITY_MAX, fastWindowFor } from "./_window.ts";

type Zlib = typeof import("node:zlib");
type NodeTransform = import("node:zlib").BrotliCompress;

const MODES = { generic: 0, text: 1, font: 2 } as const;

function params(zlib: Zlib, options: ResolvedCompressOptions, sizeHint?: number) {
  const c = zlib.constants;
  const p: Record<number, number> = {
    [c.BROTLI_PARAM_QUALITY]: options.quality,
    [c.BROTLI_PARAM_LGWIN]: options.lgwin,
    [c.BROTLI_PARAM_MODE]: MODES[options.mode],
  };
  if (sizeHint !== undefined) p[c.BROTLI_PARAM_SIZE_HINT] = sizeHint;
  return p;
}

function decodeError(cause: unknown, limit: number): BrotliError {
  if (cause instanceof BrotliError) return cause;
  const code = (cause as { code?: unknown } | null)?.code;
  if (code === "ERR_BUFFER_TOO_LARGE") return new BrotliOutputLimitError(limit, { cause });
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new BrotliCorruptInputError(`invalid stream: ${detail}`, { cause });
}

/** A view of a stream output chunk: each one is a distinct region owned by this stream. */
function view(chunk: Uint8Array): Uint8Array {
  return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Shared plumbing: a Node transform whose output is collected between calls. */
class NodeEngine {
  protected stream: NodeTransform;
  protected out: Uint8Array[] = [];
  protected failure: unknown;
  #ended: Promise<void>;
  #closed = false;
  /** The stream ended, failed or was destroyed. */
  #over = false;
  /** Calls waiting for a callback that a destroyed stream may never make. */
  #waiters = new Set<() => void>();

  constructor(stream: NodeTransform) {
    this.stream = stream;
    stream.on("data", (chunk: Uint8Array) => this.onData(chunk));
    this.#ended = new Promise<void>((resolve) => {
      const over = () => {
        this.#over = true;
        resolve();
        for (const w of [...this.#waiters]) w();
      };
      stream.on("end", over);
      stream.on("error", (cause: unknown) => {
        this.failure ??= cause;
        over();
      });
      stream.on("close", over);
    });
  }

  protected onData(chunk: Uint8Array): void {
    this.out.push(view(chunk));
  }

  protected drain(): Uint8Array[] {
    if (this.failure !== undefined) {
      this.close();
      throw this.wrap(this.failure);
    }
    const out = this.out;
    this.out = [];
    return out;
  }

  protected wrap(cause: unknown): BrotliError {
    if (cause instanceof BrotliError) return cause;
    return new BrotliCorruptInputError(String(cause), { cause });
  }

  push(chunk: Uint8Array): Promise<Uint8Array[]> {
    if (this.#closed) return Promise.reject(new BrotliUnsupportedError("Stream is closed"));
    return this.settle((done) => this.stream.write(chunk, done));
  }

  /**
   * Runs a write-like call and drains once its callback fires, or once the stream ends or fails
   * (a destroyed stream need not call pending callbacks, and a hang is never acceptable).
   */
  protected settle(start: (done: (err?: Error | null) => void) => void): Promise<Uint8Array[]> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = () => {
        if (settled) return;
        settled = true;
        this.#waiters.delete(finish);
        try {
          resolve(this.drain());
        } catch (e) {
          reject(e);
        }
      };
      if (this.#over) return finish();
      this.#waiters.add(finish);
      start((err) => {
        if (err && this.failure === undefined) this.failure = err;
        finish();
      });
    });
  }

  async finish(): Promise<Uint8Array[]> {
    if (this.#closed) throw new BrotliUnsupportedError("Stream is closed");
    this.stream.end();
    await this.#ended;
    const out = this.drain();
    this.#closed = true;
    return out;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.stream.destroy();
  }
}

class NativeCompressor extends NodeEngine implements BrotliStreamEngine {
  #zlib: Zlib;

  constructor(zlib: Zlib, options: ResolvedCompressOptions) {
    super(zlib.createBrotliCompress({ params: params(zlib, options) }));
    this.#zlib = zlib;
  }

  flush(): Promise<Uint8Array[]> {
    const kind = this.#zlib.constants.BROTLI_OPERATION_FLUSH;
    return this.settle((done) => this.stream.flush(kind, () => done()));
  }
}

class NativeDecompressor extends NodeEngine implements BrotliStreamEngine {
  #limit: number;
  #total = 0;
  #verifier: StreamVerifier | undefined;
  #sawInput = false;

  constructor(zlib: Zlib, limit: number, strict: boolean) {
    super(zlib.createBrotliDecompress());
    this.#limit = limit;
    this.#verifier = strict ? undefined : new StreamVerifier();
  }

  protected override onData(chunk: Uint8Array): void {
    if (this.failure !== undefined) return;
    this.#total += chunk.length;
    if (this.#total > this.#limit) {
      // Output arrives in 16 KiB pieces, so at most one piece past the limit is ever held.
      this.failure = new BrotliOutputLimitError(this.#limit);
      this.out = [];
      this.stream.destroy();
      return;
    }
    super.onData(chunk);
  }

  protected override wrap(cause: unknown): BrotliError {
    return decodeError(cause, this.#limit);
  }

  override async push(chunk: Uint8Array): Promise<Uint8Array[]> {
    if (chunk.length === 0) return [];
    this.#sawInput = true;
    const out = await super.push(chunk);
    this.#verifier?.push(chunk);
    return out;
  }

  flush(): Uint8Array[] {
    return [];
  }

  override async finish(): Promise<Uint8Array[]> {
    const out = await super.finish();
    if (!this.#sawInput) throw new BrotliCorruptInputError("stream is truncated");
    await this.#verifier?.finish();
    return out;
  }

  override close(): void {
    this.#verifier?.close();
    super.close();
  }
}

let loading: Promise<BrotliBackend> | undefined;

/** Whether this `node:zlib` reports a truncated stream (Node does; Deno 2.9 does not). */
function detectsTruncation(zlib: Zlib): boolean {
  const whole = zlib.brotliCompressSync(
    new TextEncoder().encode("h2kit truncation probe ".repeat(8)),
  );
  try {
    zlib.brotliDecompressSync(whole.subarray(0, whole.length - 1));
    return false;
  } catch {
    return true;
  }
}

async function load(): Promise<BrotliBackend> {
  let zlib: Zlib;
  try {
    zlib = await import("node:zlib");
    if (typeof zlib.brotliCompressSync !== "function") {
      throw new TypeError("no Brotli in node:zlib");
    }
  } catch (cause) {
    throw new BrotliUnsupportedError("Cannot load the native Brotli backend: no node:zlib", {
      cause,
    });
  }
  const strict = detectsTruncation(zlib);
  const kMaxLength = (await import("node:buffer")).constants.MAX_LENGTH;

  function decompressSync(bytes: Uint8Array, limit: number): Uint8Array {
    if (bytes.length === 0) throw new BrotliCorruptInputError("stream is truncated");
    let out: Uint8Array;
    try {
      // maxOutputLength must be at least 1; a zero limit is checked below.
      out = zlib.brotliDecompressSync(bytes, {
        maxOutputLength: Math.max(1, Math.min(limit, kMaxLength)),
      });
    } catch (cause) {
      throw decodeError(cause, limit);
    }
    if (out.length > limit) throw new BrotliOutputLimitError(limit);
    return plainBytes(out);
  }

  return {
    name: "native",
    capabilities: {
      canFlush: true,
      quality: true,
      lgwin: true,
      mode: true,
      strictBoundedDecode: strict,
    },
    compress(bytes, options) {
      // The whole input is known: at qualities 0-1 a window that just covers it lets the
      // decoder allocate a small ring buffer (see _window.ts); the output decodes the same.
      const sized = options.quality <= FAST_QUALITY_MAX
        ? { ...options, lgwin: fastWindowFor(bytes.length, options.lgwin) }
        : options;
      return plainBytes(
        zlib.brotliCompressSync(bytes, { params: params(zlib, sized, bytes.length) }),
      );
    },
    decompress(bytes, maxOutputSize) {
      const out = decompressSync(bytes, maxOutputSize);
      if (strict) return out;
      return verifyComplete(bytes).then(() => out);
    },
    createCompressor(options) {
      return new NativeCompressor(zlib, options);
    },
    createDecompressor(maxOutputSize) {
      return new NativeDecompressor(zlib, maxOutputSize, strict);
    },
  };
}

/**
 * Loads the native backend.
 *
 * @returns The backend.
 * @throws {BrotliUnsupportedError} When the runtime has no `node:zlib` Brotli.
 */
export function loadNativeBackend(): Promise<BrotliBackend> {
  loading ??= load().catch((e) => {
    loading = undefined;
    throw e;
  });
  return loading;
}
