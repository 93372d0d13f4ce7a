/**
 * The error hierarchy of the sans-I/O core.
 *
 * Every error the core raises because of what a peer sent extends
 * {@link H2Error} and carries the protocol's answer: the error code to put in
 * a GOAWAY or RST_STREAM, whether the error is scoped to the connection or to
 * one stream, and the stream it concerns. The layer that owns the connection
 * turns these into frames; nothing here does I/O.
 *
 * @module
 */

import { ErrorCode, errorCodeName } from "./error_code.ts";

/** Whether an error ends the whole connection (GOAWAY) or only one stream (RST_STREAM). */
export type ErrorScope = "connection" | "stream";

/** Options shared by every {@link H2Error}. */
export interface H2ErrorOptions {
  /** Connection error (GOAWAY) or stream error (RST_STREAM); defaults to `"connection"`. */
  readonly scope?: ErrorScope;
  /** The stream concerned; 0 for the connection as a whole. */
  readonly streamId?: number;
  /** The underlying error, if any. */
  readonly cause?: unknown;
}

/**
 * Base class of every protocol error raised by the core (RFC 9113 §5.4).
 *
 * `code` is what goes on the wire; `scope` says whether the endpoint answers
 * with GOAWAY (`"connection"`) or RST_STREAM (`"stream"`).
 */
export class H2Error extends Error {
  /** The HTTP/2 error code to send to the peer (RFC 9113 §7). */
  readonly code: ErrorCode;
  /** Whether this is a connection error or a stream error (RFC 9113 §5.4). */
  readonly scope: ErrorScope;
  /** The stream the error concerns; 0 for connection-wide errors. */
  readonly streamId: number;

  /**
   * @param code The HTTP/2 error code to send.
   * @param message A sentence-case description without a final period.
   * @param options Scope, stream id and cause.
   */
  constructor(code: ErrorCode, message: string, options: H2ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.scope = options.scope ?? "connection";
    this.streamId = options.streamId ?? 0;
  }

  override get name(): string {
    return this.constructor.name;
  }

  /** The registered name of {@link code}, e.g. `"PROTOCOL_ERROR"`. */
  get codeName(): string {
    return errorCodeName(this.code);
  }
}

/** A peer violated the protocol in a way no more specific class describes (PROTOCOL_ERROR). */
export class ProtocolError extends H2Error {
  /**
   * @param message What was violated.
   * @param options Scope, stream id and cause.
   */
  constructor(message: string, options?: H2ErrorOptions) {
    super(ErrorCode.PROTOCOL_ERROR, message, options);
  }
}

/** A frame had a length that its type does not allow, or exceeded SETTINGS_MAX_FRAME_SIZE (RFC 9113 §4.2). */
export class FrameSizeError extends H2Error {
  /**
   * @param message What was wrong with the length.
   * @param options Scope, stream id and cause.
   */
  constructor(message: string, options?: H2ErrorOptions) {
    super(ErrorCode.FRAME_SIZE_ERROR, message, options);
  }
}

/** A flow-control window was violated or overflowed past 2^31-1 (RFC 9113 §6.9.1). */
export class FlowControlError extends H2Error {
  /**
   * @param message Which window and by how much.
   * @param options Scope, stream id and cause.
   */
  constructor(message: string, options?: H2ErrorOptions) {
    super(ErrorCode.FLOW_CONTROL_ERROR, message, options);
  }
}

/** A frame arrived on a stream that is already closed for that direction (STREAM_CLOSED, RFC 9113 §5.1). */
export class StreamClosedError extends H2Error {
  /**
   * @param message Which frame arrived on which closed stream.
   * @param options Scope, stream id and cause.
   */
  constructor(message: string, options?: H2ErrorOptions) {
    super(ErrorCode.STREAM_CLOSED, message, options);
  }
}

/** A field block could not be decoded; the HPACK context is unusable (COMPRESSION_ERROR, RFC 7541 / RFC 9113 §4.3). */
export class CompressionError extends H2Error {
  /**
   * @param message What was wrong with the field block.
   * @param options Cause; compression errors are always connection errors.
   */
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(ErrorCode.COMPRESSION_ERROR, message, { scope: "connection", cause: options?.cause });
  }
}

/** A stream was refused before any processing, e.g. over SETTINGS_MAX_CONCURRENT_STREAMS (REFUSED_STREAM). */
export class RefusedStreamError extends H2Error {
  /**
   * @param message Why the stream was refused.
   * @param options Stream id and cause; always a stream error.
   */
  constructor(message: string, options: { readonly streamId: number; readonly cause?: unknown }) {
    super(ErrorCode.REFUSED_STREAM, message, { ...options, scope: "stream" });
  }
}

/** The peer exceeded a configured limit meant to stop denial-of-service attacks (ENHANCE_YOUR_CALM). */
export class DenialOfServiceError extends H2Error {
  /**
   * @param message Which limit was exceeded.
   * @param options Scope, stream id and cause.
   */
  constructor(message: string, options?: H2ErrorOptions) {
    super(ErrorCode.ENHANCE_YOUR_CALM, message, options);
  }
}

/**
 * The caller used the API in a way the protocol forbids (sending on a closed
 * stream, data beyond the window, a bad header). Nothing is sent to the peer:
 * this is the application's bug, not the peer's (hyperium h2's `UserError`).
 */
export class UsageError extends Error {
  override get name(): string {
    return "UsageError";
  }
}
