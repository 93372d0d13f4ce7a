/**
 * gRPC over h2kit's own HTTP/2: adapters between the transport-neutral
 * exchange of `rpc/exchange.ts` and the HTTP/2 server and client of `net/`.
 *
 * - {@link toH2Handler} hosts an RPC {@link ServerHandler} (from `makeServer`) on `net/serve`;
 *   {@link serveRpc} does both in one call.
 * - {@link makeH2Transport} is a {@link ClientTransport} over one `net/connect` client: the gRPC
 *   "channel" (all calls multiplexed on one connection, reconnecting after GOAWAY);
 *   {@link connectRpc} connects and wraps in one call.
 *
 * Failures keep their HTTP/2 meaning (grpc doc/PROTOCOL-HTTP2.md "Errors"): a stream reset
 * becomes an {@link ExchangeError} with the RST_STREAM code, a lost or refused connection
 * `"Unavailable"`, and a cancelled call is RST_STREAM(CANCEL) on the wire.
 *
 * @example Unary call over h2c on loopback
 * ```ts
 * import { Effect } from "effect";
 * import { strict as assert } from "node:assert";
 * import { implement, makeClient, makeServer, parseProto, serviceFromRoot, type Unary }
 *   from "./mod.ts";
 * import { connectRpc, serveRpc } from "./h2_transport.ts";
 *
 * const root = parseProto(`syntax = "proto3"; package demo;
 *   message Req { string name = 1; } message Res { string text = 1; }
 *   service Greeter { rpc Hello(Req) returns (Res); }`);
 * const greeter = serviceFromRoot<{ Hello: Unary<{ name: string }, { text: string }> }>(
 *   root, "demo.Greeter");
 * const handler = makeServer([
 *   implement(greeter, { Hello: (req) => Effect.succeed({ text: `hi ${req.name}` }) }),
 * ]);
 * const text = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
 *   const server = yield* serveRpc(handler);
 *   const client = makeClient(greeter, yield* connectRpc(server.url));
 *   return (yield* client.Hello({ name: "ada" })).text;
 * })));
 * assert.equal(text, "hi ada");
 * ```
 *
 * @module
 */

import { Cause, Deferred, Effect, Exit, type Pull, Scope, Stream } from "effect";
import { type ClientOptions as NetClientOptions, connect, type H2Client } from "../net/client.ts";
import type { NetError } from "../net/errors.ts";
import {
  type H2Server,
  type Handler,
  serve,
  type ServeOptions,
  type ServerResponse as NetServerResponse,
} from "../net/server.ts";
import {
  type BodyPull,
  type ClientTransport,
  ExchangeError,
  type Fields,
  ResetCode,
  type ServerHandler,
  type ServerRequest,
  withBodyPull,
} from "./exchange.ts";

/**
 * Maps a failure of the HTTP/2 layer to the exchange's {@link ExchangeError}: resets keep their
 * code, a lost connection, a refused (retryable) stream past GOAWAY and timeouts are
 * `"Unavailable"` (gRPC UNAVAILABLE, safe to retry), protocol violations `"Protocol"`.
 *
 * @param error The net layer's error.
 * @returns The exchange error, with `error` as its cause.
 */
export function exchangeErrorFromNet(error: NetError): ExchangeError {
  const initiator = error.initiator === "remote"
    ? "remote"
    : error.initiator === "user"
    ? "local"
    : "library";
  switch (error._tag) {
    case "StreamReset":
      return new ExchangeError({
        reason: error.code === ResetCode.REFUSED_STREAM ? "Unavailable" : "Reset",
        message: error.reason,
        initiator,
        errorCode: error.code,
        cause: error,
      });
    case "GoAway":
      return new ExchangeError({
        reason: error.retryable ? "Unavailable" : "Reset",
        message: error.reason,
        initiator,
        errorCode: error.code,
        cause: error,
      });
    case "ProtocolError":
      return new ExchangeError({
        reason: "Protocol",
        message: error.reason,
        initiator,
        errorCode: error.code,
        cause: error,
      });
    case "ConnectionLost":
    case "Timeout":
      return new ExchangeError({
        reason: "Unavailable",
        message: error.reason,
        initiator,
        cause: error,
      });
  }
}

function asExchangeError(error: unknown): ExchangeError {
  if (error instanceof ExchangeError) return error;
  if (typeof error === "object" && error !== null && "_tag" in error && "initiator" in error) {
    return exchangeErrorFromNet(error as NetError);
  }
  return new ExchangeError({
    reason: "Protocol",
    message: error instanceof Error ? error.message : String(error),
    initiator: "library",
    cause: error,
  });
}

