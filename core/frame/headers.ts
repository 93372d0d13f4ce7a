/**
 * The HEADERS frame (RFC 9113 §6.2).
 *
 * @module
 */

import type { ByteWriter } from "../byte_writer.ts";
import { ProtocolError } from "../errors.ts";
import { EMPTY, readPadLength, writeZeros, zeroStreamError } from "./_head.ts";
import { FrameFlag, FrameType } from "./frame_type.ts";
import {
  PRIORITY_SPEC_LENGTH,
  type PrioritySpec,
  readPrioritySpec,
  writePrioritySpec,
} from "./priority_spec.ts";

/** Constructor options of {@link HeadersFrame}. */
export interface HeadersFrameOptions {
  /** The stream (non-zero). */
  readonly streamId: number;
  /** The HPACK field block fragment. */
  readonly fragment?: Uint8Array;
  /** Set END_STREAM. */
  readonly endStream?: boolean;
  /** Set END_HEADERS (no CONTINUATION follows). */
  readonly endHeaders?: boolean;
  /** Number of padding octets 0..255; `undefined` means no PADDED flag. */
  readonly padLength?: number;
  /** RFC 7540 priority; present means the PRIORITY flag is set. */
  readonly priority?: PrioritySpec;
}

/**
 * A HEADERS frame: opens a stream or carries trailers, with the first
 * fragment of a field block (RFC 9113 §6.2). To send a whole field block of
 * any size use `writeFieldBlock`, which adds CONTINUATION frames.
 */
export class HeadersFrame {
  /** Frame type discriminant. */
  readonly type: typeof FrameType.HEADERS = FrameType.HEADERS;
  /** The stream. */
  readonly streamId: number;
  /** Field block fragment, without padding or priority (a view into the received bytes). */
  readonly fragment: Uint8Array;
  /** END_STREAM flag. */
  readonly endStream: boolean;
  /** END_HEADERS flag. */
  readonly endHeaders: boolean;
  /** Padding length when PADDED is set, else `undefined`. */
  readonly padLength: number | undefined;
  /** Priority block when the PRIORITY flag is set, else `undefined`. */
  readonly priority: PrioritySpec | undefined;

  /**
   * Creates a frame; no validation happens until it is encoded.
   *
   * @param options Stream, fragment, flags, padding and priority.
   */
  constructor(options: HeadersFrameOptions) {
    this.streamId = options.streamId;
    this.fragment = options.fragment ?? EMPTY;
    this.endStream = options.endStream ?? false;
    this.endHeaders = options.endHeaders ?? false;
    this.padLength = options.padLength;
    this.priority = options.priority;
  }

  /** The flags octet this frame is written with. */
  get flags(): number {
    return (this.endStream ? FrameFlag.END_STREAM : 0) |
      (this.endHeaders ? FrameFlag.END_HEADERS : 0) |
      (this.padLength === undefined ? 0 : FrameFlag.PADDED) |
      (this.priority === undefined ? 0 : FrameFlag.PRIORITY);
  }

  /** Payload length on the wire. */
  get payloadLength(): number {
    return this.fragment.length + (this.padLength === undefined ? 0 : 1 + this.padLength) +
      (this.priority === undefined ? 0 : PRIORITY_SPEC_LENGTH);
  }

  /** Appends the payload (not the header); used by `encodeFrame`. */
  writePayload(out: ByteWriter): void {
    const pad = this.padLength;
    if (pad !== undefined) out.u8(pad);
    if (this.priority !== undefined) writePrioritySpec(out, this.priority);
    out.bytes(this.fragment);
    if (pad !== undefined) writeZeros(out, pad);
  }

  /**
   * Parses a HEADERS payload. On stream 0: connection PROTOCOL_ERROR. Bad
   * lengths or padding: connection errors (the frame carries a field block,
   * RFC 9113 §4.2). A priority that depends on the stream itself is a stream
   * PROTOCOL_ERROR (RFC 9113 §5.3.1) whose `cause` is the decoded frame: the
   * connection must still feed its fragment to HPACK to keep the compression
   * context in sync (RFC 9113 §4.3).
   *
   * @param flags The flags octet; unknown bits are ignored.
   * @param streamId The stream id (reserved bit already cleared).
   * @param payload The payload; `fragment` is a view into it.
   * @returns The frame.
   */
  static decode(flags: number, streamId: number, payload: Uint8Array): HeadersFrame {
    if (streamId === 0) throw zeroStreamError(FrameType.HEADERS);
    const hasPriority = (flags & FrameFlag.PRIORITY) !== 0;
    const pad = readPadLength(
      FrameType.HEADERS,
      flags,
      payload,
      hasPriority ? PRIORITY_SPEC_LENGTH : 0,
    );
    let start = pad < 0 ? 0 : 1;
    let priority: PrioritySpec | undefined;
    if (hasPriority) {
      priority = readPrioritySpec(payload, start);
      start += PRIORITY_SPEC_LENGTH;
    }
    const frame = new HeadersFrame({
      streamId,
      fragment: payload.subarray(start, payload.length - (pad < 0 ? 0 : pad)),
      endStream: (flags & FrameFlag.END_STREAM) !== 0,
      endHeaders: (flags & FrameFlag.END_HEADERS) !== 0,
      padLength: pad < 0 ? undefined : pad,
      priority,
    });
    if (priority !== undefined && priority.dependency === streamId) {
      throw new ProtocolError(`Cannot accept HEADERS frame: stream ${streamId} depends on itself`, {
        scope: "stream",
        streamId,
        cause: frame,
      });
    }
    return frame;
  }
}
