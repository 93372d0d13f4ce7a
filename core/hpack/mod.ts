/**
 * HPACK header compression for HTTP/2 (RFC 7541): {@link HpackEncoder} and
 * {@link HpackDecoder}, one of each per connection and direction, plus the
 * tables and primitives they are built from.
 *
 * Names and values are byte strings (one UTF-16 code unit per octet). The
 * decoder is hardened against hostile blocks (typed errors, bounded memory
 * and time); the encoder compresses like nghttp2's deflater.
 *
 * @example Round trip a request through a shared context
 * ```ts
 * import { HpackDecoder, HpackEncoder } from "./mod.ts";
 *
 * const encoder = new HpackEncoder();
 * const decoder = new HpackDecoder();
 * const request = [
 *   { name: ":method", value: "GET" },
 *   { name: ":authority", value: "example.com" },
 *   { name: "authorization", value: "Bearer secret" },
 * ];
 * const fields = decoder.decode(encoder.encodeToBytes(request));
 * if (fields[1].value !== "example.com") throw new Error();
 * if (fields[2].sensitive !== true) throw new Error(); // sent never-indexed
 * // The second time, :authority is one octet from the dynamic table.
 * if (encoder.encodeToBytes(request.slice(0, 2)).length !== 2) throw new Error();
 * ```
 *
 * @module
 */

export * from "./header_field.ts";
export * from "./header_list_too_large_error.ts";
export * from "./static_table.ts";
export * from "./dynamic_table.ts";
export * from "./integer.ts";
export * from "./huffman.ts";
export * from "./encoder.ts";
export * from "./decoder.ts";
