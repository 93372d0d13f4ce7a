/**
 * Private helpers shared by the frame classes: the 9-byte frame header
 * (RFC 9113 §4.1), padding (RFC 9113 §6.1), big-endian reads, byte strings and
 * the error constructors that pick the right scope.
 *
 * @module
 */

import type { ByteWriter } from "../byte_writer.ts";
import { FrameSizeError, ProtocolError, UsageError } from "../errors.ts";
import { FrameFlag, frameTypeName } from "./frame_type.ts";

/** Length of the frame header that precedes every payload (RFC 9113 §4.1). */
export const FRAME_HEADER_LENGTH = 9;

/** Largest payload the 24-bit length field can express (RFC 9113 §4.1). */
export const MAX_FRAME_PAYLOAD = 0xffffff;

/** Smallest value SETTINGS_MAX_FRAME_SIZE may take, and its initial value (RFC 9113 §6.5.2). */
export const MIN_MAX_FRAME_SIZE = 16384;

/** Largest stream identifier: stream ids are 31 bits (RFC 9113 §5.1.1). */
export const MAX_STREAM_ID = 0x7fffffff;

/** A shared empty payload; a zero-length array has no element anyone could mutate. */
export const EMPTY = new Uint8Array(0);

/** Writes the 9-byte frame header; the reserved bit of the stream id is always 0. */
export function writeFrameHeader(
  out: ByteWriter,
  length: number,
  type: number,
  flags: number,
  streamId: number,
): void {
  const at = out.reserve(FRAME_HEADER_LENGTH);
  const b = out.buffer;
  b[at] = length >>> 16;
  b[at + 1] = length >>> 8;
  b[at + 2] = length;
  b[at + 3] = type;
  b[at + 4] = flags;
  b[at + 5] = (streamId >>> 24) & 0x7f;
  b[at + 6] = streamId >>> 16;
  b[at + 7] = streamId >>> 8;
  b[at + 8] = streamId;
}

/** Reads a big-endian unsigned 32-bit integer. */
export function readU32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

/** Reads a 31-bit identifier, ignoring the reserved high bit (RFC 9113 §4.1). */
export function readU31(b: Uint8Array, at: number): number {
  return ((b[at] & 0x7f) << 24 | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

/** Appends `n` zero octets (padding must be zero on the wire, RFC 9113 §6.1). */
export function writeZeros(out: ByteWriter, n: number): void {
  if (n === 0) return;
  const at = out.reserve(n);
  out.buffer.fill(0, at, at + n);
}

/** PROTOCOL_ERROR for a frame that must not be on stream 0 (RFC 9113 §6). */
export function zeroStreamError(type: number): ProtocolError {
  return new ProtocolError(`Cannot accept ${frameTypeName(type)} frame: it is on stream 0`);
}

/** PROTOCOL_ERROR (connection) for a frame that must be on stream 0 (RFC 9113 §6.5, §6.7, §6.8). */
export function nonZeroStreamError(type: number, streamId: number): ProtocolError {
  return new ProtocolError(
    `Cannot accept ${frameTypeName(type)} frame: it is on stream ${streamId}, not stream 0`,
  );
}

/**
 * FRAME_SIZE_ERROR for a payload length the type does not allow. Per
 * RFC 9113 §4.2 it is a connection error for frames that can alter the state
 * of the connection, which the caller decides with `connection`.
 */
export function lengthError(
  type: number,
  streamId: number,
  length: number,
  expected: string,
  connection: boolean,
): FrameSizeError {
  return new FrameSizeError(
    `Cannot accept ${frameTypeName(type)} frame: payload length is ${length}, expected ${expected}`,
    connection ? { scope: "connection", streamId: 0 } : { scope: "stream", streamId },
  );
}

/**
 * Validates the optional PADDED prefix of DATA, HEADERS and PUSH_PROMISE
 * (RFC 9113 §6.1, §6.2, §6.6) and returns the pad length, or -1 when the frame
 * is not padded. `mandatory` is the number of fixed octets that must follow
 * the pad length octet (5 for HEADERS with PRIORITY, 4 for PUSH_PROMISE).
 * Too short for the fixed fields is FRAME_SIZE_ERROR; padding that leaves less
 * than nothing for the content is PROTOCOL_ERROR. Both are connection errors:
 * these frames carry field blocks or count against the connection window.
 */
export function readPadLength(
  type: number,
  flags: number,
  payload: Uint8Array,
  mandatory: number,
): number {
  const length = payload.length;
  if ((flags & FrameFlag.PADDED) === 0) {
    if (length < mandatory) {
      throw lengthError(type, 0, length, `at least ${mandatory}`, true);
    }
    return -1;
  }
  if (length < 1 + mandatory) {
    throw lengthError(type, 0, length, `at least ${1 + mandatory} with PADDED`, true);
  }
  const pad = payload[0];
  if (pad > length - 1 - mandatory) {
    throw new ProtocolError(
      `Cannot accept ${
        frameTypeName(type)
      } frame: pad length ${pad} exceeds payload length ${length}`,
    );
  }
  return pad;
}

/**
 * Decodes octets as a byte string: one UTF-16 code unit per octet, like the
 * WHATWG `ByteString` (see docs/ARCHITECTURE.md, "Header fields").
 */
export function bytesToByteString(b: Uint8Array): string {
  let s = "";
  // fromCharCode with many arguments is fast, but argument count is bounded.
  for (let i = 0; i < b.length; i += 4096) {
    s += String.fromCharCode.apply(null, b.subarray(i, i + 4096) as unknown as number[]);
  }
  return s;
}

/** Appends a byte string; a code unit above 0xFF is the caller's bug. */
export function writeByteString(out: ByteWriter, s: string): void {
  const at = out.reserve(s.length);
  const b = out.buffer;
  for (let i = 0; i < s.length; i++) b[at + i] = s.charCodeAt(i);
}

/** Throws {@link UsageError} unless every code unit of `s` is an octet. */
export function checkByteString(s: string, what: string): void {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0xff) {
      throw new UsageError(`Cannot encode ${what}: code unit at index ${i} is above 0xFF`);
    }
  }
}
