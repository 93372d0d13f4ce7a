/**
 * Typed failures of the HTTP/2 client and server, as Effect tagged errors.
 *
 * Each error says what happened (`reason`, a sentence) and who caused it
 * (`initiator`), following hyperium h2's `is_remote`/`is_library`/`is_user`
 * split: `"remote"` means the peer (its RST_STREAM, GOAWAY or a violation it
 * committed), `"local"` this library (a limit or a transport failure seen
 * here), `"user"` the application (interruption, closing the client).
 *
 * @module
 */

import { Data } from "effect";
import { errorCodeName } from "../core/mod.ts";

/** Who caused a failure: the peer, this library, or the application. */
export type Initiator = "remote" | "local" | "user";

/**
 * The transport closed or failed (EOF, reset, TLS error) before the exchange completed.
 * Retrying on a new connection is usually safe only for idempotent requests.
 */
export class ConnectionLostError extends Data.TaggedError("ConnectionLost")<{
  /** What happened. */
  readonly reason: string;
  /** Who closed the connection. */
  readonly initiator: Initiator;
  /** The underlying I/O error, if any. */
  readonly cause?: unknown;
}> {}

/** A stream was reset with RST_STREAM (RFC 9113 §6.4); `code` is the error code. */
export class StreamResetError extends Data.TaggedError("StreamReset")<{
  /** What happened. */
  readonly reason: string;
  /** Who reset the stream. */
  readonly initiator: Initiator;
  /** The stream. */
  readonly streamId: number;
  /** The RST_STREAM error code (open registry, see `ErrorCode`). */
  readonly code: number;
  /** True for REFUSED_STREAM: the peer did no processing, so a retry is safe (§8.7). */
  readonly retryable: boolean;
}> {}

/**
 * The peer sent GOAWAY (RFC 9113 §6.8). A request above `lastStreamId` was not processed
 * (`retryable`: send it again on a new connection). A request at or below it that was still
 * open when a GOAWAY with an error code (`code`, e.g. PROTOCOL_ERROR when the peer says we broke
 * the protocol, ENHANCE_YOUR_CALM) ended the connection fails with `retryable: false`: the peer
 * may have processed it.
 */
export class GoAwayError extends Data.TaggedError("GoAway")<{
  /** What happened. */
  readonly reason: string;
  /** Who sent the GOAWAY. */
  readonly initiator: Initiator;
  /** The GOAWAY error code. */
  readonly code: number;
  /** The last stream the sender processes. */
  readonly lastStreamId: number;
  /** Whether the request was never processed and may be retried. */
  readonly retryable: boolean;
}> {}

/** A protocol violation ended the connection or stream (RFC 9113 §5.4). */
export class ProtocolViolationError extends Data.TaggedError("ProtocolError")<{
  /** What happened. */
  readonly reason: string;
  /**
   * `"remote"` when the peer broke the protocol (we answered with GOAWAY or RST_STREAM);
   * `"user"` when the application asked for something HTTP/2 forbids. A peer that says we broke
   * the protocol sends GOAWAY: that is a {@link GoAwayError}.
   */
  readonly initiator: Initiator;
  /** The HTTP/2 error code sent or received. */
  readonly code: number;
}> {}

/** A deadline passed: connect, keepalive PING or graceful drain. */
export class TimeoutError extends Data.TaggedError("Timeout")<{
  /** What timed out. */
  readonly reason: string;
  /** Always `"local"`: our timer fired. */
  readonly initiator: Initiator;
}> {}

/** Every failure the HTTP/2 client and server report. Match on `_tag`. */
export type NetError =
  | ConnectionLostError
  | StreamResetError
  | GoAwayError
  | ProtocolViolationError
  | TimeoutError;

/**
 * Builds the {@link StreamResetError} for a reset with `code`.
 *
 * @param streamId The stream.
 * @param code The RST_STREAM code.
 * @param initiator Who reset it.
 * @returns The error.
 */
export function streamReset(
  streamId: number,
  code: number,
  initiator: Initiator,
): StreamResetError {
  const by = initiator === "remote" ? "the peer" : initiator === "user" ? "the application" : "us";
  return new StreamResetError({
    reason: `Stream ${streamId} was reset by ${by} with ${errorCodeName(code)}`,
    initiator,
    streamId,
    code,
    retryable: code === 0x7,
  });
}
