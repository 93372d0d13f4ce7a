/**
 * The PING frame (RFC 9113 §6.7).
 *
 * @module
 */

import type { ByteWriter } from "../byte_writer.ts";
import { lengthError, nonZeroStreamError } from "./_head.ts";
import { FrameFlag, FrameType } from "./frame_type.ts";

/** Constructor options of {@link PingFrame}. */
export interface PingFrameOptions {
  /** Exactly 8 opaque octets; zeros by default. */
  readonly data?: Uint8Array;
  /** This PING answers the peer's (the ACK carries the same data). */
  readonly ack?: boolean;
}

/** A PING frame: 8 opaque octets echoed back with ACK (RFC 9113 §6.7). */
export class PingFrame {
  /** Frame type discriminant. */
  readonly type: typeof FrameType.PING = FrameType.PING;
  /** Always 0: PING applies to the connection. */
  readonly streamId: 0 = 0;
  /** ACK flag. */
  readonly ack: boolean;
  /** The 8 opaque octets (a view into the received bytes). */
  readonly data: Uint8Array;

  /**
   * Creates a frame; no validation happens until it is encoded.
   *
   * @param options Data and ACK flag.
   */
  constructor(options: PingFrameOptions = {}) {
    this.ack = options.ack ?? false;
    this.data = options.data ?? new Uint8Array(8);
  }

  /** The flags octet this frame is written with. */
  get flags(): number {
    return this.ack ? FrameFlag.ACK : 0;
  }

  /** Payload length on the wire: always 8. */
  get payloadLength(): number {
    return 8;
  }

  /** Appends the payload (not the header); used by `encodeFrame`. */
  writePayload(out: ByteWriter): void {
    out.bytes(this.data);
  }

  /**
   * Parses a PING payload. A non-zero stream is a connection PROTOCOL_ERROR,
   * a length other than 8 a connection FRAME_SIZE_ERROR (RFC 9113 §6.7).
   *
   * @param flags The flags octet; unknown bits are ignored.
   * @param streamId The stream id (reserved bit already cleared).
   * @param payload The payload; `data` is a view into it.
   * @returns The frame.
   */
  static decode(flags: number, streamId: number, payload: Uint8Array): PingFrame {
    if (streamId !== 0) throw nonZeroStreamError(FrameType.PING, streamId);
    if (payload.length !== 8) throw lengthError(FrameType.PING, 0, payload.length, "8", true);
    return new PingFrame({ ack: (flags & FrameFlag.ACK) !== 0, data: payload });
  }
}