// ---------------------------------------------------------------------------- server

/**
 * Hosts an RPC {@link ServerHandler} on h2kit's HTTP/2 server: give the result to `serve` from
 * `net/server.ts` as its `handler`.
 *
 * Each exchange gets its own `Scope`, closed when the exchange ends: after the trailers were
 * produced, or when the response body fails or is interrupted. A client reset (or connection
 * loss) interrupts the handler or the body being sent, aborts `request.signal` and closes the
 * scope, so forked work of a streaming call stops with it. The handler's response headers go
 * out before its body (gRPC streams need them early); a response with neither body nor
 * trailers is sent as one HEADERS frame with END_STREAM (gRPC Trailers-Only), and one whose
 * body is a `Uint8Array` with a plain trailer list (a unary answer) is handed to net whole, so
 * HEADERS, DATA and trailing HEADERS go out in one write with no pump fiber. The request body
 * carries a registered pull (`withBodyPull`), which the RPC server uses to read a unary
 * request without a Stream pipeline.
 *
 * @param handler The RPC server, e.g. from `makeServer`.
 * @returns A handler for `net/serve`.
 */
export function toH2Handler(handler: ServerHandler): Handler {
  return (req) =>
    Effect.suspend(() => {
      const scope = Scope.makeUnsafe();
      // Built on first use: a unary call that completes never needs a signal.
      let abort: AbortController | undefined;
      let aborted = false;
      let ended = false;
      // The request body failed (a reset or connection loss reached the handler's reader).
      let broken = false;
      // The handler read the request body to its end.
      let requestEnded = false;
      // The net body resets the stream (CANCEL) as soon as its reader stops early. A gRPC
      // handler that fails after the first request message stops reading, and its status must
      // still reach the client; so the body is pulled through a scope that only an aborted
      // exchange closes. Otherwise the net server ends an unread body after the response with
      // RST_STREAM(NO_ERROR) (RFC 9113 §8.1). Created with the first read.
      let bodyScope: Scope.Closeable | undefined;
      // Ends the exchange once: `failed` when it did not complete (reset, failure).
      const end = (failed: boolean): Effect.Effect<void> =>
        Effect.suspend(() => {
          if (ended) return Effect.void;
          ended = true;
          // A request body that failed means the client reset the stream or went away, even
          // when the handler went on to finish its answer.
          if (!failed && !broken) return Scope.close(scope, Exit.void);
          aborted = true;
          abort?.abort();
          const closeScope = Scope.close(scope, Exit.void);
          return bodyScope === undefined
            ? closeScope
            : Effect.andThen(Scope.close(bodyScope, Exit.void), closeScope);
        });
      // One pull over the net body, shared by `pull` and `body` (a handler uses one of them).
      let rawPull: Pull.Pull<readonly [Uint8Array, ...Uint8Array[]], NetError> | undefined;
      const openPull = Effect.suspend(() => {
        if (rawPull !== undefined) return Effect.succeed(rawPull);
        bodyScope ??= Scope.makeUnsafe();
        return Effect.map(
          Scope.provide(Stream.toPull(req.body), bodyScope),
          (p) => (rawPull = p as Pull.Pull<readonly [Uint8Array, ...Uint8Array[]], NetError>),
        );
      });
      const toExchange = (e: unknown): ExchangeError => {
        broken = true;
        return exchangeErrorFromNet(e as NetError);
      };
      const pull: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, ExchangeError> = Effect
        .flatMap(
          openPull,
          (p) =>
            Effect.catchCause(p, (cause) => {
              const failure = cause.reasons.find(Cause.isFailReason);
              if (failure !== undefined && Cause.isDone(failure.error)) {
                requestEnded = true;
                return Effect.succeed(undefined);
              }
              if (failure !== undefined) return Effect.fail(toExchange(failure.error));
              return Effect.failCause(cause as Cause.Cause<never>);
            }),
        );
      const request: ServerRequest = {
        method: req.method,
        path: req.path,
        authority: req.authority,
        headers: req.headers,
        body: withBodyPull(
          Stream.unwrap(Effect.map(
            openPull,
            (p) =>
              Stream.fromPull(Effect.succeed(Effect.mapError(p, (e) => {
                if (Cause.isDone(e)) {
                  requestEnded = true;
                  return e;
                }
                return toExchange(e);
              }))) as Stream.Stream<Uint8Array, ExchangeError>,
          )),
          pull,
        ),
        get signal(): AbortSignal {
          if (abort === undefined) {
            abort = new AbortController();
            if (aborted) abort.abort();
          }
          return abort.signal;
        },
      };
      return handler(request).pipe(
        Scope.provide(scope),
        Effect.onExit((exit) => (Exit.isFailure(exit) ? end(true) : Effect.void)),
        Effect.flatMap((res): Effect.Effect<NetServerResponse> => {
          if (broken) {
            // The reader was woken by the reset while the net layer is still closing the
            // stream; answering in that same turn would write on a closed stream. Yield once:
            // the answer then finds the stream closed and is dropped.
            return Effect.andThen(end(true), Effect.as(Effect.yieldNow, res as NetServerResponse));
          }
          const resBody = res.body;
          const resTrailers = res.trailers;
          if (resBody === undefined && resTrailers === undefined) {
            // Headers only: the exchange is over once they are sent.
            return Effect.as(end(false), { status: res.status, headers: res.headers });
          }
          if (
            (resBody === undefined || resBody instanceof Uint8Array) &&
            (resTrailers === undefined || Array.isArray(resTrailers))
          ) {
            // Everything is known (a unary answer): net writes HEADERS, DATA and trailing
            // HEADERS in one go, with no pump fiber; the exchange is over.
            return Effect.as(end(false), {
              status: res.status,
              headers: res.headers,
              body: resBody,
              trailers: (resTrailers as Fields | undefined) ?? [],
            });
          }
          // While the request body is still open, its end tells us about a reset nobody
          // would otherwise notice (a handler that no longer reads it). Unary and
          // server-streaming handlers have read it all by now: no watcher fiber for them.
          const watch = requestEnded
            ? Effect.void
            : Effect.forkIn(req.trailers.pipe(Effect.catch(() => end(true))), scope);
          const body = resBody instanceof Uint8Array ? resBody : resBody?.pipe(
            Stream.onExit((exit) => (Exit.isFailure(exit) ? end(true) : Effect.void)),
          );
          const trailerEffect: Effect.Effect<Fields> = resTrailers === undefined
            ? Effect.succeed([])
            : Array.isArray(resTrailers)
            ? Effect.succeed(resTrailers as Fields)
            : resTrailers as Effect.Effect<Fields>;
          const trailers: Effect.Effect<Fields> = trailerEffect.pipe(
            Effect.onExit((exit) => end(Exit.isFailure(exit))),
          );
          return Effect.as(watch, {
            status: res.status,
            headers: res.headers,
            body,
            trailers,
          });
        }),
      );
    });
}

