/**
 * A {@link ClientTransport} that calls a {@link ServerHandler} directly, with
 * no sockets or framing: for tests, and as the basis of in-process and
 * fetch-style hosting.
 *
 * @module
 */

import { Cause, Effect, Scope, Stream } from "effect";
import {
  type ClientTransport,
  ExchangeError,
  type Fields,
  ResetCode,
  type ServerHandler,
} from "./exchange.ts";

/** Options of {@link makeInMemoryTransport}. */
export interface InMemoryTransportOptions {
  /** The `:authority` used when a request has none. Default `"in-memory"`. */
  readonly authority?: string;
}

/**
 * Connects a client straight to a server handler, with no copies and no
 * extra fibers: the handler runs in the caller's fiber, in a scope that is a
 * child of the caller's, and each side pulls the other's body stream
 * directly. Backpressure is therefore exact: a body chunk is produced only
 * when the other side asks for it, as with an HTTP/2 window of one chunk.
 *
 * Cancellation and failures follow HTTP/2: closing the caller's scope before
 * the trailers were read closes the handler's scope (interrupting its fibers)
 * and aborts its signal, like RST_STREAM CANCEL; a handler defect fails the
 * client with a remote reset (INTERNAL_ERROR); a failing request body fails the
 * client with a local reset (CANCEL) and the handler's body with a remote one.
 *
 * @param handler The server side.
 * @param options Authority.
 * @returns A transport for RPC clients.
 */
export function makeInMemoryTransport(
  handler: ServerHandler,
  options: InMemoryTransportOptions = {},
): ClientTransport {
  const defaultAuthority = options.authority ?? "in-memory";
  return (request) =>
    Effect.gen(function* () {
      const scope = yield* Effect.scope;
      const serverScope = yield* Scope.fork(scope);
      const abort = new AbortController();
      let finished = false;
      // Set when the client's own request body failed: the client then sees its own reset.
      let localError: ExchangeError | undefined;

      yield* Scope.addFinalizer(
        scope,
        Effect.sync(() => {
          if (!finished) abort.abort();
        }),
      );

      const cancelled = (initiator: "local" | "remote", cause: unknown) =>
        new ExchangeError({
          reason: "Reset",
          message: "Request body failed: stream cancelled",
          initiator,
          errorCode: ResetCode.CANCEL,
          cause,
        });

      // Maps what went wrong on the server side to what the client of an HTTP/2 stream sees.
      const fromServer = (cause: Cause.Cause<unknown>): Effect.Effect<never, ExchangeError> => {
        if (localError !== undefined) return Effect.fail(localError);
        if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>);
        return Effect.fail(
          new ExchangeError({
            reason: "Reset",
            message: "Server reset the stream: handler failed",
            initiator: "remote",
            errorCode: ResetCode.INTERNAL_ERROR,
            cause: Cause.squash(cause),
          }),
        );
      };

      const requestBody = request.body instanceof Uint8Array
        ? Stream.succeed(request.body)
        : request.body;
      const body = requestBody.pipe(
        Stream.catchCause((cause) => {
          if (Cause.hasInterruptsOnly(cause)) return Stream.failCause(cause as Cause.Cause<never>);
          localError = cancelled("local", Cause.squash(cause));
          abort.abort();
          return Stream.fail(cancelled("remote", Cause.squash(cause)));
        }),
      );

      const response = yield* handler({
        method: request.method,
        path: request.path,
        authority: request.authority ?? defaultAuthority,
        headers: request.headers,
        body,
        signal: abort.signal,
      }).pipe(Scope.provide(serverScope), Effect.catchCause(fromServer));

      if (response.body === undefined && response.trailers === undefined) finished = true;
      const trailers: Effect.Effect<Fields, ExchangeError> = Effect.suspend(() => {
        if (localError !== undefined) return Effect.fail(localError);
        const t = response.trailers;
        if (t === undefined) return Effect.succeed<Fields>([]);
        return Array.isArray(t) ? Effect.succeed(t as Fields) : t as Effect.Effect<Fields>;
      }).pipe(
        Effect.catchCause(fromServer),
        Effect.tap(() => Effect.sync(() => (finished = true))),
      );
      return {
        status: response.status,
        headers: response.headers,
        body: response.body === undefined
          ? Stream.empty
          : response.body instanceof Uint8Array
          ? Stream.succeed(response.body)
          : response.body.pipe(Stream.catchCause((cause) => Stream.fromEffect(fromServer(cause)))),
        trailers,
      };
    });
}
