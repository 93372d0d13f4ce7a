/**
 * `RpcError`: the one error type of gRPC calls.
 *
 * @module
 */

import { Cause, Data } from "effect";
import { Code, codeName } from "./code.ts";
import { ExchangeError } from "./exchange.ts";
import { codeFromResetCode } from "./http_status.ts";
import { Metadata } from "./metadata.ts";

/**
 * A `google.protobuf.Any` carried in `grpc-status-details-bin`
 * (google.rpc.Status `details`): a type URL and the packed message bytes.
 */
export interface StatusDetail {
  /** e.g. `"type.googleapis.com/google.rpc.ErrorInfo"`. */
  readonly typeUrl: string;
  /** The encoded message. */
  readonly value: Uint8Array;
}

/** Constructor fields of {@link RpcError}. */
export interface RpcErrorFields {
  /** The status code; never `Code.OK`. */
  readonly code: Code;
  /** Human-readable message (sent percent-encoded as `grpc-message`). */
  readonly message?: string;
  /** Trailing metadata sent or received with the status. */
  readonly metadata?: Metadata;
  /** Rich error details (google.rpc.Status `details`). */
  readonly details?: readonly StatusDetail[];
  /** The underlying error, kept for diagnosis; never sent. */
  readonly cause?: unknown;
}

/**
 * A failed gRPC call: a status code, a message, trailing metadata and optional
 * rich details (grpc doc/statuscodes.md). Handlers fail with it to choose the
 * status they send; clients receive it for every non-OK status. Any other
 * failure is converted with {@link RpcError.from}.
 */
export class RpcError extends Data.TaggedError("RpcError")<{
  readonly code: Code;
  readonly message: string;
  readonly metadata: Metadata;
  readonly details: readonly StatusDetail[];
  readonly cause?: unknown;
}> {
  /**
   * Creates an error; message, metadata and details default to empty.
   *
   * @param fields Code, message, metadata, details and cause.
   */
  constructor(fields: RpcErrorFields) {
    super({
      code: fields.code,
      message: fields.message ?? "",
      metadata: fields.metadata ?? new Metadata(),
      details: fields.details ?? [],
      cause: fields.cause,
    });
  }

  /** The code's name, e.g. `"NOT_FOUND"`. */
  get codeName(): string {
    return codeName(this.code);
  }

  /** `RpcError: [CODE] message`, for logs. */
  override toString(): string {
    return `RpcError: [${this.codeName}] ${this.message}`;
  }

  /**
   * Normalises anything thrown or failed into an `RpcError`: an `RpcError`
   * is returned as is; an {@link ExchangeError} maps its reset code
   * (grpc doc/PROTOCOL-HTTP2.md "Errors"); an Effect timeout becomes
   * DEADLINE_EXCEEDED; anything else becomes `fallback` (UNKNOWN by default)
   * with the error's message, and is kept as `cause`.
   *
   * @param reason The thing to convert.
   * @param fallback Code for errors that carry none.
   * @returns An RpcError.
   */
  static from(reason: unknown, fallback: Code = Code.UNKNOWN): RpcError {
    if (reason instanceof RpcError) return reason;
    if (reason instanceof ExchangeError) {
      const code = reason.reason === "Unavailable"
        ? Code.UNAVAILABLE
        : reason.errorCode === undefined
        ? Code.INTERNAL
        : codeFromResetCode(reason.errorCode);
      return new RpcError({ code, message: reason.message, cause: reason });
    }
    if (Cause.isTimeoutError(reason)) {
      return new RpcError({
        code: Code.DEADLINE_EXCEEDED,
        message: "Deadline exceeded",
        cause: reason,
      });
    }
    if (reason instanceof Error) {
      return new RpcError({ code: fallback, message: reason.message, cause: reason });
    }
    return new RpcError({ code: fallback, message: String(reason), cause: reason });
  }
}
