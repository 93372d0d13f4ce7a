/**
 * The PRIORITY_UPDATE frame of extensible priorities (RFC 9218 §7.1).
 *
 * @module
 */

import type { ByteWriter } from "../byte_writer.ts";
import { ProtocolError } from "../errors.ts";
import {
  bytesToByteString,
  lengthError,
  nonZeroStreamError,
  readU31,
  writeByteString,
} from "./_head.ts";
import { FrameType } from "./frame_type.ts";

/** Constructor options of {@link PriorityUpdateFrame}. */
export interface PriorityUpdateFrameOptions {
  /** The stream (or push id) being reprioritized; non-zero. */
  readonly prioritizedStreamId: number;
  /** The Priority Field Value, e.g. `"u=1, i"` (RFC 9218 §4), as a byte string. */
  readonly fieldValue: string;
}

/**
 * A PRIORITY_UPDATE frame: a new RFC 9218 priority for a stream, always sent on
 * stream 0 (RFC 9218 §7.1). The field value is not parsed here; that is the
 * priority module's job.
 */
export class PriorityUpdateFrame {
  /** Frame type discriminant. */
  readonly type: typeof FrameType.PRIORITY_UPDATE = FrameType.PRIORITY_UPDATE;
  /** Always 0. */
  readonly streamId: 0 = 0;
  /** The stream being reprioritized (reserved bit ignored). */
  readonly prioritizedStreamId: number;
  /** The Priority Field Value as a byte string (one code unit per octet). */
  readonly fieldValue: string;

  /**
   * Creates a frame; no validation happens until it is encoded.
   *
   * @param options Prioritized stream and field value.
   */
  constructor(options: PriorityUpdateFrameOptions) {
    this.prioritizedStreamId = options.prioritizedStreamId;
    this.fieldValue = options.fieldValue;
  }

  /** The flags octet this frame is written with (none defined). */
  get flags(): number {
    return 0;
  }

  /** Payload length on the wire. */
  get payloadLength(): number {
    return 4 + this.fieldValue.length;
  }

  /** Appends the payload (not the header); used by `encodeFrame`. */
  writePayload(out: ByteWriter): void {
    out.u32(this.prioritizedStreamId & 0x7fffffff);
    writeByteString(out, this.fieldValue);
  }

  /**
   * Parses a PRIORITY_UPDATE payload. A non-zero stream or a prioritized
   * stream id of 0 is a connection PROTOCOL_ERROR; a length below 4 a
   * connection FRAME_SIZE_ERROR (RFC 9218 §7.1, RFC 9113 §4.2).
   *
   * @param _flags The flags octet (none defined).
   * @param streamId The stream id (reserved bit already cleared).
   * @param payload The payload.
   * @returns The frame.
   */
  static decode(_flags: number, streamId: number, payload: Uint8Array): PriorityUpdateFrame {
    if (streamId !== 0) throw nonZeroStreamError(FrameType.PRIORITY_UPDATE, streamId);
    if (payload.length < 4) {
      throw lengthError(FrameType.PRIORITY_UPDATE, 0, payload.length, "at least 4", true);
    }
    const prioritizedStreamId = readU31(payload, 0);
    if (prioritizedStreamId === 0) {
      throw new ProtocolError("Cannot accept PRIORITY_UPDATE frame: prioritized stream id is 0");
    }
    return new PriorityUpdateFrame({
      prioritizedStreamId,
      fieldValue: bytesToByteString(payload.subarray(4)),
    });
  }
}
