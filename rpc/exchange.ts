/**
 * The transport-neutral, fetch-shaped exchange that `rpc/` is written
 * against. The RPC layer never sees frames or stream ids: one request/response
 * exchange (one HTTP/2 stream) is a set of headers, a body stream, trailers and
 * cancellation. `net/` implements {@link ServerHandler} hosting and
 * {@link ClientTransport} over HTTP/2; `in_memory_transport.ts` connects the two
 * directly for tests and edge handlers (connect-es `UniversalServerRequest`,
 * `UniversalClientFn`, expressed with Effect).
 *
 * @module
 */

import { Data } from "effect";
import type { Effect, Scope, Stream } from "effect";

/**
 * One header or trailer field. Name and value are byte strings (each UTF-16
 * code unit one octet), exactly like core's `HeaderField`, which satisfies
 * this shape. Names are lower case (RFC 9113 §8.2.1).
 */
export interface Field {
  /** Lower-case field name. */
  readonly name: string;
  /** Field value as a byte string. */
  readonly value: string;
}

/** An ordered header or trailer list. Pseudo headers are not included. */
export type Fields = ReadonlyArray<Field>;

/** HTTP/2 error codes the exchange layer reports in {@link ExchangeError} (RFC 9113 §7). */
export const ResetCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  ENHANCE_YOUR_CALM: 0xb,
} as const;

/**
 * Why an exchange failed below the RPC layer: `"Reset"` (the stream was reset,
 * `errorCode` is the RST_STREAM or GOAWAY code), `"Unavailable"` (no
 * connection could be made or it was lost before the request was processed) or
 * `"Protocol"` (the peer sent something the transport rejected).
 */
export type ExchangeErrorReason = "Reset" | "Unavailable" | "Protocol";

/**
 * A transport failure of one exchange. `initiator` tells who caused it: the
 * local side (e.g. we cancelled), the remote peer (it reset the stream) or the
 * library (a limit was hit). `RpcError.from` maps it to a gRPC status with
 * `codeFromResetCode` (grpc doc/PROTOCOL-HTTP2.md "Errors").
 */
export class ExchangeError extends Data.TaggedError("ExchangeError")<{
  readonly reason: ExchangeErrorReason;
  readonly message: string;
  readonly initiator: "local" | "remote" | "library";
  /** HTTP/2 error code, when the stream or connection was reset. */
  readonly errorCode?: number;
  readonly cause?: unknown;
}> {}

/**
 * Reads a body chunk batch by batch: each evaluation yields the chunks received
 * since the last one (waiting for at least one), or `undefined` once the body
 * has ended. See {@link withBodyPull}.
 */
export type BodyPull<E> = Effect.Effect<ReadonlyArray<Uint8Array> | undefined, E>;

// Fast paths registered per body stream object, as a property under a private symbol: a
// wrapper that replaces a body (e.g. with `Stream.tap`) gets a new object without one, and
// readers then go through the replacement stream as before: the fast path can never bypass a
// wrapper. (A property rather than a WeakMap entry: every call registers one, and weak map
// entries are costly for the garbage collector.)
const BODY_PULL: unique symbol = Symbol("h2kit/rpc/bodyPull");

/**
 * Registers a fast path for reading `body` without the Stream machinery: a
 * transport calls it on the body streams it hands out (a request body on the
 * server, a response body on the client), and the RPC layer reads unary
 * messages through it with one Effect per received batch (no Stream pipeline,
 * no fiber). The RPC server registers one on the streamed response bodies it
 * hands to a transport, which may send them batch by batch the same way. Pulling must behave exactly like running `body` (same chunks,
 * same failures, same flow-control credit); a reader uses one or the other.
 *
 * @param body The body stream.
 * @param pull The equivalent pull.
 * @returns `body` itself.
 */
export function withBodyPull<E, S extends Stream.Stream<Uint8Array, E>>(
  body: S,
  pull: BodyPull<E>,
): S {
  // A frozen stream (a shared constant) gets no fast path: it would reach every other user.
  if (Object.isExtensible(body)) {
    (body as unknown as { [BODY_PULL]?: BodyPull<E> })[BODY_PULL] = pull;
  }
  return body;
}

/**
 * The fast path registered for a body stream with {@link withBodyPull}, if any.
 *
 * @param body The body stream.
 * @returns Its pull, or `undefined` when the stream is to be run as a Stream.
 */
export function bodyPullOf<E>(body: Stream.Stream<Uint8Array, E>): BodyPull<E> | undefined {
  return Object.hasOwn(body, BODY_PULL)
    ? (body as unknown as { [BODY_PULL]: BodyPull<E> })[BODY_PULL]
    : undefined;
}

/**
 * The server side of one exchange, as the transport hands it to a
 * {@link ServerHandler}. The request body is pulled on demand, so a handler
 * that reads slowly slows the peer (flow control / backpressure).
 */
