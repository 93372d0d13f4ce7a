/**
 * The CONTINUATION frame (RFC 9113 §6.10).
 *
 * @module
 */

import type { ByteWriter } from "../byte_writer.ts";
import { EMPTY, zeroStreamError } from "./_head.ts";
import { FrameFlag, FrameType } from "./frame_type.ts";

/** Constructor options of {@link ContinuationFrame}. */
export interface ContinuationFrameOptions {
  /** The stream of the HEADERS or PUSH_PROMISE being continued (non-zero). */
  readonly streamId: number;
  /** The next field block fragment. */
  readonly fragment?: Uint8Array;
  /** Set END_HEADERS: this is the last fragment. */
  readonly endHeaders?: boolean;
}

/**
 * A CONTINUATION frame: the next fragment of a field block (RFC 9113 §6.10).
 * Whether one is expected at all (the sequence rule of RFC 9113 §6.10) is the
 * connection's job; the frame codec sees frames one at a time.
 */
export class ContinuationFrame {
  /** Frame type discriminant. */
  readonly type: typeof FrameType.CONTINUATION = FrameType.CONTINUATION;
  /** The stream. */
  readonly streamId: number;
  /** Field block fragment (a view into the received bytes). */
  readonly fragment: Uint8Array;
  /** END_HEADERS flag. */
  readonly endHeaders: boolean;

  /**
   * Creates a frame; no validation happens until it is encoded.
   *
   * @param options Stream, fragment and flag.
   */
  constructor(options: ContinuationFrameOptions) {
    this.streamId = options.streamId;
    this.fragment = options.fragment ?? EMPTY;
    this.endHeaders = options.endHeaders ?? false;
  }

  /** The flags octet this frame is written with. */
  get flags(): number {
    return this.endHeaders ? FrameFlag.END_HEADERS : 0;
  }

  /** Payload length on the wire. */
  get payloadLength(): number {
    return this.fragment.length;
  }

  /** Appends the payload (not the header); used by `encodeFrame`. */
  writePayload(out: ByteWriter): void {
    out.bytes(this.fragment);
  }

  /**
   * Parses a CONTINUATION payload. Stream 0 is a connection PROTOCOL_ERROR
   * (RFC 9113 §6.10).
   *
   * @param flags The flags octet; unknown bits are ignored.
   * @param streamId The stream id (reserved bit already cleared).
   * @param payload The payload; `fragment` is the payload itself.
   * @returns The frame.
   */
  static decode(flags: number, streamId: number, payload: Uint8Array): ContinuationFrame {
    if (streamId === 0) throw zeroStreamError(FrameType.CONTINUATION);
    return new ContinuationFrame({
      streamId,
      fragment: payload,
      endHeaders: (flags & FrameFlag.END_HEADERS) !== 0,
    });
  }
}
