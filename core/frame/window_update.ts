/**
 * The WINDOW_UPDATE frame (RFC 9113 §6.9).
 *
 * @module
 */

import type { ByteWriter } from "../byte_writer.ts";
import { ProtocolError } from "../errors.ts";
import { lengthError, readU31 } from "./_head.ts";
import { FrameType } from "./frame_type.ts";

/** Constructor options of {@link WindowUpdateFrame}. */
export interface WindowUpdateFrameOptions {
  /** The stream, or 0 for the connection window. */
  readonly streamId: number;
  /** Credit to add, 1..2^31-1. */
  readonly increment: number;
}

/** A WINDOW_UPDATE frame: flow-control credit for a stream or the connection (RFC 9113 §6.9). */
export class WindowUpdateFrame {
  /** Frame type discriminant. */
  readonly type: typeof FrameType.WINDOW_UPDATE = FrameType.WINDOW_UPDATE;
  /** The stream, or 0 for the connection. */
  readonly streamId: number;
  /** Window size increment (reserved bit ignored). */
  readonly increment: number;

  /**
   * Creates a frame; no validation happens until it is encoded.
   *
   * @param options Stream and increment.
   */
  constructor(options: WindowUpdateFrameOptions) {
    this.streamId = options.streamId;
    this.increment = options.increment;
  }

  /** The flags octet this frame is written with (WINDOW_UPDATE defines none). */
  get flags(): number {
    return 0;
  }

  /** Payload length on the wire: always 4. */
  get payloadLength(): number {
    return 4;
  }

  /** Appends the payload (not the header); used by `encodeFrame`. */
  writePayload(out: ByteWriter): void {
    out.u32(this.increment & 0x7fffffff);
  }

  /**
   * Parses a WINDOW_UPDATE payload. A length other than 4 is a connection
   * FRAME_SIZE_ERROR; an increment of 0 is a PROTOCOL_ERROR scoped to the
   * stream, or to the connection when on stream 0 (RFC 9113 §6.9).
   *
   * @param _flags The flags octet (none defined).
   * @param streamId The stream id (reserved bit already cleared).
   * @param payload The payload.
   * @returns The frame.
   */
  static decode(_flags: number, streamId: number, payload: Uint8Array): WindowUpdateFrame {
    if (payload.length !== 4) {
      throw lengthError(FrameType.WINDOW_UPDATE, streamId, payload.length, "4", true);
    }
    const increment = readU31(payload, 0);
    if (increment === 0) {
      throw new ProtocolError(
        `Cannot accept WINDOW_UPDATE frame: increment is 0 on stream ${streamId}`,
        streamId === 0 ? { scope: "connection" } : { scope: "stream", streamId },
      );
    }
    return new WindowUpdateFrame({ streamId, increment });
  }
}
