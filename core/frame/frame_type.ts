/**
 * Frame type and flag registries (RFC 9113 §6, §11.2; RFC 7838 §4; RFC 8336 §2;
 * RFC 9218 §7.1).
 *
 * Types are plain numbers so that a frame type this library does not know
 * still has a value: it is carried as an `UnknownFrame` (RFC 9113 §5.5 says
 * unknown types MUST be ignored, not rejected).
 *
 * @module
 */

/** The frame types this library parses into dedicated classes (RFC 9113 §6 plus extensions). */
export const FrameType = {
  /** Request or response body bytes (RFC 9113 §6.1). */
  DATA: 0x0,
  /** Opens a stream and carries a field block fragment (RFC 9113 §6.2). */
  HEADERS: 0x1,
  /** Deprecated RFC 7540 stream priority (RFC 9113 §6.3). */
  PRIORITY: 0x2,
  /** Terminates one stream (RFC 9113 §6.4). */
  RST_STREAM: 0x3,
  /** Connection configuration and its acknowledgement (RFC 9113 §6.5). */
  SETTINGS: 0x4,
  /** Announces a server-initiated stream (RFC 9113 §6.6). */
  PUSH_PROMISE: 0x5,
  /** Round-trip measurement and liveness check (RFC 9113 §6.7). */
  PING: 0x6,
  /** Starts connection shutdown (RFC 9113 §6.8). */
  GOAWAY: 0x7,
  /** Flow-control credit (RFC 9113 §6.9). */
  WINDOW_UPDATE: 0x8,
  /** Continues a field block (RFC 9113 §6.10). */
  CONTINUATION: 0x9,
  /** Alternative service advertisement (RFC 7838 §4). */
  ALTSVC: 0xa,
  /** Origin set advertisement (RFC 8336 §2). */
  ORIGIN: 0xc,
  /** Extensible priority update (RFC 9218 §7.1). */
  PRIORITY_UPDATE: 0x10,
} as const;

/** A frame type octet: one of {@link FrameType} or any other value (an extension). */
export type FrameType = number;

/**
 * Frame flag bits (RFC 9113 §6). A bit's meaning depends on the frame type:
 * `END_STREAM` and `ACK` share 0x1.
 */
export const FrameFlag = {
  /** DATA / HEADERS: last frame the sender will send on this stream (RFC 9113 §6.1, §6.2). */
  END_STREAM: 0x1,
  /** SETTINGS / PING: this frame acknowledges the peer's (RFC 9113 §6.5, §6.7). */
  ACK: 0x1,
  /** HEADERS / PUSH_PROMISE / CONTINUATION: the field block ends here (RFC 9113 §6.2). */
  END_HEADERS: 0x4,
  /** DATA / HEADERS / PUSH_PROMISE: a pad length octet and padding are present (RFC 9113 §6.1). */
  PADDED: 0x8,
  /** HEADERS: exclusive flag, stream dependency and weight are present (RFC 9113 §6.2). */
  PRIORITY: 0x20,
} as const;

const typeNames: Record<number, string> = {};
for (const [name, value] of Object.entries(FrameType)) typeNames[value] = name;

/**
 * Returns the registered name of a frame type, e.g. `"HEADERS"`, or
 * `UNKNOWN(0x…)` for a type outside {@link FrameType}; for error messages and logs.
 *
 * @param type The frame type octet.
 * @returns A human-readable name.
 */
export function frameTypeName(type: FrameType): string {
  return typeNames[type] ?? `UNKNOWN(0x${type.toString(16)})`;
}
