/**
 * Frames of a type this library does not implement (RFC 9113 §4.1, §5.5).
 *
 * @module
 */

import type { ByteWriter } from "../byte_writer.ts";
import { EMPTY } from "./_head.ts";

/** Constructor options of {@link UnknownFrame}. */
export interface UnknownFrameOptions {
  /** The frame type octet; must not be a type listed in `FrameType`. */
  readonly type: number;
  /** The stream id. */
  readonly streamId: number;
  /** The flags octet, kept verbatim. */
  readonly flags?: number;
  /** The payload, kept verbatim. */
  readonly payload?: Uint8Array;
}

/**
 * A frame of an unknown (extension) type, carried intact: type, flags and
 * payload round-trip byte for byte. RFC 9113 §5.5 requires receivers to
 * ignore such frames, except in the middle of a field block, where the
 * connection must treat any non-CONTINUATION frame as a PROTOCOL_ERROR.
 *
 * Its `type` is a plain number, so narrowing the `Frame` union with
 * `switch (frame.type)` also keeps `UnknownFrame`; test
 * `frame instanceof UnknownFrame` first.
 */
export class UnknownFrame {
  /** The frame type octet. */
  readonly type: number;
  /** The stream id. */
  readonly streamId: number;
  /** The flags octet. */
  readonly flags: number;
  /** The payload (a view into the received bytes). */
  readonly payload: Uint8Array;

  /**
   * Creates a frame; no validation happens until it is encoded.
   *
   * @param options Type, stream, flags and payload.
   */
  constructor(options: UnknownFrameOptions) {
    this.type = options.type;
    this.streamId = options.streamId;
    this.flags = options.flags ?? 0;
    this.payload = options.payload ?? EMPTY;
  }

  /** Payload length on the wire. */
  get payloadLength(): number {
    return this.payload.length;
  }

  /** Appends the payload (not the header); used by `encodeFrame`. */
  writePayload(out: ByteWriter): void {
    out.bytes(this.payload);
  }
}
