/**
 * The PRIORITY frame (RFC 9113 §6.3), deprecated by RFC 9113 but still parsed.
 *
 * @module
 */

import type { ByteWriter } from "../byte_writer.ts";
import { ProtocolError } from "../errors.ts";
import { lengthError, zeroStreamError } from "./_head.ts";
import { FrameType } from "./frame_type.ts";
import {
  PRIORITY_SPEC_LENGTH,
  type PrioritySpec,
  readPrioritySpec,
  writePrioritySpec,
} from "./priority_spec.ts";

/** Constructor options of {@link PriorityFrame}. */
export interface PriorityFrameOptions {
  /** The stream being prioritized (non-zero). */
  readonly streamId: number;
  /** Its new RFC 7540 priority. */
  readonly priority: PrioritySpec;
}

/** A PRIORITY frame: RFC 7540 dependency and weight of one stream (RFC 9113 §6.3). */
export class PriorityFrame {
  /** Frame type discriminant. */
  readonly type: typeof FrameType.PRIORITY = FrameType.PRIORITY;
  /** The stream being prioritized. */
  readonly streamId: number;
  /** Dependency, exclusivity and weight. */
  readonly priority: PrioritySpec;

  /**
   * Creates a frame; no validation happens until it is encoded.
   *
   * @param options Stream and priority.
   */
  constructor(options: PriorityFrameOptions) {
    this.streamId = options.streamId;
    this.priority = options.priority;
  }

  /** The flags octet this frame is written with (PRIORITY defines none). */
  get flags(): number {
    return 0;
  }

  /** Payload length on the wire: always 5. */
  get payloadLength(): number {
    return PRIORITY_SPEC_LENGTH;
  }

  /** Appends the payload (not the header); used by `encodeFrame`. */
  writePayload(out: ByteWriter): void {
    writePrioritySpec(out, this.priority);
  }

  /**
   * Parses a PRIORITY payload. Stream 0 is a connection PROTOCOL_ERROR; a
   * length other than 5 is a *stream* FRAME_SIZE_ERROR (RFC 9113 §6.3: the
   * frame cannot alter connection state); self-dependency is a stream
   * PROTOCOL_ERROR (RFC 9113 §5.3.1).
   *
   * @param _flags The flags octet (none defined).
   * @param streamId The stream id (reserved bit already cleared).
   * @param payload The payload.
   * @returns The frame.
   */
  static decode(_flags: number, streamId: number, payload: Uint8Array): PriorityFrame {
    if (streamId === 0) throw zeroStreamError(FrameType.PRIORITY);
    if (payload.length !== PRIORITY_SPEC_LENGTH) {
      throw lengthError(FrameType.PRIORITY, streamId, payload.length, "5", false);
    }
    const priority = readPrioritySpec(payload, 0);
    if (priority.dependency === streamId) {
      throw new ProtocolError(
        `Cannot accept PRIORITY frame: stream ${streamId} depends on itself`,
        {
          scope: "stream",
          streamId,
        },
      );
    }
    return new PriorityFrame({ streamId, priority });
  }
}
