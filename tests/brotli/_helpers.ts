/**
 * Shared helpers of the brotli tests: deterministic inputs and stream plumbing.
 *
 * @module
 */

import { concatBytes } from "../_support/bytes.ts";
import { SeededRng } from "../_support/seeded_rng.ts";
import {
  type BrotliBackendName,
  loadBrotliBackend,
  resolveCompressOptions,
} from "../../brotli/mod.ts";

/** Every backend the module has; tests run each case on all of them. */
export const BACKENDS: readonly BrotliBackendName[] = ["native", "wasm", "web"];

/** Options each backend accepts (the web backend takes none). */
export function optionsFor(backend: BrotliBackendName, quality = 5) {
  return backend === "web" ? { backend } : { backend, quality };
}

const WORDS = ["stream", "frame", "header", "window", "settings", "priority", "data", "ping"];

/** Compressible text-like bytes of `size`, seeded. */
export function textLike(seed: number, size: number): Uint8Array {
  const rng = new SeededRng(seed);
  let s = "";
  while (s.length < size) {
    s += `{"id":${rng.int(0, 99999)},"kind":"${rng.pick(WORDS)}","ok":${rng.chance(0.5)}}\n`;
  }
  return new TextEncoder().encode(s.slice(0, size));
}

/** A mix of text and incompressible bytes, seeded. */
export function mixed(seed: number, size: number): Uint8Array {
  const rng = new SeededRng(seed);
  const out = new Uint8Array(size);
  let off = 0;
  while (off < size) {
    const n = Math.min(size - off, rng.int(1, 4096));
    out.set(rng.chance(0.5) ? rng.bytes(n) : textLike(rng.u32(), n), off);
    off += n;
  }
  return out;
}

/** Splits `bytes` at seeded random boundaries (including empty chunks). */
export function splitRandomly(rng: SeededRng, bytes: Uint8Array): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let off = 0;
  while (off < bytes.length) {
    const n = rng.chance(0.1) ? 0 : rng.int(1, rng.chance(0.5) ? 16 : 20000);
    chunks.push(bytes.subarray(off, Math.min(off + n, bytes.length)));
    off += n;
  }
  return chunks;
}

/** A readable stream of the given chunks. */
export function streamOf(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(ctl) {
      if (i < chunks.length) ctl.enqueue(chunks[i++]);
      else ctl.close();
    },
  });
}

/** Reads a stream to the end. */
export async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of stream) chunks.push(c);
  return concatBytes(chunks);
}

let bomb: Promise<Uint8Array> | undefined;

/**
 * 1 GiB of zeros as a Brotli stream of about 800 bytes (quality 5, window 24), made with the
 * native streaming compressor in 1 MiB steps so the test never holds the gigabyte.
 */
export function gigabyteBomb(): Promise<Uint8Array> {
  bomb ??= (async () => {
    const native = await loadBrotliBackend("native");
    const enc = native.createCompressor(resolveCompressOptions({ quality: 5, lgwin: 24 }));
    const zeros = new Uint8Array(1 << 20);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 1024; i++) parts.push(...await enc.push(zeros));
    parts.push(...await enc.finish());
    return concatBytes(parts);
  })();
  return bomb;
}

/** The WBITS of a Brotli stream header (RFC 7932 §9.1). */
export function windowBits(stream: Uint8Array): number {
  const bits = stream[0] | (stream[1] << 8);
  if ((bits & 1) === 0) return 16;
  const n = (bits >> 1) & 7;
  if (n !== 0) return 17 + n;
  const m = (bits >> 4) & 7;
  return m === 0 ? 17 : 8 + m; // m === 1 is reserved (large windows)
}
