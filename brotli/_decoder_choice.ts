/**
 * Per-message refinement of `"auto"`'s decoder for one-shot decompression.
 *
 * A Brotli decoder sizes its ring buffer from the stream: when the first meta-block is the last
 * one it knows the whole size and allocates just that; otherwise it allocates the full window
 * (RFC 7932 §9.1: 2^WBITS - 16 bytes), 4 MiB at window 22. Streamed or flushed encoder output and
 * quality 0-1 output from other encoders look like that. The Wasm decoder zero-fills the buffer,
 * so a small such message costs it 0.3-0.5 ms at window 22 and 1.3-2 ms at window 24, where
 * `node:zlib` plus Deno's verifying pass took 0.1-0.3 and 0.6-0.7 ms (bench/brotli_bench.ts and
 * the measurements in brotli/README.md). For those messages `"auto"` decodes natively even where
 * native needs its verifying pass; every other message keeps the Wasm decoder.
 *
 * @module
 */

/** What the first bits of a stream say (RFC 7932 §9.1, §9.2). */
export interface StreamStart {
  /** The window size, 10 to 24. */
  readonly wbits: number;
  /** The first meta-block is the last one (ISLAST). */
  readonly firstIsLast: boolean;
}

/**
 * Reads WBITS and the first ISLAST bit.
 *
 * @param stream The start of a Brotli stream.
 * @returns The header, or `undefined` when it is too short or uses a reserved or large-window code.
 */
export function readStreamStart(stream: Uint8Array): StreamStart | undefined {
  if (stream.length < 2) return undefined;
  const bits = stream[0] | (stream[1] << 8);
  let wbits: number;
  let used: number;
  if ((bits & 1) === 0) {
    wbits = 16;
    used = 1;
  } else if (((bits >> 1) & 7) !== 0) {
    wbits = 17 + ((bits >> 1) & 7);
    used = 4;
  } else {
    const m = (bits >> 4) & 7;
    if (m === 1) return undefined; // reserved (the large-window extension), not RFC 7932
    wbits = m === 0 ? 17 : 8 + m;
    used = 7;
  }
  return { wbits, firstIsLast: ((bits >> used) & 1) === 1 };
}

/**
 * Below this fraction of the window, a compressed message whose decoder must allocate the whole
 * window decodes faster natively (with the verifying pass) than in Wasm: at window 22 that is
 * 32 KiB of input, at window 24 128 KiB.
 */
const WINDOW_FRACTION = 128;

/**
 * Smaller windows cost the Wasm decoder too little to matter: at window 18 (256 KiB) it still
 * decoded a 1 KiB message faster than native with its verifying pass. 22 is the smallest window
 * measured to favour native, and the default of every encoder.
 */
const MIN_WBITS = 22;

/**
 * Whether `"auto"` should decode this whole message natively although it prefers Wasm: the
 * decoder will allocate the whole window and the message is small next to it.
 *
 * @param stream The complete compressed message.
 * @returns True to decode natively.
 */
export function prefersNativeDecode(stream: Uint8Array): boolean {
  const start = readStreamStart(stream);
  if (start === undefined || start.firstIsLast || start.wbits < MIN_WBITS) return false;
  return stream.length < (1 << start.wbits) / WINDOW_FRACTION;
}
