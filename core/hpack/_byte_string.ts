/**
 * Octets to byte string (one UTF-16 code unit per octet), fast.
 *
 * @module
 */

// For pure ASCII, UTF-8 decoding is the identity and TextDecoder is native
// and fast. It is not used for other octets: UTF-8 would merge them, and
// TextDecoder("latin1") is really windows-1252, which remaps 0x80-0x9F.
const utf8 = new TextDecoder();

// Measured crossovers (Deno 2.9, V8 15): a plain loop wins below SHORT
// octets, String.fromCharCode.apply below LONG, the native decoder above.
const SHORT = 16;
const LONG = 64;
// String.fromCharCode.apply takes its arguments on the stack: bound the chunk.
const CHUNK = 4096;

/**
 * Returns the byte string for `buf[start..end)`: code unit i is octet i.
 *
 * @param buf The octets.
 * @param start First octet.
 * @param end One past the last octet.
 * @returns The byte string.
 */
export function bytesToString(buf: Uint8Array, start: number, end: number): string {
  if (end - start < SHORT) {
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]);
    return s;
  }
  if (end - start < LONG) {
    return String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]);
  }
  let i = start;
  while (i < end && buf[i] < 0x80) i++;
  if (i === end) return utf8.decode(buf.subarray(start, end));
  const parts: string[] = [];
  for (let at = start; at < end; at += CHUNK) {
    const chunk = buf.subarray(at, Math.min(end, at + CHUNK));
    parts.push(String.fromCharCode.apply(null, chunk as unknown as number[]));
  }
  return parts.join("");
}
