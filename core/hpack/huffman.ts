/**
 * The HPACK static Huffman code (RFC 7541 §5.2, Appendix B).
 *
 * Decoding is table-driven, one input octet per step (the byte-wide variant
 * of nghttp2's nibble state machine): the decoder state is an internal node
 * of the code tree, and one lookup per octet yields the next state plus the
 * zero, one or two symbols completed on the way. A string therefore costs one
 * table read per encoded octet, never a walk bit by bit.
 *
 * @module
 */

import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from "./_huffman_table.ts";

// Entry layout of the decoding table, indexed by (state << 8) | octet:
//   bits 0-7   next state (internal node of the code tree; 0 = root)
//   bits 8-15  first symbol emitted
//   bits 16-23 second symbol emitted
//   bits 24-25 number of symbols emitted (0-2: the shortest code is 5 bits)
//   bit  26    failure: the EOS symbol was decoded (RFC 7541 §5.2)
//   bit  27    the next state is a valid place to stop: at most 7 bits of
//              pending input, all ones (the padding rule of §5.2)
const FAIL = 1 << 26;
const ACCEPT = 1 << 27;

/** The decoding state machine, built once from the RFC table (256 states × 256 octets). */
const DECODE_TABLE: Uint32Array = buildDecodeTable();

function buildDecodeTable(): Uint32Array {
  // The canonical code has 257 leaves, hence exactly 256 internal nodes.
  // child[node * 2 + bit] >= 0 is an internal node, < 0 is leaf ~symbol.
  const child = new Int32Array(512).fill(0x7fffffff);
  let nodes = 1;
  for (let sym = 0; sym <= 256; sym++) {
    const code = HUFFMAN_CODES[sym];
    const len = HUFFMAN_LENGTHS[sym];
    let node = 0;
    for (let i = len - 1; i > 0; i--) {
      const slot = node * 2 + ((code >>> i) & 1);
      if (child[slot] === 0x7fffffff) child[slot] = nodes++;
      node = child[slot];
    }
    child[node * 2 + (code & 1)] = ~sym;
  }
  if (nodes !== 256) throw new Error(`Huffman table is not a complete code: ${nodes} nodes`);

  // A state accepts (may end the string) when the bits since the last symbol
  // are all ones and fewer than 8: walk the all-ones path for 7 steps.
  const accepting = new Uint8Array(256);
  for (let node = 0, depth = 0; depth <= 7 && node >= 0; depth++) {
    accepting[node] = 1;
    node = child[node * 2 + 1];
  }

  const table = new Uint32Array(256 * 256);
  for (let state = 0; state < 256; state++) {
    for (let octet = 0; octet < 256; octet++) {
      let node = state;
      let count = 0;
      let syms = 0;
      let fail = 0;
      for (let bit = 7; bit >= 0; bit--) {
        const next = child[node * 2 + ((octet >>> bit) & 1)];
        if (next >= 0) {
          node = next;
          continue;
        }
        const sym = ~next;
        if (sym === 256) {
          fail = FAIL;
          break;
        }
        syms |= sym << (8 * count);
        count++;
        node = 0;
      }
      table[(state << 8) | octet] = fail !== 0
        ? FAIL
        : node | (syms << 8) | (count << 24) | (accepting[node] === 1 ? ACCEPT : 0);
    }
  }
  return table;
}

/**
 * Decodes the Huffman-coded octets `src[start..end)` into `dst` from `at`.
 *
 * `dst` must have room for `2 * (end - start)` octets (at most two symbols per
 * input octet). Returns the end offset in `dst`, or -1 when the input is not a
 * valid HPACK Huffman string: it contains the EOS symbol, or its padding is
 * longer than 7 bits or not all ones (RFC 7541 §5.2). The caller turns -1 into
 * a `CompressionError`.
 *
 * @param src The encoded octets.
 * @param start First encoded octet.
 * @param end One past the last encoded octet.
 * @param dst Output buffer.
 * @param at Where to write the first decoded octet.
 * @returns One past the last decoded octet, or -1 on malformed input.
 */
export function huffmanDecode(
  src: Uint8Array,
  start: number,
  end: number,
  dst: Uint8Array,
  at: number,
): number {
  const table = DECODE_TABLE;
  let state = 0;
  let entry = ACCEPT; // the empty string is valid
  let o = at;
  for (let i = start; i < end; i++) {
    entry = table[(state << 8) | src[i]];
    if ((entry & FAIL) !== 0) return -1;
    const count = (entry >>> 24) & 3;
    if (count !== 0) {
      dst[o++] = entry >>> 8;
      if (count === 2) dst[o++] = entry >>> 16;
    }
    state = entry & 0xff;
  }
  return (entry & ACCEPT) !== 0 ? o : -1;
}

/**
 * The length in octets of the Huffman encoding of a byte string, or -1 if
 * the string has a code unit above 0xFF (not a byte string).
 *
 * The encoder calls this first and uses Huffman only when the result is
 * strictly shorter than the raw length (RFC 7541 §5.2 leaves the choice to
 * the encoder).
 *
 * @param s A byte string (one code unit per octet).
 * @returns Encoded length in octets, or -1 for a code unit above 0xFF.
 */
export function huffmanEncodedLength(s: string): number {
  const lengths = HUFFMAN_LENGTHS;
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) return -1;
    bits += lengths[c];
  }
  return (bits + 7) >>> 3;
}

/**
 * Huffman-encodes the byte string `s` into `dst` from `at` and returns the
 * end offset. The caller has checked with {@link huffmanEncodedLength} that
 * `s` is a byte string and that `dst` has room. The last octet is padded with
 * the most significant bits of EOS (all ones, RFC 7541 §5.2).
 *
 * @param s A byte string.
 * @param dst Output buffer.
 * @param at Where to write the first encoded octet.
 * @returns One past the last encoded octet.
 */
export function huffmanEncode(s: string, dst: Uint8Array, at: number): number {
  const codes = HUFFMAN_CODES;
  const lengths = HUFFMAN_LENGTHS;
  // `acc` holds the `n` (< 32) most recent bits not yet written; whenever a
  // code does not fit, the accumulator is topped up to exactly 32 bits and
  // written as four octets, so the common path is one shift and one OR.
  let acc = 0;
  let n = 0;
  let o = at;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const code = codes[c];
    const len = lengths[c];
    if (n + len <= 32) {
      acc = (acc << len) | code;
      n += len;
    } else {
      const rest = n + len - 32; // bits of `code` left over; 32 - n < len <= 30
      const word = (acc << (32 - n)) | (code >>> rest);
      dst[o] = word >>> 24;
      dst[o + 1] = word >>> 16;
      dst[o + 2] = word >>> 8;
      dst[o + 3] = word;
      o += 4;
      acc = code & ((1 << rest) - 1);
      n = rest;
    }
  }
  while (n >= 8) {
    n -= 8;
    dst[o++] = acc >>> n;
  }
  if (n > 0) dst[o++] = (acc << (8 - n)) | (0xff >>> n);
  return o;
}
