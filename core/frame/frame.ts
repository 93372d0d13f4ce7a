/**
 * The `Frame` union and the codec entry points: decode one frame from its
 * header fields and payload, encode any frame into a `ByteWriter`, and the
 * writers the connection uses on its hot paths (RFC 9113 §4.1, §6).
 *
 * @module
 */

import { ByteWriter } from "../byte_writer.ts";
import { UsageError } from "../errors.ts";
import {
  checkByteString,
  FRAME_HEADER_LENGTH,
  MAX_FRAME_PAYLOAD,
  MAX_STREAM_ID,
  MIN_MAX_FRAME_SIZE,
  writeFrameHeader,
  writeZeros,
} from "./_head.ts";
import { AltSvcFrame } from "./altsvc.ts";
import { ContinuationFrame } from "./continuation.ts";
import { DataFrame } from "./data.ts";
import { FrameFlag, FrameType, frameTypeName } from "./frame_type.ts";
import { GoAwayFrame } from "./goaway.ts";
import { HeadersFrame } from "./headers.ts";
import { OriginFrame } from "./origin.ts";
import { PingFrame } from "./ping.ts";
import { PriorityFrame } from "./priority.ts";
import { PRIORITY_SPEC_LENGTH, type PrioritySpec, writePrioritySpec } from "./priority_spec.ts";
import { PriorityUpdateFrame } from "./priority_update.ts";
import { PushPromiseFrame } from "./push_promise.ts";
import { RstStreamFrame } from "./rst_stream.ts";
import { SettingsFrame } from "./settings.ts";
import { UnknownFrame } from "./unknown.ts";
import { WindowUpdateFrame } from "./window_update.ts";

/** Every frame type this library implements, i.e. {@link Frame} without {@link UnknownFrame}. */
export type KnownFrame =
  | DataFrame
  | HeadersFrame
  | PriorityFrame
  | RstStreamFrame
  | SettingsFrame
  | PushPromiseFrame
  | PingFrame
  | GoAwayFrame
  | WindowUpdateFrame
  | ContinuationFrame
  | PriorityUpdateFrame
  | AltSvcFrame
  | OriginFrame;

/**
 * Any HTTP/2 frame. Narrow with `frame instanceof UnknownFrame` first, then
 * `switch (frame.type)` discriminates the known classes.
 */
export type Frame = KnownFrame | UnknownFrame;

/**
 * Decodes one frame from its header fields and payload (RFC 9113 §4.1, §6).
 *
 * Validation is frame-level only: lengths, stream-0 rules, padding, and
 * self-dependency; not stream state and not SETTINGS values. Unknown flags
 * are ignored; unknown types become {@link UnknownFrame}. Payload fields of
 * the result are views into `payload` (no copy).
 *
 * @param type The frame type octet.
 * @param flags The flags octet.
 * @param streamId The stream identifier; the reserved bit is ignored.
 * @param payload The whole payload.
 * @returns The decoded frame.
 * @throws {H2Error} When the frame is invalid; `scope` says whether the
 * connection survives.
 */
export function decodeFrame(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array,
): Frame {
  streamId &= MAX_STREAM_ID;
  switch (type) {
    case FrameType.DATA:
      return DataFrame.decode(flags, streamId, payload);
    case FrameType.HEADERS:
      return HeadersFrame.decode(flags, streamId, payload);
    case FrameType.PRIORITY:
      return PriorityFrame.decode(flags, streamId, payload);
    case FrameType.RST_STREAM:
      return RstStreamFrame.decode(flags, streamId, payload);
    case FrameType.SETTINGS:
      return SettingsFrame.decode(flags, streamId, payload);
    case FrameType.PUSH_PROMISE:
      return PushPromiseFrame.decode(flags, streamId, payload);
    case FrameType.PING:
      return PingFrame.decode(flags, streamId, payload);
    case FrameType.GOAWAY:
      return GoAwayFrame.decode(flags, streamId, payload);
    case FrameType.WINDOW_UPDATE:
      return WindowUpdateFrame.decode(flags, streamId, payload);
    case FrameType.CONTINUATION:
      return ContinuationFrame.decode(flags, streamId, payload);
    case FrameType.ALTSVC:
      return AltSvcFrame.decode(flags, streamId, payload);
    case FrameType.ORIGIN:
      return OriginFrame.decode(flags, streamId, payload);
    case FrameType.PRIORITY_UPDATE:
      return PriorityUpdateFrame.decode(flags, streamId, payload);
    default:
      return new UnknownFrame({ type, streamId, flags, payload });
  }
}

