/**
 * HPACK prefix integers (RFC 7541 §5.1).
 *
 * @module
 */

/**
 * The largest integer the decoder accepts. Everything an integer can denote
 * (an index, a string length, a table size) is far below it, so a bigger
 * value is an attack or garbage, never a legitimate peer.
 */
export const MAX_HPACK_INTEGER = 0xffffffff;

/**
 * Writes `value` as an HPACK integer with an `prefixBits`-bit prefix into
 * `dst` at `at`; `flags` holds the bits above the prefix in the first octet.
 * Returns the end offset. `dst` needs room for 6 octets.
 *
 * @param dst Output buffer.
 * @param at Offset of the first octet.
 * @param value A non-negative integer below 2^32.
 * @param prefixBits Prefix size N, 1-8 (RFC 7541 §5.1).
 * @param flags The representation's pattern bits for the first octet.
 * @returns One past the last octet written.
 */
export function encodeInteger(
  dst: Uint8Array,
  at: number,
  value: number,
  prefixBits: number,
  flags: number,
): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    dst[at] = flags | value;
    return at + 1;
  }
  dst[at++] = flags | max;
  let rest = value - max;
  while (rest >= 128) {
    dst[at++] = (rest % 128) | 128;
    rest = Math.floor(rest / 128);
  }
  dst[at++] = rest;
  return at;
}

/**
 * Result slot of {@link decodeInteger}: the decoder reads the value from
 * `[0]` to avoid allocating a result object per integer.
 */
export type IntegerResult = [value: number];

/**
 * Reads an HPACK integer whose first octet is `src[at]`, with an
 * `prefixBits`-bit prefix. Stores the value in `out[0]` and returns the
 * offset after the integer, or:
 *
 * - `-1` when the input ends inside the integer (truncated block);
 * - `-2` when it is larger than {@link MAX_HPACK_INTEGER} or uses more than
 *   five continuation octets (RFC 7541 §5.1 lets decoders bound integers).
 *
 * @param src The field block.
 * @param at Offset of the first octet (must be `< end`).
 * @param end End of the readable input.
 * @param prefixBits Prefix size N, 1-8.
 * @param out Receives the value.
 * @returns Offset after the integer, -1 (truncated) or -2 (overflow).
 */
export function decodeInteger(
  src: Uint8Array,
  at: number,
  end: number,
  prefixBits: number,
  out: IntegerResult,
): number {
  const max = (1 << prefixBits) - 1;
  let value = src[at++] & max;
  if (value < max) {
    out[0] = value;
    return at;
  }
  // At most 5 continuation octets: 7 * 5 = 35 bits covers every value up to
  // 2^32 - 1 plus the prefix; more (even zero padding) is refused so a hostile
  // block cannot make us spin on endless 0x80 octets.
  for (let shift = 1, i = 0; i < 5; i++, shift *= 128) {
    if (at >= end) return -1;
    const b = src[at++];
    value += (b & 127) * shift;
    if (value > MAX_HPACK_INTEGER) return -2;
    if (b < 128) {
      out[0] = value;
      return at;
    }
  }
  return -2;
}
