/**
 * The GOAWAY frame (RFC 9113 §6.8).
 *
 * @module
 */

import type { ByteWriter } from "../byte_writer.ts";
import type { ErrorCode } from "../error_code.ts";
import { EMPTY, lengthError, nonZeroStreamError, readU31, readU32 } from "./_head.ts";
import { FrameType } from "./frame_type.ts";

/** Constructor options of {@link GoAwayFrame}. */
export interface GoAwayFrameOptions {
  /** Highest peer-initiated stream the sender processed or may still process. */
  readonly lastStreamId: number;
  /** Why the connection is closing (RFC 9113 §7). */
  readonly errorCode: ErrorCode;
  /** Opaque diagnostic octets; empty by default. */
  readonly debugData?: Uint8Array;
}

/** A GOAWAY frame: connection shutdown, graceful or on error (RFC 9113 §6.8). */
export class GoAwayFrame {
  /** Frame type discriminant. */
  readonly type: typeof FrameType.GOAWAY = FrameType.GOAWAY;
  /** Always 0: GOAWAY applies to the connection. */
  readonly streamId: 0 = 0;
  /** Last stream id (reserved bit ignored). */
  readonly lastStreamId: number;
  /** The error code, unknown values included. */
  readonly errorCode: ErrorCode;
  /** Additional debug data (a view into the received bytes). */
  readonly debugData: Uint8Array;

  /**
   * Creates a frame; no validation happens until it is encoded.
   *
   * @param options Last stream id, error code and debug data.
   */
  constructor(options: GoAwayFrameOptions) {
    this.lastStreamId = options.lastStreamId;
    this.errorCode = options.errorCode;
    this.debugData = options.debugData ?? EMPTY;
  }

  /** The flags octet this frame is written with (GOAWAY defines none). */
  get flags(): number {
    return 0;
  }

  /** Payload length on the wire. */
  get payloadLength(): number {
    return 8 + this.debugData.length;
  }

  /** Appends the payload (not the header); used by `encodeFrame`. */
  writePayload(out: ByteWriter): void {
    out.u32(this.lastStreamId & 0x7fffffff);
    out.u32(this.errorCode);
    out.bytes(this.debugData);
  }

  /**
   * Parses a GOAWAY payload. A non-zero stream is a connection
   * PROTOCOL_ERROR, a length below 8 a connection FRAME_SIZE_ERROR
   * (RFC 9113 §6.8).
   *
   * @param _flags The flags octet (none defined).
   * @param streamId The stream id (reserved bit already cleared).
   * @param payload The payload; `debugData` is a view into it.
   * @returns The frame.
   */
  static decode(_flags: number, streamId: number, payload: Uint8Array): GoAwayFrame {
    if (streamId !== 0) throw nonZeroStreamError(FrameType.GOAWAY, streamId);
    if (payload.length < 8) {
      throw lengthError(FrameType.GOAWAY, 0, payload.length, "at least 8", true);
    }
    return new GoAwayFrame({
      lastStreamId: readU31(payload, 0),
      errorCode: readU32(payload, 4),
      debugData: payload.subarray(8),
    });
  }
}
