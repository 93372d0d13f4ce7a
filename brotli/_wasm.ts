/**
 * The Wasm backend: the reference Brotli algorithm (Rust `brotli` crate) compiled to WebAssembly,
 * from the npm package `brotli-wasm`. Available wherever WebAssembly is.
 *
 * Loading, least privilege first:
 * 1. The package's `pkg.bundler` build imports its `.wasm` as an ES module. Deno loads Wasm
 *    modules natively, and a module-graph import needs no `--allow-read`, so this route runs with
 *    no permission at all. The package's `exports` map hides that file from a bare specifier, so
 *    its URL is derived from `import.meta.resolve("brotli-wasm")`, which is a `file:` URL when
 *    Deno uses a `node_modules` directory (`"nodeModulesDir": "auto"`, as this repo does).
 * 2. Otherwise the package's default web build, which `fetch`es the `.wasm` next to it: under
 *    Deno that is a `file:` read and needs `--allow-read` for the package directory.
 *
 * @module
 */

import type { BrotliBackend, BrotliStreamEngine } from "./backend.ts";
import { concatBytes } from "./_bytes.ts";
import {
  BrotliCorruptInputError,
  BrotliOutputLimitError,
  BrotliUnsupportedError,
} from "./errors.ts";
import { requireDefaultWindow, type ResolvedCompressOptions } from "./options.ts";
import { FAST_QUALITY_MAX, narrowDefaultWindow } from "./_window.ts";

interface WasmStreamResult {
  readonly buf: Uint8Array;
  readonly code: number;
  readonly input_offset: number;
  free(): void;
}

interface WasmCompressStream {
  compress(input: Uint8Array | undefined, outputSize: number): WasmStreamResult;
  free(): void;
}

interface WasmDecompressStream {
  decompress(input: Uint8Array, outputSize: number): WasmStreamResult;
  free(): void;
}

/** The part of brotli-wasm's API this backend uses. */
interface BrotliWasmModule {
  compress(buf: Uint8Array, options?: { quality?: number }): Uint8Array;
  CompressStream: new (quality?: number) => WasmCompressStream;
  DecompressStream: new () => WasmDecompressStream;
}

// BrotliStreamResultCode (brotli-wasm); a failure is thrown instead of returned.
const SUCCESS = 1;
const NEEDS_MORE_INPUT = 2;
const NEEDS_MORE_OUTPUT = 3;

// Every call copies its input into Wasm memory, so input is fed in slices: feeding a large
// buffer whole would copy it again on every call that stops for more output (quadratic).
const INPUT_SLICE = 64 * 1024;
const OUTPUT_CHUNK = 256 * 1024;
const COMPRESS_OUTPUT_CHUNK = 64 * 1024;

// Each stream call allocates and zero-fills an output buffer of the size asked for, and the
// result is copied twice on the way out (a clone in Rust, a slice in the glue). Asking for
// 256 KiB to decode a 1 KiB message cost about 40 µs of a 70 µs call (bench/brotli_bench.ts), so
// the first request is sized from the input and doubled while the decoder wants more.
const MIN_OUTPUT_REQUEST = 4 * 1024;
// A first guess of the expansion; typical web and RPC payloads compress 3-6x.
const EXPECTED_EXPANSION = 4;

/** The first output request for `inputLength` compressed bytes. */
function firstOutputRequest(inputLength: number): number {
  const guess = inputLength * EXPECTED_EXPANSION;
  return guess < MIN_OUTPUT_REQUEST
    ? MIN_OUTPUT_REQUEST
    : guess > OUTPUT_CHUNK
    ? OUTPUT_CHUNK
    : guess;
}

// brotli-wasm's one-shot `compress` runs the encoder through a reader that hands it 4 KiB at a
// time. At qualities 0 and 1 the encoder compresses each piece it is given as its own block, so
// larger inputs came out 20-30% bigger than native output of the same quality, and slower. Its
// streaming API given the whole input produces exactly native's output; above this size it is
// used instead (below, both are one piece and identical).
const ONE_SHOT_PIECE = 4 * 1024;

/** How the Wasm module was loaded, for diagnostics and the README. */
export type WasmLoadRoute = "wasm-import" | "fetch";

let loading: Promise<{ module: BrotliWasmModule; route: WasmLoadRoute }> | undefined;

