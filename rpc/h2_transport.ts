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
import {
  type ClientOptions as NetClientOptions,
  type ClientRequest as NetClientRequest,
  type ClientResponse as NetClientResponse,
  connect,
  type H2Client,
} from "../net/client.ts";
import type { NetError } from "../net/errors.ts";
import {
  type H2Server,
  type Handler,
  serve,
  type ServeOptions,
  type ServerRequest as NetServerRequest,
  type ServerResponse as NetServerResponse,
  withSendPull,
} from "../net/server.ts";
import { type BackoffOptions, ConnectionBackoff } from "./backoff.ts";
import { type HintedClientRequest, WaitForReady } from "./channel_hints.ts";
import {
  type BodyPull,
  bodyPullOf,
  type ClientResponse,
  type ClientTransport,
  ExchangeError,
  type Fields,
  ResetCode,
  serveNowOf,
  type ServerHandler,
  type ServerRequest,
  type ServerResponse as RpcServerResponse,
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
      // The connection went away under the call, retryable or not: UNAVAILABLE, as gRPC
      // implementations report a closing transport (the GOAWAY code stays in `errorCode`).
      return new ExchangeError({
        reason: "Unavailable",
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
 * HEADERS, DATA and trailing HEADERS go out in one write with no pump fiber. A request body
 * that arrived whole with its headers (a small unary request) is offered through
 * `bodyIfComplete`; otherwise the body carries a registered pull (`withBodyPull`, over net's
 * own `bodyPull` when it offers one), which the RPC server uses to read requests without a
 * Stream pipeline. Per-exchange state is built on first use, so a whole-body unary call makes
 * no Stream, pull, scope or signal; and when the RPC server registered an eager entry point
 * (`withServeNow`) and answered such a call synchronously, the answer goes to net without any
 * Effect plumbing around it.
 *
 * @param handler The RPC server, e.g. from `makeServer`.
 * @returns A handler for `net/serve`.
 */
export function toH2Handler(handler: ServerHandler): Handler {
  const serveNow = serveNowOf(handler);
  return (req) =>
    Effect.suspend(() => {
      const exchange = new H2Exchange(req);
      const served = serveNow === undefined ? handler(exchange) : serveNow(exchange);
      // A call the RPC server finished synchronously (a unary answer): no scope to provide and
      // nothing to observe, the answer goes straight to net.
      if (!Effect.isEffect(served)) return exchange.answer(served);
      return served.pipe(
        Scope.provide(exchange.scope),
        Effect.onExit((exit) => (Exit.isFailure(exit) ? exchange.end(true) : Effect.void)),
        Effect.flatMap((res) => exchange.answer(res)),
      );
    });
}

/** Closes `scope`: at once when it holds no finalizer, else as an Effect to run. */
function closeScope(scope: Scope.Closeable): Effect.Effect<void> | undefined {
  if (scope.state._tag === "Empty") {
    Scope.closeUnsafe(scope, Exit.void);
    return undefined;
  }
  return Scope.close(scope, Exit.void);
}

/**
 * One exchange hosted on a net request: the RPC layer's {@link ServerRequest} plus the
 * exchange's lifetime (scope, abort signal, request-body state). A class rather than closures,
 * and everything built on first use: a unary call whose body arrived whole reads it with
 * `bodyIfComplete` and never builds the Stream, the pull, the body scope or the signal.
 */
class H2Exchange implements ServerRequest {
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly headers: Fields;
  // The exchange's scope, made on first use: a call answered synchronously never needs one.
  #scope: Scope.Closeable | undefined;
  readonly #req: NetServerRequest;
  #abort: AbortController | undefined;
  #aborted = false;
  #ended = false;
  // The request body failed (a reset or connection loss reached the handler's reader).
  #broken = false;
  // The handler read the request body to its end.
  #requestEnded = false;
  // The net body resets the stream (CANCEL) as soon as its reader stops early. A gRPC handler
  // that fails after the first request message stops reading, and its status must still reach
  // the client; so the body is pulled through a scope that only an aborted exchange closes.
  // Otherwise the net server ends an unread body after the response with RST_STREAM(NO_ERROR)
  // (RFC 9113 §8.1). Created with the first read.
  #bodyScope: Scope.Closeable | undefined;
  // One pull over the net body, shared by `pull` and `body` (a handler uses one of them).
  #rawPull: Pull.Pull<readonly [Uint8Array, ...Uint8Array[]], NetError> | undefined;
  // Stops net's direct pull (`bodyPull`) of the body, when that is how it is read.
  #releaseBody: (() => void) | undefined;
  #body: Stream.Stream<Uint8Array, ExchangeError> | undefined;

  constructor(req: NetServerRequest) {
    this.#req = req;
    this.method = req.method;
    this.path = req.path;
    this.authority = req.authority;
    this.headers = req.headers;
  }

  /** The exchange's scope, closed when it ends. */
  get scope(): Scope.Closeable {
    if (this.#scope === undefined) {
      this.#scope = Scope.makeUnsafe();
      // Asked for only after the exchange ended: nothing may run in it any more.
      if (this.#ended) Scope.closeUnsafe(this.#scope, Exit.void);
    }
    return this.#scope;
  }

  get signal(): AbortSignal {
    if (this.#abort === undefined) {
      this.#abort = new AbortController();
      if (this.#aborted) this.#abort.abort();
    }
    return this.#abort.signal;
  }

  bodyIfComplete(): Uint8Array | undefined {
    if (this.#rawPull !== undefined) return undefined;
    const bytes = this.#req.bodyIfComplete?.();
    if (bytes !== undefined) this.#requestEnded = true;
    return bytes;
  }

  get body(): Stream.Stream<Uint8Array, ExchangeError> {
    if (this.#body !== undefined) return this.#body;
    const openPull = Effect.suspend(() => {
      if (this.#rawPull !== undefined) return Effect.succeed(this.#rawPull);
      // net's own pull when it offers one: no Stream to run, and `release` does what closing
      // the body scope would.
      const direct = this.#req.bodyPull?.();
      if (direct !== undefined) {
        this.#releaseBody = direct.release;
        this.#rawPull = direct.pull as Pull.Pull<readonly [Uint8Array, ...Uint8Array[]], NetError>;
        return Effect.succeed(this.#rawPull);
      }
      this.#bodyScope ??= Scope.makeUnsafe();
      return Effect.map(
        Scope.provide(Stream.toPull(this.#req.body), this.#bodyScope),
        (p) => (this.#rawPull = p as Pull.Pull<readonly [Uint8Array, ...Uint8Array[]], NetError>),
      );
    });
    const toExchange = (e: unknown): ExchangeError => {
      this.#broken = true;
      return exchangeErrorFromNet(e as NetError);
    };
    const pull: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, ExchangeError> = Effect
      .flatMap(
        openPull,
        (p) =>
          Effect.catchCause(p, (cause) => {
            const failure = cause.reasons.find(Cause.isFailReason);
            if (failure !== undefined && Cause.isDone(failure.error)) {
              this.#requestEnded = true;
              return Effect.succeed(undefined);
            }
            if (failure !== undefined) return Effect.fail(toExchange(failure.error));
            return Effect.failCause(cause as Cause.Cause<never>);
          }),
      );
    return this.#body = withBodyPull(
      Stream.unwrap(Effect.map(
        openPull,
        (p) =>
          Stream.fromPull(Effect.succeed(Effect.mapError(p, (e) => {
            if (Cause.isDone(e)) {
              this.#requestEnded = true;
              return e;
            }
            return toExchange(e);
          }))) as Stream.Stream<Uint8Array, ExchangeError>,
      )),
      pull,
    );
  }

  /** Ends the exchange once: `failed` when it did not complete (reset, failure). */
  end(failed: boolean): Effect.Effect<void> {
    return Effect.suspend(() => this.#end(failed) ?? Effect.void);
  }

  #end(failed: boolean): Effect.Effect<void> | undefined {
    if (this.#ended) return undefined;
    this.#ended = true;
    // A request body that failed means the client reset the stream or went away, even when
    // the handler went on to finish its answer.
    if (!failed && !this.#broken) {
      return this.#scope === undefined ? undefined : closeScope(this.#scope);
    }
    this.#aborted = true;
    this.#abort?.abort();
    this.#releaseBody?.();
    const bodyScope = this.#bodyScope === undefined ? undefined : closeScope(this.#bodyScope);
    const scope = this.#scope === undefined ? undefined : closeScope(this.#scope);
    if (bodyScope === undefined) return scope;
    return scope === undefined ? bodyScope : Effect.andThen(bodyScope, scope);
  }

  /** Turns the handler's response into the net response (and ends the exchange if it is). */
  answer(res: RpcServerResponse): Effect.Effect<NetServerResponse> {
    if (this.#broken) {
      // The reader was woken by the reset while the net layer is still closing the stream;
      // answering in that same turn would write on a closed stream. Yield once: the answer
      // then finds the stream closed and is dropped.
      return Effect.andThen(this.end(true), Effect.as(Effect.yieldNow, res as NetServerResponse));
    }
    const resBody = res.body;
    const resTrailers = res.trailers;
    if (resBody === undefined && resTrailers === undefined) {
      // Headers only: the exchange is over once they are sent.
      const out: NetServerResponse = { status: res.status, headers: res.headers };
      const ending = this.#end(false);
      return ending === undefined ? Effect.succeed(out) : Effect.as(ending, out);
    }
    if (
      (resBody === undefined || resBody instanceof Uint8Array) &&
      (resTrailers === undefined || Array.isArray(resTrailers))
    ) {
      // Everything is known (a unary answer): net writes HEADERS, DATA and trailing HEADERS in
      // one go, with no pump fiber; the exchange is over.
      const out: NetServerResponse = {
        status: res.status,
        headers: res.headers,
        body: resBody,
        trailers: (resTrailers as Fields | undefined) ?? [],
      };
      const ending = this.#end(false);
      return ending === undefined ? Effect.succeed(out) : Effect.as(ending, out);
    }
    let body: Uint8Array | Stream.Stream<Uint8Array, unknown> | undefined;
    // A body the RPC server built as a pull (`withBodyPull`) goes to net's sender as one: batch
    // by batch with no Stream machinery, the exchange ending when sending stops early (`stopped`)
    // just as the Stream's `onExit` below does. The Stream is then only a fallback, made lazily.
    const pull = resBody === undefined || resBody instanceof Uint8Array
      ? undefined
      : bodyPullOf(resBody);
    if (resBody === undefined || resBody instanceof Uint8Array) body = resBody;
    else {
      const stream = resBody;
      const guarded = () =>
        stream.pipe(
          Stream.onExit((exit) => (Exit.isFailure(exit) ? this.end(true) : Effect.void)),
        );
      body = pull === undefined
        ? guarded()
        : withSendPull(Stream.suspend(guarded), { pull, stopped: this.end(true) });
    }
    // While the request body is still open, its end tells us about a reset nobody would
    // otherwise notice (a handler that no longer reads it). Unary and server-streaming
    // handlers have read it all by now: no watcher fiber for them. Nor for a body sent as a
    // pull: net interrupts its sender on any reset or loss of the stream, and the sender's
    // `stopped` ends the exchange.
    const watch = this.#requestEnded || pull !== undefined
      ? Effect.void
      : Effect.forkIn(this.#req.trailers.pipe(Effect.catch(() => this.end(true))), this.scope);
    const trailerEffect: Effect.Effect<Fields> = resTrailers === undefined
      ? Effect.succeed([])
      : Array.isArray(resTrailers)
      ? Effect.succeed(resTrailers as Fields)
      : resTrailers as Effect.Effect<Fields>;
    const trailers: Effect.Effect<Fields> = trailerEffect.pipe(
      Effect.onExit((exit) => this.end(Exit.isFailure(exit))),
    );
    return Effect.as(watch, { status: res.status, headers: res.headers, body, trailers });
  }
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
 * Channel behaviour (grpc doc/wait-for-ready.md, A6 "Transparent retry"): a call made while the
 * client is in TRANSIENT_FAILURE fails at once with `"Unavailable"` unless the call set
 * {@link WaitForReady}, which waits for a connection instead. A request the server refused
 * unprocessed (REFUSED_STREAM, or above a GOAWAY's last stream id) is sent once more
 * automatically, on a new connection after a GOAWAY; a streaming request is replayed when what
 * it had sent is still known (at most 64 KiB, no read of the source interrupted half-way).
 *
 * @param client A connected client from `net/connect`.
 * @param options Default authority.
 * @returns A transport for `makeClient`.
 */
export function makeH2Transport(
  client: H2Client,
  options: H2TransportOptions = {},
): ClientTransport {
  return (request) => {
    const body = request.body;
    if (body instanceof Uint8Array) return wholeBodyExchange(client, request, body, options);
    return Effect.gen(function* () {
      const waitForReady = yield* WaitForReady;
      const scope = yield* Effect.scope;
      const authority = request.authority ?? options.authority;

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
      const replay = new ReplayableBody(body, scope);
      const guard = (attempt: Stream.Stream<Uint8Array, unknown>) =>
        attempt.pipe(
          Stream.catchCause((cause) => {
            if (Cause.hasInterruptsOnly(cause)) {
              return Stream.failCause(cause as Cause.Cause<never>);
            }
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
      // Interrupting the wait for headers resets the stream (CANCEL) in the net client.
      const send = () =>
        Effect.raceFirst(
          client.request({
            method: request.method,
            path: request.path,
            authority,
            headers: request.headers,
            body: guard(replay.attempt()),
            waitForReady,
          }),
          Deferred.await(bodyFailed),
        );
      const started = yield* send().pipe(
        Effect.catchIf(
          (e): e is NetError =>
            !(e instanceof ExchangeError) && neverProcessed(e) && replay.replayable,
          send,
        ),
        Effect.mapError((e) => e instanceof ExchangeError ? e : exchangeErrorFromNet(e)),
      );
      // The server has the request now: no more retries, stop keeping its bytes.
      replay.settle();
      responded = true;
      return yield* streamedResponse(started, pullScope, () => localError, cancelStarted);
    });
  };
}

/**
 * An exchange whose request body is whole (unary and server-streaming calls): it cannot fail
 * and can be sent again as is, so there is no race with a body failure, no pump, and a
 * transparent retry is always possible.
 */
function wholeBodyExchange(
  client: H2Client,
  request: HintedClientRequest,
  body: Uint8Array,
  options: H2TransportOptions,
): Effect.Effect<ClientResponse, ExchangeError, Scope.Scope> {
  return Effect.flatMap(WaitForReady, (waitForReady) => {
    const req: NetClientRequest = {
      method: request.method,
      path: request.path,
      authority: request.authority ?? options.authority,
      headers: request.headers,
      body,
      waitForReady,
      // Resume once per call, not once for the headers and again for the body: a unary answer
      // when it has fully arrived, a server stream with its first data.
      awaitBody: request.singleResponse ? "end" : "data",
    };
    return client.request(req).pipe(
      Effect.catchIf(neverProcessed, () => client.request(req)),
      Effect.mapError(exchangeErrorFromNet),
      Effect.flatMap((started) => {
        const whole = started.bodyIfComplete();
        if (whole !== undefined) return Effect.succeed(completeResponse(started, whole));
        // Nothing can cancel it early: the body is released with the caller's scope itself.
        return Effect.flatMap(Effect.scope, (scope) => streamedResponse(started, scope, undefined));
      }),
    );
  });
}

/**
 * Whether the server certainly did not process the request, so gRPC retries it transparently
 * (once, whatever the retry policy): the stream was refused (REFUSED_STREAM) or is above the
 * last stream id of a GOAWAY (RFC 9113 §8.7; grpc doc/A6-client-retries.md "Transparent
 * retry").
 */
function neverProcessed(error: NetError): boolean {
  return (error._tag === "GoAway" && error.retryable) ||
    (error._tag === "StreamReset" && error.retryable && error.initiator === "remote");
}

/** Request bytes a streaming call keeps for a transparent retry; past this, none is made. */
const REPLAY_LIMIT = 64 * 1024;

/**
 * A streaming request body that one or more attempts read in turn: what an attempt took from
 * the source is kept (up to {@link REPLAY_LIMIT}) until the server has the request, so a
 * retried attempt sends it again before reading on. A read interrupted half-way may have lost
 * a chunk, so it ends the chance of a retry.
 */
class ReplayableBody {
  readonly #source: Stream.Stream<Uint8Array, unknown>;
  readonly #scope: Scope.Scope;
  #pull: Pull.Pull<readonly [Uint8Array, ...Uint8Array[]], unknown> | undefined;
  /** Chunks read so far, or undefined once a retry is impossible. */
  #kept: Uint8Array[] | undefined = [];
  #keptBytes = 0;
  #pulling = false;
  #ended = false;
  #epoch = 0;

  constructor(source: Stream.Stream<Uint8Array, unknown>, scope: Scope.Scope) {
    this.#source = source;
    this.#scope = scope;
  }

  /** Whether another attempt can send exactly what the last one did. */
  get replayable(): boolean {
    return this.#kept !== undefined && !this.#pulling;
  }

  /** The request was accepted: keep nothing more. */
  settle(): void {
    this.#kept = undefined;
  }

  /** The body of the next attempt; earlier attempts stop reading. */
  attempt(): Stream.Stream<Uint8Array, unknown> {
    const epoch = ++this.#epoch;
    let replay = epoch > 1 && this.#kept !== undefined && this.#kept.length > 0
      ? this.#kept.slice() as [Uint8Array, ...Uint8Array[]]
      : undefined;
    const pull: Pull.Pull<readonly [Uint8Array, ...Uint8Array[]], unknown> = Effect.suspend(() => {
      // A superseded attempt is being interrupted; it must not take from the source.
      if (epoch !== this.#epoch) return Effect.never;
      if (replay !== undefined) {
        const chunks = replay;
        replay = undefined;
        return Effect.succeed(chunks);
      }
      if (this.#ended) return Cause.done();
      this.#pulling = true;
      return Effect.onExit(this.#sourcePull(), (exit) =>
        Effect.sync(() => {
          this.#pulling = false;
          if (Exit.isSuccess(exit)) {
            this.#keep(exit.value);
          } else if (Cause.hasInterruptsOnly(exit.cause)) {
            this.#kept = undefined;
          } else if (
            exit.cause.reasons.some((r) => Cause.isFailReason(r) && Cause.isDone(r.error))
          ) {
            this.#ended = true;
          }
        }));
    });
    return Stream.fromPull(Effect.succeed(pull));
  }

  #sourcePull(): Pull.Pull<readonly [Uint8Array, ...Uint8Array[]], unknown> {
    if (this.#pull !== undefined) return this.#pull;
    return Effect.flatMap(
      Scope.provide(Stream.toPull(this.#source), this.#scope),
      (p) => {
        this.#pull = p as Pull.Pull<readonly [Uint8Array, ...Uint8Array[]], unknown>;
        return this.#pull;
      },
    );
  }

  #keep(chunks: ReadonlyArray<Uint8Array>): void {
    if (this.#kept === undefined) return;
    for (const c of chunks) {
      this.#keptBytes += c.length;
      this.#kept.push(c);
    }
    if (this.#keptBytes > REPLAY_LIMIT) this.#kept = undefined;
  }
}

/** A response that had fully arrived with its headers: its body is one chunk, no pulling. */
function completeResponse(started: NetClientResponse, whole: Uint8Array): ClientResponse {
  let taken = false;
  const pull: BodyPull<ExchangeError> = Effect.sync(() => {
    if (taken || whole.length === 0) return undefined;
    taken = true;
    return [whole];
  });
  return {
    status: started.status,
    headers: started.headers,
    // A stream of its own even when empty: the pull is registered on the object.
    body: withBodyPull(
      whole.length === 0 ? Stream.suspend(() => Stream.empty) : Stream.succeed(whole),
      pull,
    ),
    trailers: Effect.mapError(started.trailers, asExchangeError),
  };
}

/**
 * A response whose body is still arriving: pulled through `pullScope`, whose closing releases
 * it (CANCEL unless it ended). `localError` reports our own request body's failure instead of
 * what the stream then sees.
 */
function streamedResponse(
  started: NetClientResponse,
  pullScope: Scope.Scope,
  localError: (() => ExchangeError | undefined) | undefined,
  cancelStarted?: () => void,
): Effect.Effect<ClientResponse> {
  return Effect.map(Scope.provide(Stream.toPull(started.body), pullScope), (pull) => {
    if (localError?.() !== undefined) cancelStarted?.();
    const mapped: Pull.Pull<readonly [Uint8Array, ...Uint8Array[]], ExchangeError> = pull.pipe(
      Effect.mapError((e) =>
        Cause.isDone(e) ? e : (localError?.() ?? exchangeErrorFromNet(e as NetError))
      ),
    ) as Pull.Pull<readonly [Uint8Array, ...Uint8Array[]], ExchangeError>;
    const trailers: Effect.Effect<Fields, ExchangeError> = Effect.suspend(
      (): Effect.Effect<Fields, unknown> => {
        const local = localError?.();
        return local !== undefined ? Effect.fail(local) : started.trailers;
      },
    ).pipe(Effect.mapError((e) => localError?.() ?? asExchangeError(e)));
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
export interface ConnectRpcOptions extends NetClientOptions, H2TransportOptions {
  /**
   * gRPC connection backoff between reconnection attempts (defaults of
   * grpc doc/connection-backoff.md: 1 s, x1.6, jitter 0.2, at most 120 s, 20 s minimum connect
   * timeout). Ignored when `reconnect` is given.
   */
  readonly backoff?: BackoffOptions;
}

/**
 * The `net/connect` options of a gRPC channel: `reconnect` defaults to gRPC connection backoff.
 *
 * @param options Channel options.
 * @returns The options for `connect`.
 */
export function channelNetOptions(options: ConnectRpcOptions): NetClientOptions {
  return {
    ...options,
    reconnect: options.reconnect ?? new ConnectionBackoff(options.backoff),
  };
}

/**
 * Connects to a gRPC server over HTTP/2 for the lifetime of the current scope and returns a
 * transport for `makeClient`. `https:` URLs use TLS with ALPN h2, `http:` URLs h2c with prior
 * knowledge. The first connection must succeed (or this fails with `"Unavailable"`); after
 * that the channel reconnects by itself with gRPC connection backoff (see `openChannel` in
 * `rpc/channel.ts` for a channel that may start unconnected and shows its state).
 *
 * @param url The server's origin, e.g. `"https://127.0.0.1:50051"`.
 * @param options Trust anchors, keepalive, limits, backoff and default authority.
 * @returns The transport.
 */
export function connectRpc(
  url: string | URL,
  options: ConnectRpcOptions = {},
): Effect.Effect<ClientTransport, ExchangeError, Scope.Scope> {
  return connect(url, channelNetOptions(options)).pipe(
    Effect.mapError(exchangeErrorFromNet),
    Effect.map((client) => makeH2Transport(client, options)),
  );
}