/**
 * Appends one frame, header and payload, to `out` (RFC 9113 §4.1).
 *
 * Only representability is checked (ids fit 31 bits, pad lengths fit an
 * octet, weights are 1..256, PING data is 8 octets, byte strings are octets,
 * the payload fits 24 bits), throwing {@link UsageError} before anything is
 * written. Protocol rules such as "DATA is never on stream 0" are not
 * enforced, so tests can build invalid frames; an {@link UnknownFrame} with a
 * known type number writes raw, possibly malformed, frames of that type.
 *
 * @param frame The frame.
 * @param out Destination.
 */
export function encodeFrame(frame: Frame, out: ByteWriter): void {
  checkFrame(frame);
  const length = frame.payloadLength;
  if (length > MAX_FRAME_PAYLOAD) {
    throw new UsageError(
      `Cannot encode ${frameTypeName(frame.type)} frame: payload length ${length} exceeds 16777215`,
    );
  }
  writeFrameHeader(out, length, frame.type, frame.flags, frame.streamId);
  frame.writePayload(out);
}

/**
 * Serializes one frame into a new array; convenient for tests and one-off
 * frames. Prefer {@link encodeFrame} into a shared `ByteWriter` when sending
 * several frames.
 *
 * @param frame The frame.
 * @returns Header and payload.
 */
export function serializeFrame(frame: Frame): Uint8Array {
  const out = new ByteWriter(FRAME_HEADER_LENGTH + frame.payloadLength);
  encodeFrame(frame, out);
  return out.take();
}

/** Options of {@link writeFieldBlock}. */
export interface FieldBlockOptions {
  /** The stream (non-zero). */
  readonly streamId: number;
  /** The whole HPACK-encoded field block. */
  readonly block: Uint8Array;
  /** Set END_STREAM on the HEADERS frame. */
  readonly endStream: boolean;
  /** The peer's SETTINGS_MAX_FRAME_SIZE (16384..16777215). */
  readonly maxFrameSize: number;
  /** RFC 7540 priority for the HEADERS frame. */
  readonly priority?: PrioritySpec;
  /** Padding octets 0..255 on the HEADERS frame (CONTINUATION cannot be padded). */
  readonly padLength?: number;
}

/**
 * Appends one field block as a HEADERS frame followed by as many
 * CONTINUATION frames as needed, each payload at most `maxFrameSize`
 * (RFC 9113 §4.3, §6.2, §6.10). END_STREAM goes on the HEADERS frame (it
 * belongs to the stream, not the frame sequence), END_HEADERS on the last.
 * The whole sequence is appended in one call, so nothing can interleave.
 *
 * @param out Destination.
 * @param options Stream, block, flags and the size limit.
 */
export function writeFieldBlock(out: ByteWriter, options: FieldBlockOptions): void {
  const { streamId, block, maxFrameSize, priority, padLength } = options;
  checkStreamId(streamId, "HEADERS");
  checkMaxFrameSize(maxFrameSize);
  if (padLength !== undefined) checkPadLength(padLength, "HEADERS");
  if (priority !== undefined) checkPriority(priority, "HEADERS");
  const overhead = (padLength === undefined ? 0 : 1 + padLength) +
    (priority === undefined ? 0 : PRIORITY_SPEC_LENGTH);
  const first = Math.min(block.length, maxFrameSize - overhead);
  const flags = (options.endStream ? FrameFlag.END_STREAM : 0) |
    (first === block.length ? FrameFlag.END_HEADERS : 0) |
    (padLength === undefined ? 0 : FrameFlag.PADDED) |
    (priority === undefined ? 0 : FrameFlag.PRIORITY);
  writeFrameHeader(out, first + overhead, FrameType.HEADERS, flags, streamId);
  if (padLength !== undefined) out.u8(padLength);
  if (priority !== undefined) writePrioritySpec(out, priority);
  out.bytes(block.subarray(0, first));
  if (padLength !== undefined) writeZeros(out, padLength);
  writeContinuations(out, streamId, block, first, maxFrameSize);
}