async function importModule(): Promise<{ module: BrotliWasmModule; route: WasmLoadRoute }> {
  let entry: string | undefined;
  try {
    entry = import.meta.resolve("brotli-wasm");
  } catch {
    entry = undefined;
  }
  if (entry !== undefined && entry.startsWith("file:")) {
    try {
      const url = new URL("./pkg.bundler/brotli_wasm.js", entry).href;
      const module = (await import(url)) as BrotliWasmModule;
      if (typeof module.CompressStream === "function") return { module, route: "wasm-import" };
    } catch {
      // The runtime cannot import Wasm as a module: use the fetch-based build below.
    }
  }
  const web = await import("brotli-wasm");
  return { module: (await web.default) as unknown as BrotliWasmModule, route: "fetch" };
}

/** Loads the Wasm module once (later calls share it). */
export function loadWasmModule(): Promise<{ module: BrotliWasmModule; route: WasmLoadRoute }> {
  loading ??= importModule().catch((cause) => {
    loading = undefined;
    throw new BrotliUnsupportedError("Cannot load the Brotli Wasm module", { cause });
  });
  return loading;
}

function corrupt(cause: unknown): BrotliCorruptInputError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new BrotliCorruptInputError(`invalid stream: ${detail}`, { cause });
}

class WasmDecompressor implements BrotliStreamEngine {
  #dec: WasmDecompressStream | undefined;
  #limit: number;
  #total = 0;
  #done = false;

  constructor(module: BrotliWasmModule, limit: number) {
    this.#dec = new module.DecompressStream();
    this.#limit = limit;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.#feed(chunk, out);
    return out;
  }

  /** Appends the output of `chunk` to `out`; shared with the one-shot path. */
  feed(chunk: Uint8Array, out: Uint8Array[]): void {
    this.#feed(chunk, out);
  }

  get total(): number {
    return this.#total;
  }

  #feed(chunk: Uint8Array, out: Uint8Array[]): void {
    if (chunk.length === 0) return;
    if (this.#done) {
      this.close();
      throw new BrotliCorruptInputError("trailing bytes after the end of the stream");
    }
    const dec = this.#dec;
    if (dec === undefined) throw new BrotliCorruptInputError("the stream was already closed");
    let off = 0;
    let code = NEEDS_MORE_INPUT;
    let request = firstOutputRequest(Math.min(chunk.length, INPUT_SLICE));
    while (off < chunk.length || code === NEEDS_MORE_OUTPUT) {
      const slice = chunk.subarray(off, Math.min(off + INPUT_SLICE, chunk.length));
      // Never ask for more than one byte past the limit: a bomb is refused at the limit, not
      // after allocating its output.
      const room = this.#limit - this.#total + 1;
      let r: WasmStreamResult;
      try {
        r = dec.decompress(slice, room < request ? room : request);
      } catch (cause) {
        this.close();
        throw corrupt(cause);
      }
      const buf = r.buf;
      code = r.code;
      off += r.input_offset;
      r.free();
      if (code === NEEDS_MORE_OUTPUT && request < OUTPUT_CHUNK) request *= 2;
      if (buf.length > 0) {
        this.#total += buf.length;
        if (this.#total > this.#limit) {
          this.close();
          throw new BrotliOutputLimitError(this.#limit);
        }
        out.push(buf);
      }
      if (code === SUCCESS) {
        this.#done = true;
        if (off < chunk.length) {
          this.close();
          throw new BrotliCorruptInputError("trailing bytes after the end of the stream");
        }
        return;
      }
    }
  }

  flush(): Uint8Array[] {
    return [];
  }

  finish(): Uint8Array[] {
    const done = this.#done;
    this.close();
    if (!done) throw new BrotliCorruptInputError("stream is truncated");
    return [];
  }

  close(): void {
    const dec = this.#dec;
    this.#dec = undefined;
    dec?.free();
  }
}

class WasmCompressor implements BrotliStreamEngine {
  #enc: WasmCompressStream | undefined;

  constructor(module: BrotliWasmModule, options: ResolvedCompressOptions) {
    this.#enc = new module.CompressStream(options.quality);
  }

