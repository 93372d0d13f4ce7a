/**
 * The DATA frame (RFC 9113 §6.1).
 *
 * @module
 */

import type { ByteWriter } from "../byte_writer.ts";
import { EMPTY, readPadLength, writeZeros, zeroStreamError } from "./_head.ts";
import { FrameFlag, FrameType } from "./frame_type.ts";

/** Constructor options of {@link DataFrame}. */
export interface DataFrameOptions {
  /** The stream (non-zero). */
  readonly streamId: number;
  /** Body octets; empty by default. */
  readonly data?: Uint8Array;
  /** Set END_STREAM: the sender's last frame on this stream. */
  readonly endStream?: boolean;
  /** Number of padding octets 0..255; `undefined` means no PADDED flag. */
  readonly padLength?: number;
}

/**
 * A DATA frame: body octets of one stream (RFC 9113 §6.1).
 *
 * Parsed `data` is a view into the received bytes (no copy). For sending a
 * large body, prefer `writeDataFrameHeader` and append the payload yourself.
 */
export class DataFrame {
  /** Frame type discriminant. */
  readonly type: typeof FrameType.DATA = FrameType.DATA;
  /** The stream the body belongs to. */
  readonly streamId: number;
  /** Body octets, without padding. */
  readonly data: Uint8Array;
  /** END_STREAM flag. */
  readonly endStream: boolean;
  /** Padding length when PADDED is set, else `undefined`. */
  readonly padLength: number | undefined;

  /**
   * Creates a frame; no validation happens until it is encoded.
   *
   * @param options Stream, data, flags and padding.
   */
  constructor(options: DataFrameOptions) {
    this.streamId = options.streamId;
    this.data = options.data ?? EMPTY;
    this.endStream = options.endStream ?? false;
    this.padLength = options.padLength;
  }

  /**
   * Octets that count against flow control: the whole payload, including the
   * pad length octet and the padding (RFC 9113 §6.1, §6.9.1).
   */
  get flowControlledLength(): number {
    const pad = this.padLength;
    return pad === undefined ? this.data.length : this.data.length + 1 + pad;
  }

  /** The flags octet this frame is written with. */
  get flags(): number {
    return (this.endStream ? FrameFlag.END_STREAM : 0) |
      (this.padLength === undefined ? 0 : FrameFlag.PADDED);
  }

  /** Payload length on the wire. */
  get payloadLength(): number {
    return this.flowControlledLength;
  }

  /** Appends the payload (not the header); used by `encodeFrame`. */
  writePayload(out: ByteWriter): void {
    const pad = this.padLength;
    if (pad !== undefined) out.u8(pad);
    out.bytes(this.data);
    if (pad !== undefined) writeZeros(out, pad);
  }

  /**
   * Parses a DATA payload. DATA on stream 0 is a connection PROTOCOL_ERROR;
   * bad padding is a connection error (DATA counts against the connection
   * window, so its size alters connection state, RFC 9113 §4.2).
   *
   * @param flags The flags octet; unknown bits are ignored.
   * @param streamId The stream id (reserved bit already cleared).
   * @param payload The payload; `data` is a view into it.
   * @returns The frame.
   */
  static decode(flags: number, streamId: number, payload: Uint8Array): DataFrame {
    if (streamId === 0) throw zeroStreamError(FrameType.DATA);
    const pad = readPadLength(FrameType.DATA, flags, payload, 0);
    return new DataFrame({
      streamId,
      data: pad < 0 ? payload : payload.subarray(1, payload.length - pad),
      endStream: (flags & FrameFlag.END_STREAM) !== 0,
      padLength: pad < 0 ? undefined : pad,
    });
  }
}
