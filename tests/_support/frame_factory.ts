/**
 * A frame builder for tests that script an HTTP/2 peer byte by byte
 * (hyper-h2's `FrameFactory`, hyperium's `h2-support` frames DSL).
 *
 * Every method returns the wire bytes of one frame (or one field-block
 * sequence) built with the real encoder, so tests read like the exchange
 * they describe:
 *
 * ```ts
 * const ff = new FrameFactory();
 * conn.receive(FrameFactory.concat(ff.preface(), ff.settings([[SettingId.MAX_FRAME_SIZE, 32768]])));
 * conn.receive(ff.headers(1, block, { endStream: true }));
 * ```
 *
 * `raw()` writes any type, flags, stream and payload, valid or not, for
 * tests of the peer's error handling.
 *
 * @module
 */

import { ByteWriter } from "../../core/byte_writer.ts";
import {
  AltSvcFrame,
  ContinuationFrame,
  DataFrame,
  encodeFrame,
  type Frame,
  GoAwayFrame,
  HeadersFrame,
  OriginFrame,
  PingFrame,
  PriorityFrame,
  type PrioritySpec,
  PriorityUpdateFrame,
  PushPromiseFrame,
  RstStreamFrame,
  type SettingEntry,
  SettingsFrame,
  UnknownFrame,
  WindowUpdateFrame,
  writeFieldBlock,
  writePushPromise,
} from "../../core/frame/mod.ts";

/** The client connection preface octets (RFC 9113 §3.4). */
export const CLIENT_PREFACE: Uint8Array = new TextEncoder().encode(
  "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
);

/** Builds the wire bytes of frames for scripted-peer tests. */
export class FrameFactory {
  /** The max frame size used by {@link fieldBlock} and {@link pushPromiseBlock}. */
  maxFrameSize = 16384;

  /** Concatenates byte arrays (e.g. several frames into one read). */
  static concat(...parts: Uint8Array[]): Uint8Array {
    let n = 0;
    for (const p of parts) n += p.length;
    const out = new Uint8Array(n);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /** Encodes any frame object. */
  frame(frame: Frame): Uint8Array {
    const out = new ByteWriter(64);
    encodeFrame(frame, out);
    return out.take();
  }

  /** The client connection preface (without the SETTINGS frame that must follow). */
  preface(): Uint8Array {
    return CLIENT_PREFACE.slice();
  }

  /** A DATA frame; a string body is UTF-8 encoded. */
  data(
    streamId: number,
    data: Uint8Array | string = new Uint8Array(0),
    options: { endStream?: boolean; padLength?: number } = {},
  ): Uint8Array {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    return this.frame(new DataFrame({ streamId, data: bytes, ...options }));
  }

  /** One HEADERS frame; `endHeaders` defaults to true. */
  headers(
    streamId: number,
    fragment: Uint8Array,
    options: {
      endStream?: boolean;
      endHeaders?: boolean;
      padLength?: number;
      priority?: PrioritySpec;
    } = {},
  ): Uint8Array {
    return this.frame(
      new HeadersFrame({ streamId, fragment, ...options, endHeaders: options.endHeaders ?? true }),
    );
  }

  /** A whole field block as HEADERS + CONTINUATION frames split at {@link maxFrameSize}. */
  fieldBlock(
    streamId: number,
    block: Uint8Array,
    options: { endStream?: boolean; padLength?: number; priority?: PrioritySpec } = {},
  ): Uint8Array {
    const out = new ByteWriter(block.length + 64);
    writeFieldBlock(out, {
      streamId,
      block,
      endStream: options.endStream ?? false,
      maxFrameSize: this.maxFrameSize,
      padLength: options.padLength,
      priority: options.priority,
    });
    return out.take();
  }

  /** A CONTINUATION frame; `endHeaders` defaults to true. */
  continuation(
    streamId: number,
    fragment: Uint8Array,
    options: { endHeaders?: boolean } = {},
  ): Uint8Array {
    return this.frame(
      new ContinuationFrame({ streamId, fragment, endHeaders: options.endHeaders ?? true }),
    );
  }

  /** A PRIORITY frame. */
  priority(streamId: number, priority: PrioritySpec): Uint8Array {
    return this.frame(new PriorityFrame({ streamId, priority }));
  }

  /** An RST_STREAM frame. */
  rstStream(streamId: number, errorCode: number): Uint8Array {
    return this.frame(new RstStreamFrame({ streamId, errorCode }));
  }

  /** A SETTINGS frame with the given parameters (none by default). */
  settings(settings: ReadonlyArray<SettingEntry> = []): Uint8Array {
    return this.frame(new SettingsFrame({ settings }));
  }

  /** A SETTINGS frame with ACK. */
  settingsAck(): Uint8Array {
    return this.frame(new SettingsFrame({ ack: true }));
  }

  /** One PUSH_PROMISE frame; `endHeaders` defaults to true. */
  pushPromise(
    streamId: number,
    promisedStreamId: number,
    fragment: Uint8Array,
    options: { endHeaders?: boolean; padLength?: number } = {},
  ): Uint8Array {
    return this.frame(
      new PushPromiseFrame({
        streamId,
        promisedStreamId,
        fragment,
        padLength: options.padLength,
        endHeaders: options.endHeaders ?? true,
      }),
    );
  }

  /** A whole promised request as PUSH_PROMISE + CONTINUATION frames. */
  pushPromiseBlock(streamId: number, promisedStreamId: number, block: Uint8Array): Uint8Array {
    const out = new ByteWriter(block.length + 64);
    writePushPromise(out, { streamId, promisedStreamId, block, maxFrameSize: this.maxFrameSize });
    return out.take();
  }

  /** A PING frame; data defaults to 8 zero octets. */
  ping(data: Uint8Array = new Uint8Array(8), options: { ack?: boolean } = {}): Uint8Array {
    return this.frame(new PingFrame({ data, ack: options.ack ?? false }));
  }

  /** A GOAWAY frame; a string debug payload is UTF-8 encoded. */
  goaway(lastStreamId: number, errorCode = 0, debugData: Uint8Array | string = ""): Uint8Array {
    const debug = typeof debugData === "string" ? new TextEncoder().encode(debugData) : debugData;
    return this.frame(new GoAwayFrame({ lastStreamId, errorCode, debugData: debug }));
  }

  /** A WINDOW_UPDATE frame (stream 0 for the connection window). */
  windowUpdate(streamId: number, increment: number): Uint8Array {
    return this.frame(new WindowUpdateFrame({ streamId, increment }));
  }

  /** A PRIORITY_UPDATE frame on stream 0 (RFC 9218 §7.1). */
  priorityUpdate(prioritizedStreamId: number, fieldValue: string): Uint8Array {
    return this.frame(new PriorityUpdateFrame({ prioritizedStreamId, fieldValue }));
  }

  /** An ALTSVC frame (RFC 7838 §4). */
  altsvc(streamId: number, origin: string, fieldValue: string): Uint8Array {
    return this.frame(new AltSvcFrame({ streamId, origin, fieldValue }));
  }

  /** An ORIGIN frame on stream 0 (RFC 8336). */
  origin(origins: readonly string[]): Uint8Array {
    return this.frame(new OriginFrame({ origins }));
  }

  /** Any frame, byte for byte: type, flags, stream and payload as given (valid or not). */
  raw(
    type: number,
    flags: number,
    streamId: number,
    payload: Uint8Array | number[] = [],
  ): Uint8Array {
    const bytes = payload instanceof Uint8Array ? payload : Uint8Array.from(payload);
    return this.frame(new UnknownFrame({ type, flags, streamId, payload: bytes }));
  }
}
