/**
 * The ALTSVC frame (RFC 7838 §4).
 *
 * @module
 */

import type { ByteWriter } from "../byte_writer.ts";
import { bytesToByteString, lengthError, writeByteString } from "./_head.ts";
import { FrameType } from "./frame_type.ts";

/** Constructor options of {@link AltSvcFrame}. */
export interface AltSvcFrameOptions {
  /** 0 with a non-empty `origin`, or a stream id with an empty `origin`. */
  readonly streamId: number;
  /** The origin the alternatives apply to (byte string); empty on a stream. */
  readonly origin?: string;
  /** The Alt-Svc field value, e.g. `h2="alt.example:443"` (byte string). */
  readonly fieldValue: string;
}

/**
 * An ALTSVC frame: alternative services for an origin (RFC 7838 §4).
 *
 * RFC 7838 §4 says an ALTSVC frame on stream 0 with an empty origin, or on
 * another stream with a non-empty origin, MUST be ignored. The codec still
 * decodes such frames (they are well-formed); use {@link AltSvcFrame.valid}
 * and drop the invalid ones in the connection. Only a payload too short for
 * its own Origin-Len is an error.
 */
export class AltSvcFrame {
  /** Frame type discriminant. */
  readonly type: typeof FrameType.ALTSVC = FrameType.ALTSVC;
  /** Stream the frame arrived on. */
  readonly streamId: number;
  /** Origin (byte string); empty when the frame is about its stream's origin. */
  readonly origin: string;
  /** Alt-Svc field value (byte string), unparsed. */
  readonly fieldValue: string;

  /**
   * Creates a frame; no validation happens until it is encoded.
   *
   * @param options Stream, origin and field value.
   */
  constructor(options: AltSvcFrameOptions) {
    this.streamId = options.streamId;
    this.origin = options.origin ?? "";
    this.fieldValue = options.fieldValue;
  }

  /**
   * Whether the receiver should act on this frame: an origin on stream 0, or
   * no origin on another stream (RFC 7838 §4). Otherwise it must be ignored.
   */
  get valid(): boolean {
    return (this.streamId === 0) === (this.origin.length > 0);
  }

  /** The flags octet this frame is written with (none defined). */
  get flags(): number {
    return 0;
  }

  /** Payload length on the wire. */
  get payloadLength(): number {
    return 2 + this.origin.length + this.fieldValue.length;
  }

  /** Appends the payload (not the header); used by `encodeFrame`. */
  writePayload(out: ByteWriter): void {
    out.u16(this.origin.length);
    writeByteString(out, this.origin);
    writeByteString(out, this.fieldValue);
  }

  /**
   * Parses an ALTSVC payload. A payload shorter than 2 + Origin-Len is a
   * FRAME_SIZE_ERROR ("too small to contain mandatory frame data",
   * RFC 9113 §4.2): a connection error on stream 0, a stream error otherwise.
   *
   * @param _flags The flags octet (none defined).
   * @param streamId The stream id (reserved bit already cleared).
   * @param payload The payload.
   * @returns The frame, possibly not {@link AltSvcFrame.valid}.
   */
  static decode(_flags: number, streamId: number, payload: Uint8Array): AltSvcFrame {
    const length = payload.length;
    const originLength = length < 2 ? 0 : (payload[0] << 8) | payload[1];
    if (length < 2 + originLength) {
      throw lengthError(
        FrameType.ALTSVC,
        streamId,
        length,
        `at least ${2 + originLength}`,
        streamId === 0,
      );
    }
    return new AltSvcFrame({
      streamId,
      origin: bytesToByteString(payload.subarray(2, 2 + originLength)),
      fieldValue: bytesToByteString(payload.subarray(2 + originLength)),
    });
  }
}