/** Options of {@link serveRpc}: those of `net/serve` without the handler. */
export type ServeRpcOptions = Omit<ServeOptions<never>, "handler">;

/**
 * Serves an RPC handler over HTTP/2 for the lifetime of the current scope (TLS with ALPN h2
 * when `tls` is set, h2c otherwise). Closing the scope shuts down gracefully: GOAWAY, drain,
 * close.
 *
 * @param handler The RPC server, e.g. from `makeServer`.
 * @param options Address, TLS, limits (see `net/serve`).
 * @returns The running server.
 */
export function serveRpc(
  handler: ServerHandler,
  options: ServeRpcOptions = {},
): Effect.Effect<H2Server, never, Scope.Scope> {
  return serve({ ...options, handler: toH2Handler(handler) });
}

// ---------------------------------------------------------------------------- client

/** Options of {@link makeH2Transport}. */
export interface H2TransportOptions {
  /** The `:authority` of requests that set none; default the client's URL host. */
  readonly authority?: string;
}

/**
 * A {@link ClientTransport} over one h2kit HTTP/2 client: every exchange is a stream on the
 * client's connection (a new one after GOAWAY or loss), opened when a slot is free under the
 * server's MAX_CONCURRENT_STREAMS.
 *
 * The exchange belongs to the caller's scope. Closing it before the response ended, or
 * interrupting the caller while it waits for headers, resets the stream with CANCEL; so does a
 * failing request body, after which the response fails with a local `"Reset"`
 * {@link ExchangeError} whose `cause` is the body's error. Response data is acknowledged to the
 * server only as the caller pulls it (backpressure).
 *
 * @param client A connected client from `net/connect`.
 * @param options Default authority.
 * @returns A transport for `makeClient`.
 */
