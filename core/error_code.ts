/**
 * HTTP/2 error codes (RFC 9113 §7) as an open registry.
 *
 * Codes are plain numbers so that a code this library does not know (an
 * extension, or a peer's private value) survives a round trip unchanged; the
 * named constants cover every code the RFC registers.
 *
 * @module
 */

/** The registered HTTP/2 error codes (RFC 9113 §7). */
export const ErrorCode = {
  /** The associated condition is not a result of an error (graceful shutdown). */
  NO_ERROR: 0x0,
  /** The endpoint detected an unspecific protocol error. */
  PROTOCOL_ERROR: 0x1,
  /** The endpoint encountered an unexpected internal error. */
  INTERNAL_ERROR: 0x2,
  /** The endpoint detected that its peer violated the flow-control protocol. */
  FLOW_CONTROL_ERROR: 0x3,
  /** The endpoint sent a SETTINGS frame but did not receive a response in time. */
  SETTINGS_TIMEOUT: 0x4,
  /** The endpoint received a frame after a stream was half-closed. */
  STREAM_CLOSED: 0x5,
  /** The endpoint received a frame with an invalid size. */
  FRAME_SIZE_ERROR: 0x6,
  /** The endpoint refused the stream prior to performing any application processing. */
  REFUSED_STREAM: 0x7,
  /** The endpoint no longer needs the stream. */
  CANCEL: 0x8,
  /** The endpoint is unable to maintain the field section compression context. */
  COMPRESSION_ERROR: 0x9,
  /** The connection established in response to a CONNECT request was reset or closed. */
  CONNECT_ERROR: 0xa,
  /** The endpoint detected that its peer is exhibiting behavior that might be generating excessive load. */
  ENHANCE_YOUR_CALM: 0xb,
  /** The underlying transport has properties that do not meet minimum security requirements. */
  INADEQUATE_SECURITY: 0xc,
  /** The endpoint requires that HTTP/1.1 be used instead of HTTP/2. */
  HTTP_1_1_REQUIRED: 0xd,
} as const;

/** An HTTP/2 error code: one of {@link ErrorCode} or any other 32-bit value a peer sent. */
export type ErrorCode = number;

const names: readonly string[] = Object.keys(ErrorCode);

/**
 * Returns the registered name of an error code, or `UNKNOWN(0x…)` for a code
 * outside the registry.
 *
 * @param code The error code.
 * @returns A human-readable name such as `"PROTOCOL_ERROR"`.
 */
export function errorCodeName(code: ErrorCode): string {
  return names[code] ?? `UNKNOWN(0x${(code >>> 0).toString(16)})`;
}
