/**
 * The PUSH_PROMISE frame (RFC 9113 §6.6).
 *
 * @module
 */

import type { ByteWriter } from "../byte_writer.ts";
import { ProtocolError } from "../errors.ts";
import { EMPTY, readPadLength, readU31, writeZeros, zeroStreamError } from "./_head.ts";
import { FrameFlag, FrameType } from "./frame_type.ts";

/** Constructor options of {@link PushPromiseFrame}. */
export interface PushPromiseFrameOptions {
  /** The stream the promise is associated with (non-zero). */
  readonly streamId: number;
  /** The stream the server reserves for the pushed response. */
  readonly promisedStreamId: number;
  /** The HPACK field block fragment of the promised request. */
  readonly fragment?: Uint8Array;
  /** Set END_HEADERS (no CONTINUATION follows). */
  readonly endHeaders?: boolean;
  /** Number of padding octets 0..255; `undefined` means no PADDED flag. */
  readonly padLength?: number;
}

/**
 * A PUSH_PROMISE frame: the server reserves a stream for a pushed response
 * and sends the promised request's field block fragment (RFC 9113 §6.6). To
 * send a whole field block use `writePushPromise`.
 */
export class PushPromiseFrame {
  /** Frame type discriminant. */
  readonly type: typeof FrameType.PUSH_PROMISE = FrameType.PUSH_PROMISE;
  /** The associated stream. */
  readonly streamId: number;
  /** The reserved stream (reserved bit ignored). */
  readonly promisedStreamId: number;
  /** Field block fragment without padding (a view into the received bytes). */
  readonly fragment: Uint8Array;
  /** END_HEADERS flag. */
  readonly endHeaders: boolean;
  /** Padding length when PADDED is set, else `undefined`. */
  readonly padLength: number | undefined;

  /**
   * Creates a frame; no validation happens until it is encoded.
   *
   * @param options Streams, fragment, flag and padding.
   */
  constructor(options: PushPromiseFrameOptions) {
    this.streamId = options.streamId;
    this.promisedStreamId = options.promisedStreamId;
    this.fragment = options.fragment ?? EMPTY;
    this.endHeaders = options.endHeaders ?? false;
    this.padLength = options.padLength;
  }

  /** The flags octet this frame is written with. */
  get flags(): number {
    return (this.endHeaders ? FrameFlag.END_HEADERS : 0) |
      (this.padLength === undefined ? 0 : FrameFlag.PADDED);
  }

  /** Payload length on the wire. */
  get payloadLength(): number {
    return 4 + this.fragment.length + (this.padLength === undefined ? 0 : 1 + this.padLength);
  }

  /** Appends the payload (not the header); used by `encodeFrame`. */
  writePayload(out: ByteWriter): void {
    const pad = this.padLength;
    if (pad !== undefined) out.u8(pad);
    out.u32(this.promisedStreamId & 0x7fffffff);
    out.bytes(this.fragment);
    if (pad !== undefined) writeZeros(out, pad);
  }

  /**
   * Parses a PUSH_PROMISE payload. Stream 0 is a connection PROTOCOL_ERROR;
   * bad lengths or padding are connection errors (field block, RFC 9113 §4.2).
   * A promised stream id that is 0 or odd can never be valid (pushed streams
   * are server-initiated, hence even, RFC 9113 §5.1.1) and is a connection
   * PROTOCOL_ERROR too; whether the id is new and acceptable is stream state,
   * left to the connection (RFC 9113 §6.6).
   *
   * @param flags The flags octet; unknown bits are ignored.
   * @param streamId The stream id (reserved bit already cleared).
   * @param payload The payload; `fragment` is a view into it.
   * @returns The frame.
   */
  static decode(flags: number, streamId: number, payload: Uint8Array): PushPromiseFrame {
    if (streamId === 0) throw zeroStreamError(FrameType.PUSH_PROMISE);
    const pad = readPadLength(FrameType.PUSH_PROMISE, flags, payload, 4);
    const start = pad < 0 ? 0 : 1;
    const promisedStreamId = readU31(payload, start);
    if (promisedStreamId === 0 || promisedStreamId % 2 !== 0) {
      throw new ProtocolError(
        `Cannot accept PUSH_PROMISE frame: promised stream id ${promisedStreamId} is not even and non-zero`,
      );
    }
    return new PushPromiseFrame({
      streamId,
      promisedStreamId,
      fragment: payload.subarray(start + 4, payload.length - (pad < 0 ? 0 : pad)),
      endHeaders: (flags & FrameFlag.END_HEADERS) !== 0,
      padLength: pad < 0 ? undefined : pad,
    });
  }
}