  #encoder(): WasmCompressStream {
    const enc = this.#enc;
    if (enc === undefined) throw new BrotliUnsupportedError("Cannot compress: stream is closed");
    return enc;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    const enc = this.#encoder();
    const out: Uint8Array[] = [];
    let off = 0;
    let code = NEEDS_MORE_INPUT;
    while (off < chunk.length || code === NEEDS_MORE_OUTPUT) {
      const r = enc.compress(
        chunk.subarray(off, Math.min(off + INPUT_SLICE, chunk.length)),
        COMPRESS_OUTPUT_CHUNK,
      );
      const buf = r.buf;
      code = r.code;
      off += r.input_offset;
      r.free();
      if (buf.length > 0) out.push(buf);
    }
    return out;
  }

  flush(): Uint8Array[] {
    throw new BrotliUnsupportedError(
      'Cannot flush with backend "wasm": brotli-wasm has no flush; use "native" or "web"',
    );
  }

  finish(): Uint8Array[] {
    const enc = this.#encoder();
    const out: Uint8Array[] = [];
    let code: number;
    try {
      do {
        const r = enc.compress(undefined, COMPRESS_OUTPUT_CHUNK);
        const buf = r.buf;
        code = r.code;
        r.free();
        if (buf.length > 0) out.push(buf);
      } while (code === NEEDS_MORE_OUTPUT);
    } finally {
      this.close();
    }
    return out;
  }

  close(): void {
    const enc = this.#enc;
    this.#enc = undefined;
    enc?.free();
  }
}

/**
 * Compresses `bytes` through the streaming API, handing the encoder the whole input in one call
 * (see {@link ONE_SHOT_PIECE}). Output requests are sized from the input so a typical call needs
 * one request to process and one to finish.
 */
function compressWhole(module: BrotliWasmModule, bytes: Uint8Array, quality: number): Uint8Array {
  const enc = new module.CompressStream(quality);
  const out: Uint8Array[] = [];
  let total = 0;
  // Half the input plus slack: one process call for typical data, two or three for
  // incompressible data, so the input is copied into Wasm memory a bounded number of times.
  const request = (bytes.length >> 1) + MIN_OUTPUT_REQUEST;
  try {
    let off = 0;
    let code = NEEDS_MORE_OUTPUT;
    while (off < bytes.length || code === NEEDS_MORE_OUTPUT) {
      const r = enc.compress(bytes.subarray(off), request);
      const buf = r.buf;
      code = r.code;
      off += r.input_offset;
      r.free();
      if (buf.length > 0) {
        out.push(buf);
        total += buf.length;
      }
      if (code !== NEEDS_MORE_OUTPUT && off >= bytes.length) break;
    }
    do {
      const r = enc.compress(undefined, request);
      const buf = r.buf;
      code = r.code;
      r.free();
      if (buf.length > 0) {
        out.push(buf);
        total += buf.length;
      }
    } while (code === NEEDS_MORE_OUTPUT);
  } finally {
    enc.free();
  }
  return concatBytes(out, total);
}

/**
 * Loads the Wasm backend.
 *
 * @returns The backend; its methods are synchronous.
 */
export async function loadWasmBackend(): Promise<
  BrotliBackend & { readonly route: WasmLoadRoute }
> {
  const { module, route } = await loadWasmModule();
  return {
    name: "wasm",
    route,
    capabilities: {
      canFlush: false,
      quality: true,
      lgwin: false,
      mode: false,
      strictBoundedDecode: true,
    },
    compress(bytes, options) {
      requireDefaultWindow("wasm", options);
      if (options.quality > FAST_QUALITY_MAX) {
        return module.compress(bytes, { quality: options.quality });
      }
      const out = bytes.length > ONE_SHOT_PIECE
        ? compressWhole(module, bytes, options.quality)
        : module.compress(bytes, { quality: options.quality });
      // brotli-wasm always writes window 22; a small input gets a small window (_window.ts).
      narrowDefaultWindow(out, bytes.length);
      return out;
    },
    decompress(bytes, maxOutputSize) {
      const dec = new WasmDecompressor(module, maxOutputSize);
      const out: Uint8Array[] = [];
      dec.feed(bytes, out);
      dec.finish();
      return concatBytes(out, dec.total);
    },
    createCompressor(options) {
      requireDefaultWindow("wasm", options);
      return new WasmCompressor(module, options);
    },
    createDecompressor(maxOutputSize) {
      return new WasmDecompressor(module, maxOutputSize);
    },
  };
}
