/**
 * The SETTINGS frame (RFC 9113 §6.5).
 *
 * @module
 */

import type { ByteWriter } from "../byte_writer.ts";
import { lengthError, nonZeroStreamError, readU32 } from "./_head.ts";
import { FrameFlag, FrameType } from "./frame_type.ts";

/** One SETTINGS parameter: identifier (16 bits) and value (32 bits). */
export type SettingEntry = readonly [id: number, value: number];

/** Constructor options of {@link SettingsFrame}. */
export interface SettingsFrameOptions {
  /** Acknowledges the peer's SETTINGS; must then carry no settings. */
  readonly ack?: boolean;
  /** Parameters in order; duplicates and unknown ids are kept as sent. */
  readonly settings?: ReadonlyArray<SettingEntry>;
}

/**
 * A SETTINGS frame: connection parameters, or their acknowledgement
 * (RFC 9113 §6.5). Values are not validated here: range checks such as
 * INITIAL_WINDOW_SIZE <= 2^31-1 are the connection's job (RFC 9113 §6.5.2).
 */
export class SettingsFrame {
  /** Frame type discriminant. */
  readonly type: typeof FrameType.SETTINGS = FrameType.SETTINGS;
  /** Always 0: SETTINGS applies to the connection. */
  readonly streamId: 0 = 0;
  /** ACK flag. */
  readonly ack: boolean;
  /** The parameters in wire order. */
  readonly settings: ReadonlyArray<SettingEntry>;

  /**
   * Creates a frame; no validation happens until it is encoded.
   *
   * @param options ACK flag and parameters.
   */
  constructor(options: SettingsFrameOptions = {}) {
    this.ack = options.ack ?? false;
    this.settings = options.settings ?? [];
  }

  /** The flags octet this frame is written with. */
  get flags(): number {
    return this.ack ? FrameFlag.ACK : 0;
  }

  /** Payload length on the wire: 6 octets per parameter. */
  get payloadLength(): number {
    return this.settings.length * 6;
  }

  /** Appends the payload (not the header); used by `encodeFrame`. */
  writePayload(out: ByteWriter): void {
    for (const [id, value] of this.settings) {
      out.u16(id);
      out.u32(value);
    }
  }

  /**
   * Parses a SETTINGS payload. A non-zero stream is a connection
   * PROTOCOL_ERROR; a length that is not a multiple of 6, or any payload with
   * ACK, is a connection FRAME_SIZE_ERROR (RFC 9113 §6.5).
   *
   * @param flags The flags octet; unknown bits are ignored.
   * @param streamId The stream id (reserved bit already cleared).
   * @param payload The payload.
   * @returns The frame.
   */
  static decode(flags: number, streamId: number, payload: Uint8Array): SettingsFrame {
    if (streamId !== 0) throw nonZeroStreamError(FrameType.SETTINGS, streamId);
    const ack = (flags & FrameFlag.ACK) !== 0;
    const length = payload.length;
    if (ack && length !== 0) {
      throw lengthError(FrameType.SETTINGS, 0, length, "0 with ACK", true);
    }
    if (length % 6 !== 0) {
      throw lengthError(FrameType.SETTINGS, 0, length, "a multiple of 6", true);
    }
    const settings: SettingEntry[] = new Array(length / 6);
    for (let i = 0, at = 0; at < length; i++, at += 6) {
      settings[i] = [(payload[at] << 8) | payload[at + 1], readU32(payload, at + 2)];
    }
    return new SettingsFrame({ ack, settings });
  }
}
