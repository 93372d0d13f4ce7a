/**
 * HTTP/2 framing (RFC 9113 §4, §6), plus the ALTSVC (RFC 7838), ORIGIN
 * (RFC 8336) and PRIORITY_UPDATE (RFC 9218) extension frames: one class per
 * frame type, a chunk-tolerant {@link FrameReader}, and writers that append
 * into a `ByteWriter`. It knows nothing of stream state or HPACK.
 *
 * @example Round trip through the reader
 * ```ts
 * import { FrameReader, PingFrame, serializeFrame } from "./mod.ts";
 *
 * const reader = new FrameReader();
 * reader.push(serializeFrame(new PingFrame({ data: new Uint8Array(8).fill(7) })));
 * const frame = reader.next();
 * if (!(frame instanceof PingFrame) || frame.data[0] !== 7) throw new Error("unexpected frame");
 * ```
 *
 * @module
 */

export * from "./frame_type.ts";
export * from "./settings_id.ts";
export type { PrioritySpec } from "./priority_spec.ts";
export * from "./data.ts";
export * from "./headers.ts";
export * from "./priority.ts";
export * from "./rst_stream.ts";
export * from "./settings.ts";
export * from "./push_promise.ts";
export * from "./ping.ts";
export * from "./goaway.ts";
export * from "./window_update.ts";
export * from "./continuation.ts";
export * from "./priority_update.ts";
export * from "./altsvc.ts";
export * from "./origin.ts";
export * from "./unknown.ts";
export * from "./frame.ts";
export * from "./frame_reader.ts";
