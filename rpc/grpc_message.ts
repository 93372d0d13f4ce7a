/**
 * Percent-encoding of the `grpc-message` header.
 *
 * @module
 */

const HEX = "0123456789ABCDEF";
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

/**
 * Percent-encodes a status message for the `grpc-message` header
 * (grpc doc/PROTOCOL-HTTP2.md, "Responses"): the message is UTF-8 encoded,
 * and every octet outside printable ASCII 0x20..0x7E, plus `%` itself, becomes
 * `%XX` with upper-case hex. Use it whenever a message goes on the wire.
 *
 * @param message Any Unicode text.
 * @returns An ASCII byte string safe as a header value.
 */
export function encodeGrpcMessage(message: string): string {
  // Fast path: most messages are plain ASCII and need no work.
  let plain = true;
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return message;
  const bytes = encoder.encode(message);
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b < 0x20 || b > 0x7e || b === 0x25) out += "%" + HEX[b >> 4] + HEX[b & 15];
    else out += String.fromCharCode(b);
  }
  return out;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Decodes a `grpc-message` header value. Decoding is lenient, as the
 * protocol asks: a `%` not followed by two hex digits is kept literally, raw
 * non-ASCII octets are kept, and invalid UTF-8 becomes U+FFFD rather than an
 * error, because a garbled message must never hide the status code.
 *
 * @param value The byte-string header value.
 * @returns The decoded Unicode message.
 */
export function decodeGrpcMessage(value: string): string {
  let plain = true;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x25 || c > 0x7e) {
      plain = false;
      break;
    }
  }
  if (plain) return value;
  const bytes = new Uint8Array(value.length);
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x25 && i + 2 < value.length) {
      const hi = hexValue(value.charCodeAt(i + 1));
      const lo = hexValue(value.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        bytes[n++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    bytes[n++] = c & 0xff;
  }
  return decoder.decode(bytes.subarray(0, n));
}