export function makeH2Transport(
  client: H2Client,
  options: H2TransportOptions = {},
): ClientTransport {
  return (request) =>
    Effect.gen(function* () {
      const scope = yield* Effect.scope;
      // Set when our own request body failed: every later failure reports it instead.
      let localError: ExchangeError | undefined;
      const bodyFailed = Deferred.makeUnsafe<never, ExchangeError>();
      // The response body is pulled inside a scope of its own: closing it (with the caller's
      // scope, or when the request body fails) releases the body, which resets the stream with
      // CANCEL unless the response already ended.
      const pullScope = yield* Scope.fork(scope);
      let responded = false;
      const cancelStarted = (): void => {
        if (!responded) return;
        const closing = Scope.closeUnsafe(pullScope, Exit.void);
        if (closing !== undefined) Effect.runFork(closing);
      };

      // A whole body known up front (a unary request) cannot fail: net sends it as is.
      const body = request.body instanceof Uint8Array ? request.body : request.body.pipe(
        Stream.catchCause((cause) => {
          if (Cause.hasInterruptsOnly(cause)) return Stream.failCause(cause as Cause.Cause<never>);
          const reason = Cause.squash(cause);
          localError = new ExchangeError({
            reason: "Reset",
            message: `Request body failed: stream cancelled: ${
              reason instanceof Error ? reason.message : String(reason)
            }`,
            initiator: "local",
            errorCode: ResetCode.CANCEL,
            cause: reason,
          });
          // The stream must end with RST_STREAM(CANCEL), not look like a complete body: stall
          // here while the waiter below (or the response's release) resets it.
          Deferred.doneUnsafe(bodyFailed, Effect.fail(localError));
          cancelStarted();
          return Stream.never;
        }),
      );

      const requested = client.request({
        method: request.method,
        path: request.path,
        authority: request.authority ?? options.authority,
        headers: request.headers,
        body,
      }).pipe(Effect.mapError(exchangeErrorFromNet));
      // Interrupting the wait for headers resets the stream (CANCEL) in the net client. A whole
      // body cannot fail, so there is nothing to race (and no race fibers per unary call).
      const started = yield* (body instanceof Uint8Array
        ? requested
        : Effect.raceFirst(requested, Deferred.await(bodyFailed)));

      responded = true;
      const pull = yield* Stream.toPull(started.body).pipe(Scope.provide(pullScope));
      if (localError !== undefined) cancelStarted();

      const mapped: Pull.Pull<readonly [Uint8Array, ...Uint8Array[]], ExchangeError> = pull.pipe(
        Effect.mapError((e) =>
          Cause.isDone(e) ? e : (localError ?? exchangeErrorFromNet(e as NetError))
        ),
      ) as Pull.Pull<readonly [Uint8Array, ...Uint8Array[]], ExchangeError>;
      const trailers: Effect.Effect<Fields, ExchangeError> = Effect.suspend(
        (): Effect.Effect<Fields, unknown> =>
          localError !== undefined ? Effect.fail(localError) : started.trailers,
      ).pipe(Effect.mapError((e) =>
        localError ?? asExchangeError(e)
      ));

      return {
        status: started.status,
        headers: started.headers,
        body: withBodyPull(
          Stream.fromPull(Effect.succeed(mapped)),
          Effect.catchIf(
            mapped as Effect.Effect<ReadonlyArray<Uint8Array>, ExchangeError | Cause.Done>,
            Cause.isDone,
            () => Effect.succeed(undefined),
          ) as BodyPull<ExchangeError>,
        ),
        trailers,
      };
    });
}

/** Options of {@link connectRpc}: `net/connect` options plus the transport's. */
export interface ConnectRpcOptions extends NetClientOptions, H2TransportOptions {}

/**
 * Connects to a gRPC server over HTTP/2 for the lifetime of the current scope and returns a
 * transport for `makeClient`. `https:` URLs use TLS with ALPN h2, `http:` URLs h2c with prior
 * knowledge.
 *
 * @param url The server's origin, e.g. `"https://127.0.0.1:50051"`.
 * @param options Trust anchors, keepalive, limits and default authority.
 * @returns The transport.
 */
export function connectRpc(
  url: string | URL,
  options: ConnectRpcOptions = {},
): Effect.Effect<ClientTransport, ExchangeError, Scope.Scope> {
  return connect(url, options).pipe(
    Effect.mapError(exchangeErrorFromNet),
    Effect.map((client) => makeH2Transport(client, options)),
  );
}
