/**
 * The RST_STREAM frame (RFC 9113 §6.4).
 *
 * @module
 */

import type { ByteWriter } from "../byte_writer.ts";
import type { ErrorCode } from "../error_code.ts";
import { lengthError, readU32, zeroStreamError } from "./_head.ts";
import { FrameType } from "./frame_type.ts";

/** Constructor options of {@link RstStreamFrame}. */
export interface RstStreamFrameOptions {
  /** The stream to terminate (non-zero). */
  readonly streamId: number;
  /** Why (RFC 9113 §7); any 32-bit value. */
  readonly errorCode: ErrorCode;
}

/** An RST_STREAM frame: immediate termination of one stream (RFC 9113 §6.4). */
export class RstStreamFrame {
  /** Frame type discriminant. */
  readonly type: typeof FrameType.RST_STREAM = FrameType.RST_STREAM;
  /** The stream being reset. */
  readonly streamId: number;
  /** The error code, unknown values included. */
  readonly errorCode: ErrorCode;

  /**
   * Creates a frame; no validation happens until it is encoded.
   *
   * @param options Stream and error code.
   */
  constructor(options: RstStreamFrameOptions) {
    this.streamId = options.streamId;
    this.errorCode = options.errorCode;
  }

  /** The flags octet this frame is written with (RST_STREAM defines none). */
  get flags(): number {
    return 0;
  }

  /** Payload length on the wire: always 4. */
  get payloadLength(): number {
    return 4;
  }

  /** Appends the payload (not the header); used by `encodeFrame`. */
  writePayload(out: ByteWriter): void {
    out.u32(this.errorCode);
  }

  /**
   * Parses an RST_STREAM payload. Stream 0 is a connection PROTOCOL_ERROR and
   * a length other than 4 a connection FRAME_SIZE_ERROR (RFC 9113 §6.4).
   *
   * @param _flags The flags octet (none defined).
   * @param streamId The stream id (reserved bit already cleared).
   * @param payload The payload.
   * @returns The frame.
   */
  static decode(_flags: number, streamId: number, payload: Uint8Array): RstStreamFrame {
    if (streamId === 0) throw zeroStreamError(FrameType.RST_STREAM);
    if (payload.length !== 4) {
      throw lengthError(FrameType.RST_STREAM, streamId, payload.length, "4", true);
    }
    return new RstStreamFrame({ streamId, errorCode: readU32(payload, 0) });
  }
}