/** Options of {@link writePushPromise}. */
export interface PushPromiseBlockOptions {
  /** The associated stream (non-zero). */
  readonly streamId: number;
  /** The stream the server reserves. */
  readonly promisedStreamId: number;
  /** The whole HPACK-encoded field block of the promised request. */
  readonly block: Uint8Array;
  /** The peer's SETTINGS_MAX_FRAME_SIZE (16384..16777215). */
  readonly maxFrameSize: number;
  /** Padding octets 0..255 on the PUSH_PROMISE frame. */
  readonly padLength?: number;
}

/**
 * Appends one promised request's field block as a PUSH_PROMISE frame followed
 * by CONTINUATION frames as needed (RFC 9113 §6.6, §6.10).
 *
 * @param out Destination.
 * @param options Streams, block and the size limit.
 */
export function writePushPromise(out: ByteWriter, options: PushPromiseBlockOptions): void {
  const { streamId, promisedStreamId, block, maxFrameSize, padLength } = options;
  checkStreamId(streamId, "PUSH_PROMISE");
  checkStreamId(promisedStreamId, "PUSH_PROMISE");
  checkMaxFrameSize(maxFrameSize);
  if (padLength !== undefined) checkPadLength(padLength, "PUSH_PROMISE");
  const overhead = 4 + (padLength === undefined ? 0 : 1 + padLength);
  const first = Math.min(block.length, maxFrameSize - overhead);
  const flags = (first === block.length ? FrameFlag.END_HEADERS : 0) |
    (padLength === undefined ? 0 : FrameFlag.PADDED);
  writeFrameHeader(out, first + overhead, FrameType.PUSH_PROMISE, flags, streamId);
  if (padLength !== undefined) out.u8(padLength);
  out.u32(promisedStreamId);
  out.bytes(block.subarray(0, first));
  if (padLength !== undefined) writeZeros(out, padLength);
  writeContinuations(out, streamId, block, first, maxFrameSize);
}

/**
 * Appends only the 9-byte header of a DATA frame; the caller appends exactly
 * `length` payload octets next (RFC 9113 §6.1). This is the hot path for
 * bodies: no frame object, no copy of the payload into an intermediate array.
 *
 * @param out Destination.
 * @param streamId The stream (non-zero).
 * @param length Payload length that will follow, at most the peer's max frame size.
 * @param endStream Set END_STREAM.
 */
export function writeDataFrameHeader(
  out: ByteWriter,
  streamId: number,
  length: number,
  endStream: boolean,
): void {
  if (length > MAX_FRAME_PAYLOAD || length < 0) {
    throw new UsageError(`Cannot encode DATA frame: payload length ${length} is out of range`);
  }
  writeFrameHeader(out, length, FrameType.DATA, endStream ? FrameFlag.END_STREAM : 0, streamId);
}

function writeContinuations(
  out: ByteWriter,
  streamId: number,
  block: Uint8Array,
  from: number,
  maxFrameSize: number,
): void {
  let at = from;
  while (at < block.length) {
    const n = Math.min(block.length - at, maxFrameSize);
    const last = at + n === block.length;
    writeFrameHeader(
      out,
      n,
      FrameType.CONTINUATION,
      last ? FrameFlag.END_HEADERS : 0,
      streamId,
    );
    out.bytes(block.subarray(at, at + n));
    at += n;
  }
}

function checkStreamId(id: number, what: string): void {
  if (!Number.isInteger(id) || id < 0 || id > MAX_STREAM_ID) {
    throw new UsageError(`Cannot encode ${what} frame: stream id ${id} is not a 31-bit integer`);
  }
}

