/**
 * Choosing and loading a Brotli backend.
 *
 * @module
 */

import type { BrotliBackend } from "./backend.ts";
import { BrotliError, BrotliUnsupportedError } from "./errors.ts";
import {
  type BrotliBackendChoice,
  type BrotliBackendName,
  type BrotliCompressOptions,
  DEFAULT_LGWIN,
} from "./options.ts";
import { loadNativeBackend } from "./_native.ts";
import { loadWasmBackend } from "./_wasm.ts";
import { loadWebBackend } from "./_web.ts";
import { prefersNativeDecode } from "./_decoder_choice.ts";

/** What the caller needs from the backend `"auto"` picks. */
export interface LoadBrotliBackendOptions {
  /**
   * What the backend is for. Decompression prefers a backend whose decoder is strict and bounded
   * at no extra cost. Default `"compress"`.
   */
  readonly purpose?: "compress" | "decompress";
  /** Require a backend whose compressor can flush mid-stream (interactive streams). */
  readonly flushable?: boolean;
  /** Compression options the backend must honour; `"auto"` skips backends that cannot. */
  readonly compress?: BrotliCompressOptions;
}

const loaders: Record<BrotliBackendName, () => Promise<BrotliBackend>> = {
  native: loadNativeBackend,
  wasm: loadWasmBackend,
  web: loadWebBackend,
};

/** Loads one backend by name (each is loaded once and shared). */
function loadNamed(name: BrotliBackendName): Promise<BrotliBackend> {
  return loaders[name]();
}

function fits(backend: BrotliBackend, options: LoadBrotliBackendOptions): boolean {
  const caps = backend.capabilities;
  if (options.flushable && !caps.canFlush) return false;
  const c = options.compress;
  if (c !== undefined && (options.purpose ?? "compress") === "compress") {
    if (c.lgwin !== undefined && c.lgwin !== DEFAULT_LGWIN && !caps.lgwin) return false;
    if (c.quality !== undefined && !caps.quality) return false;
    if (c.mode !== undefined && !caps.quality) return false; // the web backend takes no options
  }
  return true;
}

/**
 * Loads a Brotli backend.
 *
 * `"auto"` picks the fastest backend available that fits `options` (measured in
 * `bench/brotli_bench.ts`): for compression `native`, then `wasm`, then `web`; for decompression
 * `native` when its decoder is strict on its own, then `wasm`, then `native` with a verifying
 * pass, then `web`. With `flushable`, backends that cannot flush (`wasm`) are skipped.
 *
 * @param choice A backend name or `"auto"`.
 * @param options What the backend must support.
 * @returns The loaded backend.
 * @throws {BrotliUnsupportedError} When the named backend is unavailable or cannot do what was
 *   asked, or when no backend fits.
 */
export function loadBrotliBackend(
  choice: BrotliBackendChoice = "auto",
  options: LoadBrotliBackendOptions = {},
): Promise<BrotliBackend> {
  if (choice !== "auto") return loadChosen(choice, options);
  // "auto" depends only on what the request needs, so its answer is remembered per need: a
  // one-shot call on a small message then costs a map lookup instead of a walk over the
  // candidates (bench/brotli_bench.ts, size-class table).
  const key = autoKey(options);
  let found = autoChoices.get(key);
  if (found === undefined) {
    found = pickAuto(options);
    autoChoices.set(key, found);
    found.catch(() => autoChoices.delete(key));
  }
  return found;
}

/** What `fits` and the candidate order look at, as a cache key. */
function autoKey(options: LoadBrotliBackendOptions): string {
  const decompress = options.purpose === "decompress";
  const c = decompress ? undefined : options.compress;
  return `${decompress ? "d" : "c"}${options.flushable ? "f" : ""}${
    c?.lgwin !== undefined && c.lgwin !== DEFAULT_LGWIN ? "w" : ""
  }${c?.quality !== undefined ? "q" : ""}${c?.mode !== undefined ? "m" : ""}`;
}

const autoChoices = new Map<string, Promise<BrotliBackend>>();

async function loadChosen(
  choice: BrotliBackendChoice,
  options: LoadBrotliBackendOptions,
): Promise<BrotliBackend> {
  if (!(choice in loaders)) {
    throw new BrotliUnsupportedError(`Cannot load Brotli backend: unknown name "${choice}"`);
  }
  const backend = await loadNamed(choice as BrotliBackendName);
  if (options.flushable && !backend.capabilities.canFlush) {
    throw new BrotliUnsupportedError(
      `Cannot use Brotli backend "${choice}" for a flushable stream: it cannot flush`,
    );
  }
  return backend;
}

async function pickAuto(options: LoadBrotliBackendOptions): Promise<BrotliBackend> {
  const candidates: Array<[BrotliBackendName, boolean]> = options.purpose === "decompress"
    ? [["native", true], ["wasm", false], ["native", false], ["web", false]]
    : [["native", false], ["wasm", false], ["web", false]];
  const failures: unknown[] = [];
  for (const [name, needStrict] of candidates) {
    let backend: BrotliBackend;
    try {
      backend = await loadNamed(name);
    } catch (e) {
      if (!(e instanceof BrotliError)) throw e;
      failures.push(e);
      continue;
    }
    if (backend.name === "native") nativeDecoder = backend;
    if (needStrict && !backend.capabilities.strictBoundedDecode) continue;
    if (fits(backend, options)) return backend;
  }
  throw new BrotliUnsupportedError("Cannot find a Brotli backend that fits the request", {
    cause: failures.length > 0 ? new AggregateError(failures) : undefined,
  });
}

/** The native backend, once `"auto"` has loaded it (it tries native first for decoding). */
let nativeDecoder: BrotliBackend | undefined;

/**
 * The backend to decode one whole message with: `backend` (what `choice` resolved to), except
 * that `"auto"`, when it decodes with Wasm, hands messages whose decoder must allocate the whole
 * window and that are small next to it to the native backend, which is faster for them even
 * with its verifying pass (`_decoder_choice.ts`). Both are strict and bounded.
 *
 * @param backend The backend `choice` resolved to for decompression.
 * @param choice What the caller asked for.
 * @param bytes The complete compressed message.
 * @returns The backend to call.
 */
export function decoderFor(
  backend: BrotliBackend,
  choice: BrotliBackendChoice | undefined,
  bytes: Uint8Array,
): BrotliBackend {
  if ((choice ?? "auto") !== "auto" || backend.name !== "wasm" || nativeDecoder === undefined) {
    return backend;
  }
  return prefersNativeDecode(bytes) ? nativeDecoder : backend;
}

/**
 * Lists the backends that load in this runtime.
 *
 * @returns Their names, in `"auto"`'s order of preference for compression.
 */
export async function availableBrotliBackends(): Promise<BrotliBackendName[]> {
  const names: BrotliBackendName[] = [];
  for (const name of ["native", "wasm", "web"] as const) {
    try {
      await loadNamed(name);
      names.push(name);
    } catch {
      // Not available here.
    }
  }
  return names;
}
