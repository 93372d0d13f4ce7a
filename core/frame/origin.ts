/**
 * The ORIGIN frame (RFC 8336 §2).
 *
 * @module
 */

import type { ByteWriter } from "../byte_writer.ts";
import { bytesToByteString, lengthError, writeByteString } from "./_head.ts";
import { FrameType } from "./frame_type.ts";

/** Constructor options of {@link OriginFrame}. */
export interface OriginFrameOptions {
  /** The ASCII serialized origins, e.g. `"https://example.com"`. */
  readonly origins: readonly string[];
  /** Stream id; 0 unless building an (invalid) frame for tests. */
  readonly streamId?: number;
}

/**
 * An ORIGIN frame: the origins a server is authoritative for on this
 * connection (RFC 8336 §2). Valid only on stream 0; RFC 8336 §2.1 says one on
 * any other stream MUST be ignored, so the codec decodes it and
 * {@link OriginFrame.valid} tells the connection to drop it.
 */
export class OriginFrame {
  /** Frame type discriminant. */
  readonly type: typeof FrameType.ORIGIN = FrameType.ORIGIN;
  /** Stream the frame arrived on; 0 when valid. */
  readonly streamId: number;
  /** The Origin-Entry values in order (byte strings). */
  readonly origins: readonly string[];

  /**
   * Creates a frame; no validation happens until it is encoded.
   *
   * @param options Origins and stream.
   */
  constructor(options: OriginFrameOptions) {
    this.streamId = options.streamId ?? 0;
    this.origins = options.origins;
  }

  /** Whether the receiver should act on this frame: it is on stream 0 (RFC 8336 §2.1). */
  get valid(): boolean {
    return this.streamId === 0;
  }

  /** The flags octet this frame is written with (none defined). */
  get flags(): number {
    return 0;
  }

  /** Payload length on the wire. */
  get payloadLength(): number {
    let n = 0;
    for (const o of this.origins) n += 2 + o.length;
    return n;
  }

  /** Appends the payload (not the header); used by `encodeFrame`. */
  writePayload(out: ByteWriter): void {
    for (const o of this.origins) {
      out.u16(o.length);
      writeByteString(out, o);
    }
  }

  /**
   * Parses an ORIGIN payload: a sequence of Origin-Len + ASCII-Origin. An
   * entry that overruns the payload is a FRAME_SIZE_ERROR (connection on
   * stream 0, stream error otherwise, RFC 9113 §4.2).
   *
   * @param _flags The flags octet (none defined).
   * @param streamId The stream id (reserved bit already cleared).
   * @param payload The payload.
   * @returns The frame, possibly not {@link OriginFrame.valid}.
   */
  static decode(_flags: number, streamId: number, payload: Uint8Array): OriginFrame {
    const origins: string[] = [];
    const length = payload.length;
    let at = 0;
    while (at < length) {
      const entry = at + 2 > length ? Infinity : (payload[at] << 8) | payload[at + 1];
      if (at + 2 + entry > length) {
        throw lengthError(
          FrameType.ORIGIN,
          streamId,
          length,
          `whole Origin-Entry items, entry at offset ${at} overruns`,
          streamId === 0,
        );
      }
      origins.push(bytesToByteString(payload.subarray(at + 2, at + 2 + entry)));
      at += 2 + entry;
    }
    return new OriginFrame({ streamId, origins });
  }
}