export interface ServerRequest {
  /** Request method, e.g. `"POST"`. */
  readonly method: string;
  /** The `:path`, e.g. `"/grpc.testing.TestService/EmptyCall"`. */
  readonly path: string;
  /** The `:authority` (or empty). */
  readonly authority: string;
  /** Regular request headers, in received order. */
  readonly headers: Fields;
  /** The request body; fails with {@link ExchangeError} when the client resets. */
  readonly body: Stream.Stream<Uint8Array, ExchangeError>;
  /**
   * The whole request body, synchronously, when the transport already holds all of it (the
   * client ended its side; over HTTP/2, a small unary request whose HEADERS, DATA and
   * END_STREAM came in one read). `undefined` when more may come: read `body` then. Taking it
   * consumes the body (use it or `body`, not both). Optional: a transport without the fast
   * path leaves it out.
   */
  bodyIfComplete?(): Uint8Array | undefined;
  /**
   * Aborted when the client goes away (reset or connection loss). Effect code
   * does not need it: the handler fiber is interrupted at the same time.
   */
  readonly signal: AbortSignal;
}

/**
 * The answer of a {@link ServerHandler}. The transport sends `headers` at once
 * (with END_STREAM when there is neither a body nor trailers: a gRPC
 * Trailers-Only response), then streams `body`, then evaluates `trailers` and
 * sends them as the final HEADERS.
 */
export interface ServerResponse {
  /** HTTP status, 200 for every gRPC response. */
  readonly status: number;
  /** Response headers (no pseudo headers). */
  readonly headers: Fields;
  /**
   * Response body; absent for a headers-only response. If it fails, the
   * transport resets the stream (INTERNAL_ERROR) instead of sending trailers.
   * A `Uint8Array` is the whole body, known up front: the transport may then
   * send headers, body and trailers in one write (a unary gRPC answer).
   */
  readonly body?: Stream.Stream<Uint8Array, unknown> | Uint8Array;
  /**
   * Trailers, evaluated once the body has ended; absent for none. A plain
   * list is already final (no Effect to run after the body).
   */
  readonly trailers?: Effect.Effect<Fields> | Fields;
}

/**
 * Serves one exchange. It runs in a fiber the transport owns, with a `Scope`
 * that closes when the exchange ends; when the client cancels, the transport
 * interrupts the fiber (and any body stream being sent) and aborts
 * `request.signal`. A defect becomes a stream reset (INTERNAL_ERROR).
 */
export type ServerHandler = (
  request: ServerRequest,
) => Effect.Effect<ServerResponse, never, Scope.Scope>;

/**
 * What {@link serveNowOf} answers: the finished response when the call completed synchronously
 * (no Effect left to run), or the Effect that completes it, to be run once as the
 * {@link ServerHandler}'s own Effect would be.
 */
export type ServedNow = ServerResponse | Effect.Effect<ServerResponse, never, Scope.Scope>;

// Eager entry points registered per handler (see `withServeNow`).
const serveNows = new WeakMap<ServerHandler, (request: ServerRequest) => ServedNow>();

/**
 * Registers an eager entry point for `handler`: `serveNow(request)` does at once what running
 * `handler(request)` would, and returns the response itself when nothing asynchronous was
 * needed (a unary call whose body is in hand and whose handler answered with an `Exit`). A
 * transport then skips the Effect plumbing around such a call (scope, observers). It must be
 * called from inside the fiber that would have run `handler(request)`, once per request.
 *
 * @param handler The lazy handler.
 * @param serveNow The eager equivalent.
 * @returns `handler` itself.
 */
export function withServeNow(
  handler: ServerHandler,
  serveNow: (request: ServerRequest) => ServedNow,
): ServerHandler {
  serveNows.set(handler, serveNow);
  return handler;
}

/**
 * The eager entry point registered for a handler with {@link withServeNow}, if any.
 *
 * @param handler The handler.
 * @returns Its eager equivalent, or `undefined` when it must be run as an Effect.
 */
export function serveNowOf(
  handler: ServerHandler,
): ((request: ServerRequest) => ServedNow) | undefined {
  return serveNows.get(handler);
}

/** One outgoing exchange, as an RPC client builds it. */
export interface ClientRequest {
  /** Request method, `"POST"` for gRPC. */
  readonly method: string;
  /** The `:path`. */
  readonly path: string;
  /** The `:authority`; the transport's default when absent. */
  readonly authority?: string;
  /** Regular request headers. */
  readonly headers: Fields;
  /**
   * The request body, pulled as the peer's window allows. If it fails, the
   * transport resets the exchange (CANCEL) and the response fails with an
   * {@link ExchangeError} whose `cause` is the body's error. A `Uint8Array` is
   * the whole body, known up front (a unary request): it cannot fail and the
   * transport may send it with the headers, without a pump.
   */
  readonly body: Stream.Stream<Uint8Array, unknown> | Uint8Array;
}

/** The response side of an outgoing exchange. */
export interface ClientResponse {
  /** HTTP status. */
  readonly status: number;
  /** Response headers; for a Trailers-Only response these hold the status too. */
  readonly headers: Fields;
  /** The response body, backpressured: it is pulled as the caller consumes it. */
  readonly body: Stream.Stream<Uint8Array, ExchangeError>;
  /**
   * The trailers; resolves once the body has ended (empty when the response
   * ended with the headers). Read the body first.
   */
  readonly trailers: Effect.Effect<Fields, ExchangeError>;
}

/**
 * Starts an exchange: resolves with the response once its headers arrive,
 * while the request body keeps streaming. The exchange lives in the caller's
 * `Scope`: closing the scope before the response has ended cancels it
 * (RST_STREAM CANCEL over HTTP/2), and so does interrupting the caller.
 */
export type ClientTransport = (
  request: ClientRequest,
) => Effect.Effect<ClientResponse, ExchangeError, Scope.Scope>;