function checkU32(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new UsageError(`Cannot encode ${what}: value ${v} is not a 32-bit unsigned integer`);
  }
}

function checkPadLength(pad: number, what: string): void {
  if (!Number.isInteger(pad) || pad < 0 || pad > 255) {
    throw new UsageError(`Cannot encode ${what} frame: pad length ${pad} is not in 0..255`);
  }
}

function checkPriority(p: PrioritySpec, what: string): void {
  checkStreamId(p.dependency, what);
  if (!Number.isInteger(p.weight) || p.weight < 1 || p.weight > 256) {
    throw new UsageError(`Cannot encode ${what} frame: weight ${p.weight} is not in 1..256`);
  }
}

function checkMaxFrameSize(n: number): void {
  if (!Number.isInteger(n) || n < MIN_MAX_FRAME_SIZE || n > MAX_FRAME_PAYLOAD) {
    throw new UsageError(`Cannot split field block: max frame size ${n} is not in 16384..16777215`);
  }
}

function checkFrame(frame: Frame): void {
  const name = frameTypeName(frame.type);
  checkStreamId(frame.streamId, name);
  if (frame instanceof UnknownFrame) {
    if (!Number.isInteger(frame.type) || frame.type < 0 || frame.type > 0xff) {
      throw new UsageError(`Cannot encode frame: type ${frame.type} is not an octet`);
    }
    if (!Number.isInteger(frame.flags) || frame.flags < 0 || frame.flags > 0xff) {
      throw new UsageError(`Cannot encode ${name} frame: flags ${frame.flags} is not an octet`);
    }
    return;
  }
  switch (frame.type) {
    case FrameType.DATA:
    case FrameType.PUSH_PROMISE:
      if (frame.padLength !== undefined) checkPadLength(frame.padLength, name);
      if (frame.type === FrameType.PUSH_PROMISE) checkStreamId(frame.promisedStreamId, name);
      return;
    case FrameType.HEADERS:
      if (frame.padLength !== undefined) checkPadLength(frame.padLength, name);
      if (frame.priority !== undefined) checkPriority(frame.priority, name);
      return;
    case FrameType.PRIORITY:
      return checkPriority(frame.priority, name);
    case FrameType.RST_STREAM:
      return checkU32(frame.errorCode, "RST_STREAM error code");
    case FrameType.SETTINGS:
      for (const [id, value] of frame.settings) {
        if (!Number.isInteger(id) || id < 0 || id > 0xffff) {
          throw new UsageError(`Cannot encode SETTINGS frame: id ${id} is not a 16-bit integer`);
        }
        checkU32(value, "SETTINGS value");
      }
      return;
    case FrameType.PING:
      if (frame.data.length !== 8) {
        throw new UsageError(
          `Cannot encode PING frame: data has ${frame.data.length} octets, not 8`,
        );
      }
      return;
    case FrameType.GOAWAY:
      checkStreamId(frame.lastStreamId, name);
      return checkU32(frame.errorCode, "GOAWAY error code");
    case FrameType.WINDOW_UPDATE:
      return checkStreamId(frame.increment, name);
    case FrameType.CONTINUATION:
      return;
    case FrameType.PRIORITY_UPDATE:
      checkStreamId(frame.prioritizedStreamId, name);
      return checkByteString(frame.fieldValue, "PRIORITY_UPDATE field value");
    case FrameType.ALTSVC:
      if (frame.origin.length > 0xffff) {
        throw new UsageError("Cannot encode ALTSVC frame: origin is longer than 65535 octets");
      }
      checkByteString(frame.origin, "ALTSVC origin");
      return checkByteString(frame.fieldValue, "ALTSVC field value");
    case FrameType.ORIGIN:
      for (const o of frame.origins) {
        if (o.length > 0xffff) {
          throw new UsageError("Cannot encode ORIGIN frame: an origin is longer than 65535 octets");
        }
        checkByteString(o, "ORIGIN entry");
      }
      return;
  }
}
