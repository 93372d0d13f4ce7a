/**
 * Window sizing for one-shot compression at qualities 0 and 1.
 *
 * The fast encoders of those qualities end a one-shot stream with a separate empty last
 * meta-block, so a decoder cannot see the stream's size up front and allocates a ring buffer of
 * the full window (RFC 7932 §9.1: 2^WBITS - 16 bytes): 4 MiB for the default window 22, even for
 * a 1 KiB message. Zeroing that buffer made decoding a 1 KiB quality-1 message cost 0.4-0.8 ms in
 * the Wasm decoder and 0.15-0.2 ms in zlib, against 20-30 µs at quality 4 (bench/brotli_bench.ts).
 * When the whole input is known, a window just large enough for it decodes identically (every
 * backward distance and every dictionary reference is interpreted the same way, because no
 * position reaches the smaller window's limit) and keeps the decoder's buffer small. The fast
 * encoders never use a window below 18 bits.
 *
 * @module
 */

/** The smallest window the fast encoders (qualities 0 and 1) write. */
export const FAST_MIN_LGWIN = 18;

/** Highest quality that uses the fast encoders. */
export const FAST_QUALITY_MAX = 1;

/**
 * The window to compress `inputLength` bytes with at qualities 0-1: the smallest one from
 * {@link FAST_MIN_LGWIN} whose reach (2^lgwin - 16) covers the input, never above `lgwin`.
 */
export function fastWindowFor(inputLength: number, lgwin: number): number {
  let w = FAST_MIN_LGWIN;
  while (w < lgwin && (1 << w) - 16 < inputLength) w++;
  return Math.min(w, lgwin);
}

// WBITS of 18 and 22 both take four bits: a 1, then (WBITS - 17) in three bits, LSB first.
const WBITS_MASK = 0x0f;
const WBITS_22 = 0b1011;
const WBITS_18 = 0b0011;

/**
 * Rewrites the WBITS field of a stream written with the default window 22 to 18, in place, when
 * the uncompressed input fits a window of 18 bits. For encoders that cannot be told the window
 * (brotli-wasm's options take only a quality). Correct for the same reason as
 * {@link fastWindowFor}: no position of such an input reaches either window's limit, so every
 * distance decodes identically.
 *
 * @param stream The compressed stream (its first byte is changed).
 * @param inputLength The size of the uncompressed input.
 * @returns Whether the header was rewritten.
 */
export function narrowDefaultWindow(stream: Uint8Array, inputLength: number): boolean {
  if (stream.length === 0 || inputLength > (1 << FAST_MIN_LGWIN) - 16) return false;
  if ((stream[0] & WBITS_MASK) !== WBITS_22) return false;
  stream[0] = (stream[0] & ~WBITS_MASK) | WBITS_18;
  return true;
}
