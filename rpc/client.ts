/**
 * The gRPC client: typed methods for the four call kinds over any
 * {@link ClientTransport}, with per-call deadlines, metadata and compression,
 * deadline propagation and opt-in retries.
 *
 * @module
 */

import { Clock, Duration, Effect, Schedule, type Scope, Stream } from "effect";
import { CONTENT_TYPE, header, isGrpcContentType, readStatus } from "./_grpc_headers.ts";
import { Code } from "./code.ts";
import { decodeMessages, encodeMessage, pullFromStream, readMessagesUpTo } from "./codec.ts";
import {
  type Compression,
  type CompressionRegistry,
  defaultCompressions,
  identity,
} from "./compression.ts";
import { type HintedClientRequest, WaitForReady } from "./channel_hints.ts";
import { CurrentDeadline, formatTimeout } from "./deadline.ts";
import { DEFAULT_MAX_RECEIVE_BYTES } from "./envelope.ts";
import { bodyPullOf, type ClientResponse, type ClientTransport, type Field } from "./exchange.ts";
import { codeFromHttpStatus } from "./http_status.ts";
import { Metadata } from "./metadata.ts";
import type { MethodDescriptor, ServiceDescriptor, ServiceSpec } from "./service.ts";
import { RpcError } from "./status.ts";

/**
 * Retries with exponential backoff (grpc doc/A6-client-retries.md in spirit):
 * a call failing with one of `codes` before any response message is tried
 * again, up to `maxAttempts` in total. Unary and server-streaming calls are
 * retried (their single request can be sent again; a server stream only until
 * its first message arrived). The call's deadline covers every attempt.
 * Independent of this policy, a request the server refused unprocessed is
 * retried once transparently by channel transports (`makeH2Transport`).
 */
export interface RetryPolicy {
  /** Total attempts including the first (>= 2 to retry at all). */
  readonly maxAttempts: number;
  /** Delay before the first retry. Default 100 ms. */
  readonly initialBackoffMs?: number;
  /** Upper bound of any delay. Default 5 s. */
  readonly maxBackoffMs?: number;
  /** Growth factor per attempt. Default 2. */
  readonly multiplier?: number;
  /** Codes that are retried. Default `[Code.UNAVAILABLE]`. */
  readonly codes?: readonly Code[];
}

/** Per-call options. */
export interface CallOptions {
  /** Deadline relative to the start of the call; expiry fails with DEADLINE_EXCEEDED. */
  readonly timeoutMs?: number;
  /** Custom metadata sent with the request. */
  readonly metadata?: Metadata;
  /** Encoding for request messages, e.g. `"gzip"` (must be registered). */
  readonly compression?: string;
  /** Called with the response headers' metadata (initial metadata). */
  readonly onHeaders?: (metadata: Metadata) => void;
  /** Called with the trailing metadata when the call ends with OK. */
  readonly onTrailers?: (metadata: Metadata) => void;
  /** Overrides the client's retry policy for this call; `false` disables it. */
  readonly retry?: RetryPolicy | false;
  /**
   * Wait for the channel to be READY instead of failing at once with UNAVAILABLE while it is in
   * TRANSIENT_FAILURE (grpc doc/wait-for-ready.md); the deadline bounds the wait
   * (DEADLINE_EXCEEDED). Default false. Transports without a channel ignore it.
   */
  readonly waitForReady?: boolean;
}

/** Options of {@link makeClient}. */
export interface ClientOptions {
  /** Supported encodings (default gzip, deflate); register `br` here. */
  readonly compressions?: CompressionRegistry;
  /** Largest response message accepted. Default 4 MiB. */
  readonly maxReceiveMessageBytes?: number;
  /** Largest request message sent. Default unlimited (2^31 - 1). */
  readonly maxSendMessageBytes?: number;
  /** The `:authority` of requests; the transport's default when absent. */
  readonly authority?: string;
  /** Sent as `user-agent`. Default `"grpc-typescript-h2kit/0.1.0"`. */
  readonly userAgent?: string;
  /** Options applied to every call unless the call overrides them. */
  readonly defaults?: CallOptions;
  /** Retry policy of unary calls; none by default. */
  readonly retry?: RetryPolicy;
}

/** The client method type for a method spec. */
export type ClientMethodFor<M> = M extends { kind: "unary"; input: infer I; output: infer O }
  ? (request: I, options?: CallOptions) => Effect.Effect<O, RpcError>
  : M extends { kind: "server_streaming"; input: infer I; output: infer O }
    ? (request: I, options?: CallOptions) => Stream.Stream<O, RpcError>
  : M extends { kind: "client_streaming"; input: infer I; output: infer O }
    ? (requests: Stream.Stream<I, unknown>, options?: CallOptions) => Effect.Effect<O, RpcError>
  : M extends { kind: "bidi_streaming"; input: infer I; output: infer O }
    ? (requests: Stream.Stream<I, unknown>, options?: CallOptions) => Stream.Stream<O, RpcError>
  : never;

/** A typed client: one method per service method, named as in the `.proto`. */
export type ServiceClient<S extends ServiceSpec> = {
  readonly [K in keyof S]: ClientMethodFor<S[K]>;
};

const MAX_INT32 = 0x7fffffff;

function mergeOptions(base: CallOptions | undefined, call: CallOptions | undefined): CallOptions {
  if (base === undefined) return call ?? {};
  if (call === undefined) return base;
  const metadata = base.metadata && call.metadata
    ? base.metadata.merge(call.metadata)
    : call.metadata ?? base.metadata;
  return { ...base, ...call, metadata };
}

type CallSettings = CallOptions & Omit<ClientOptions, "retry" | "defaults"> & {
  /** An absolute deadline (ms since the epoch) shared by every attempt of a retried call. */
  readonly deadlineAt?: number;
};

/** An exchange whose response headers have arrived and been checked. */
interface Started {
  /** The response, undefined for an OK Trailers-Only response (no messages). */
  readonly response: ClientResponse | undefined;
  /** The encoding of response messages. */
  readonly receive: Compression;
  /** Maps a failure to the call's error, preferring our own request-side error. */
  readonly fail: (e: unknown) => RpcError;
  /** Reads the trailers and fails with their status unless OK. */
  readonly end: Effect.Effect<void, RpcError>;
}

const NO_DEADLINE: { readonly now: number; readonly deadline: number | undefined } = {
  now: 0,
  deadline: undefined,
};

function deadlineOf(
  options: CallSettings,
): Effect.Effect<{ readonly now: number; readonly deadline: number | undefined }> {
  return Effect.flatMap(CurrentDeadline, (inherited) => {
    // No deadline at all (the common case): no clock read.
    if (inherited === undefined && options.timeoutMs === undefined) {
      return options.deadlineAt === undefined
        ? Effect.succeed(NO_DEADLINE)
        : Effect.map(Clock.currentTimeMillis, (now) => ({ now, deadline: options.deadlineAt }));
    }
    return Effect.map(Clock.currentTimeMillis, (now) => {
      let deadline = options.timeoutMs === undefined ? options.deadlineAt : now + options.timeoutMs;
      if (inherited !== undefined && (deadline === undefined || inherited < deadline)) {
        deadline = inherited;
      }
      return { now, deadline };
    });
  });
}

// Fields every call sends, shared (fields are read-only once built).
const CONTENT_TYPE_FIELD: Field = { name: "content-type", value: CONTENT_TYPE };
const TE_FIELD: Field = { name: "te", value: "trailers" };
const USER_AGENT_FIELD: Field = { name: "user-agent", value: "grpc-typescript-h2kit/0.1.0" };
const DEFAULT_ACCEPT_ENCODING_FIELD: Field = {
  name: "grpc-accept-encoding",
  value: defaultCompressions.acceptEncoding,
};

function deadlineExceeded(): RpcError {
  return new RpcError({ code: Code.DEADLINE_EXCEEDED, message: "Deadline exceeded" });
}

/**
 * Sends the request headers and body and checks the response headers: HTTP
 * status, content type, Trailers-Only status, response encoding.
 */
function start<I, O>(
  transport: ClientTransport,
  method: MethodDescriptor<I, O>,
  requests: Stream.Stream<I, unknown> | { readonly single: I },
  options: CallSettings,
  now: number,
  deadline: number | undefined,
  single: boolean,
): Effect.Effect<Started, RpcError, Scope.Scope> {
  return Effect.gen(function* () {
    const registry = options.compressions ?? defaultCompressions;
    const maxSend = options.maxSendMessageBytes ?? MAX_INT32;
    const sendCompression = options.compression === undefined
      ? identity
      : registry.get(options.compression);
    if (sendCompression === undefined) {
      return yield* new RpcError({
        code: Code.INTERNAL,
        message: `Compression "${options.compression}" is not registered`,
      });
    }
    const headers: Field[] = [
      CONTENT_TYPE_FIELD,
      TE_FIELD,
      options.userAgent === undefined
        ? USER_AGENT_FIELD
        : { name: "user-agent", value: options.userAgent },
      registry === defaultCompressions
        ? DEFAULT_ACCEPT_ENCODING_FIELD
        : { name: "grpc-accept-encoding", value: registry.acceptEncoding },
    ];
    if (sendCompression.name !== "identity") {
      headers.push({ name: "grpc-encoding", value: sendCompression.name });
    }
    if (deadline !== undefined) {
      headers.push({ name: "grpc-timeout", value: formatTimeout(deadline - now) });
    }
    options.metadata?.writeTo(headers);

    const encode = (value: I) =>
      encodeMessage(value, method.input, {
        compression: sendCompression,
        compress: true,
        maxSendBytes: maxSend,
      });
    let requestError: RpcError | undefined;
    let body: Stream.Stream<Uint8Array, unknown> | Uint8Array;
    if (!Stream.isStream(requests)) {
      // One request message: encode it before anything is sent, so an oversized or
      // unserializable request fails without opening an exchange; the transport then sends
      // the whole body with the headers.
      body = yield* Effect.try({
        try: () => encode(requests.single),
        catch: (e) => RpcError.from(e, Code.INTERNAL),
      });
    } else {
      body = requests.pipe(
        Stream.mapEffect((value) =>
          Effect.try({ try: () => encode(value), catch: (e) => RpcError.from(e, Code.INTERNAL) })
        ),
        Stream.tapError((e) =>
          Effect.sync(() => {
            requestError = RpcError.from(e, Code.CANCELLED);
          })
        ),
      );
    }
    const fail = (e: unknown) => requestError ?? RpcError.from(e);

    const request: HintedClientRequest = {
      method: "POST",
      path: method.path,
      authority: options.authority,
      headers,
      body,
      singleResponse: single,
    };
    const exchange = transport(request);
    const response = yield* (options.waitForReady === true
      ? Effect.provideService(exchange, WaitForReady, true)
      : exchange).pipe(Effect.mapError(fail));
    // Our own request stream failed (or a message was too large): the call is cancelled
    // whatever the server answered.
    if (requestError !== undefined) {
      return yield* requestError;
    }

    const contentType = header(response.headers, "content-type");
    if (response.status !== 200 || !isGrpcContentType(contentType)) {
      // Not a gRPC response (a proxy, a plain HTTP server): map the HTTP status.
      return yield* new RpcError({
        code: codeFromHttpStatus(response.status),
        message: response.status !== 200
          ? `Received HTTP status ${response.status}`
          : `Received non-gRPC content-type "${contentType ?? ""}"`,
      });
    }
    if (header(response.headers, "grpc-status") !== undefined) {
      // Trailers-Only: the headers are the trailers.
      const error = readStatus(response.headers);
      if (error !== undefined) {
        return yield* error;
      }
      options.onTrailers?.(Metadata.fromHeaders(response.headers));
      return { response: undefined, receive: identity, fail, end: Effect.void };
    }
    options.onHeaders?.(Metadata.fromHeaders(response.headers));
    const encoding = header(response.headers, "grpc-encoding");
    const receive = encoding === undefined ? identity : registry.get(encoding);
    if (receive === undefined) {
      return yield* new RpcError({
        code: Code.INTERNAL,
        message: `Response uses unsupported compression "${encoding}"`,
      });
    }
    const end = response.trailers.pipe(
      Effect.mapError(fail),
      Effect.flatMap((trailers) => {
        if (requestError !== undefined) {
          return Effect.fail(requestError);
        }
        const error = readStatus(trailers);
        if (error !== undefined) {
          return Effect.fail(error);
        }
        options.onTrailers?.(Metadata.fromHeaders(trailers));
        return Effect.void;
      }),
    );
    return { response, receive, fail, end };
  });
}

/**
 * Calls one method, whatever its kind: sends `requests`, returns the response
 * messages. The exchange lives as long as the returned stream; interrupting
 * the consumer cancels the call.
 *
 * @param transport The transport.
 * @param method The method.
 * @param requests Request messages.
 * @param options Call and client options.
 * @returns The response stream; fails with the call's {@link RpcError}.
 */
export function callStream<I, O>(
  transport: ClientTransport,
  method: MethodDescriptor<I, O>,
  requests: Stream.Stream<I, unknown>,
  options: CallSettings = {},
): Stream.Stream<O, RpcError> {
  return Stream.unwrap(
    Effect.gen(function* () {
      const { now, deadline } = yield* deadlineOf(options);
      const stream = Stream.unwrap(Effect.gen(function* () {
        const started = yield* start(transport, method, requests, options, now, deadline, false);
        if (started.response === undefined) return Stream.empty;
        return decodeMessages(started.response.body, method.output, {
          compression: started.receive,
          maxReceiveBytes: options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_BYTES,
        }).pipe(
          Stream.map((r) => r.value),
          Stream.mapError(started.fail),
          Stream.concat(Stream.fromEffectDrain(started.end)),
        );
      }));
      if (deadline === undefined) return stream;
      // The deadline covers the whole call, including waiting for headers; when it fires
      // the stream is interrupted, which closes the exchange scope and cancels the call.
      return stream.pipe(
        Stream.interruptWhen(
          Effect.sleep(Math.max(0, deadline - now)).pipe(
            Effect.andThen(Effect.fail(deadlineExceeded())),
          ),
        ),
      );
    }),
  );
}

/**
 * Calls a method with a single response (unary or client streaming): the
 * cheap path, reading the whole response with one pass and no stream
 * pipeline. The exchange is closed (and cancelled if unfinished) when the
 * effect ends; interrupting it cancels the call.
 *
 * @param transport The transport.
 * @param method The method.
 * @param requests One request (`{ single }`) or a request stream.
 * @param options Call and client options.
 * @returns The response message.
 */
export function callUnary<I, O>(
  transport: ClientTransport,
  method: MethodDescriptor<I, O>,
  requests: Stream.Stream<I, unknown> | { readonly single: I },
  options: CallSettings = {},
): Effect.Effect<O, RpcError> {
  return Effect.flatMap(deadlineOf(options), ({ now, deadline }) => {
    const call = Effect.scoped(Effect.gen(function* () {
      const started = yield* start(transport, method, requests, options, now, deadline, true);
      if (started.response === undefined) {
        return yield* new RpcError({
          code: Code.UNIMPLEMENTED,
          message: "Response ended with OK but without a message",
        });
      }
      const receive = {
        compression: started.receive,
        maxReceiveBytes: options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_BYTES,
      };
      const response = started.response;
      // The transport's own pull when it has one: no Stream pipeline. Reading stops at a
      // second message, an error whatever the trailers would say.
      const pull = bodyPullOf(response.body) ?? (yield* pullFromStream(response.body));
      const { messages, overflow } = yield* readMessagesUpTo(pull, method.output, receive, 1)
        .pipe(Effect.mapError(started.fail));
      if (!overflow) yield* started.end;
      if (messages.length !== 1) {
        return yield* new RpcError({
          code: messages.length === 0 ? Code.UNIMPLEMENTED : Code.INTERNAL,
          message: messages.length === 0
            ? "Response ended with OK but without a message"
            : "Unary response has more than one message",
        });
      }
      return messages[0].value;
    }));
    if (deadline === undefined) return call;
    return call.pipe(
      Effect.timeoutOrElse({
        duration: Math.max(0, deadline - now),
        orElse: () => Effect.fail(deadlineExceeded()),
      }),
    );
  });
}

/**
 * Runs `run` with the call's deadline made absolute first, so that every attempt of a retried
 * call shares it (grpc A6: the deadline applies to the whole call, not to each attempt).
 */
function withOverallDeadline<A>(
  options: CallSettings,
  run: (options: CallSettings) => A,
): Effect.Effect<A> {
  return Effect.gen(function* () {
    if (options.timeoutMs === undefined) return run(options);
    const deadline = (yield* Clock.currentTimeMillis) + options.timeoutMs;
    const inherited = yield* CurrentDeadline;
    const overall = inherited !== undefined && inherited < deadline ? inherited : deadline;
    return run({ ...options, timeoutMs: undefined, deadlineAt: overall });
  });
}

/** Each retry's delay: exponential, jittered (x0.8..1.2), capped. */
function retryDelays(policy: RetryPolicy): () => number {
  let next = policy.initialBackoffMs ?? 100;
  const max = policy.maxBackoffMs ?? 5_000;
  const multiplier = policy.multiplier ?? 2;
  return () => {
    const delay = Math.min(next, max) * (0.8 + 0.4 * Math.random());
    next = Math.min(next * multiplier, max);
    return delay;
  };
}

/**
 * Retries a server-streaming call that failed with a retryable code before its first
 * response message: nothing has been delivered yet, so the attempt can be replaced cleanly.
 */
function withStreamRetry<A>(
  attempt: (options: CallSettings) => Stream.Stream<A, RpcError>,
  options: CallSettings,
  policy: RetryPolicy | undefined,
): Stream.Stream<A, RpcError> {
  if (policy === undefined || policy.maxAttempts < 2) return attempt(options);
  const codes = policy.codes ?? [Code.UNAVAILABLE];
  return Stream.unwrap(withOverallDeadline(options, (o) => {
    let received = false;
    const delays = retryDelays(policy);
    const run = (n: number): Stream.Stream<A, RpcError> =>
      attempt(o).pipe(
        Stream.map((a) => {
          received = true;
          return a;
        }),
        Stream.catch((e: RpcError) =>
          received || n >= policy.maxAttempts || !codes.includes(e.code)
            ? Stream.fail(e)
            : Stream.unwrap(Effect.as(Effect.sleep(delays()), run(n + 1)))
        ),
      );
    return run(1);
  }));
}

function withRetry<A>(
  call: (options: CallSettings) => Effect.Effect<A, RpcError>,
  options: CallSettings,
  policy: RetryPolicy | undefined,
): Effect.Effect<A, RpcError> {
  if (policy === undefined || policy.maxAttempts < 2) return call(options);
  return Effect.flatten(withOverallDeadline(options, (o) => retried(call(o), policy)));
}

function retried<A>(
  effect: Effect.Effect<A, RpcError>,
  policy: RetryPolicy,
): Effect.Effect<A, RpcError> {
  const codes = policy.codes ?? [Code.UNAVAILABLE];
  const maxDelay = policy.maxBackoffMs ?? 5_000;
  const schedule = Schedule.exponential(policy.initialBackoffMs ?? 100, policy.multiplier ?? 2)
    .pipe(
      Schedule.jittered,
      Schedule.modifyDelay(({ duration }) =>
        Effect.succeed(Math.min(Duration.toMillis(duration), maxDelay))
      ),
    );
  return effect.pipe(
    Effect.retry({
      schedule,
      times: policy.maxAttempts - 1,
      while: (e: RpcError) => codes.includes(e.code),
    }),
  );
}

/**
 * A typed client for a service over a transport.
 *
 * @typeParam S The service spec.
 * @param service The service descriptor.
 * @param transport Where calls go (HTTP/2 from `net/`, or in memory).
 * @param options Limits, compression, defaults and retries.
 * @returns One method per service method.
 */
export function makeClient<S extends ServiceSpec>(
  service: ServiceDescriptor<S>,
  transport: ClientTransport,
  options: ClientOptions = {},
): ServiceClient<S> {
  const client: Record<string, unknown> = {};
  for (const method of Object.values(service.methods) as MethodDescriptor[]) {
    // Built once: a call without options of its own (the common case) shares them.
    const base: CallSettings & { retry?: RetryPolicy | false } = {
      ...options,
      ...options.defaults,
      retry: options.defaults?.retry ?? options.retry,
    };
    const opts = (call?: CallOptions) => {
      if (call === undefined) return base;
      const merged = mergeOptions(options.defaults, call);
      return { ...options, ...merged, retry: merged.retry ?? options.retry };
    };
    switch (method.kind) {
      case "unary":
        client[method.name] = (request: unknown, call?: CallOptions) => {
          const o = opts(call);
          const policy = o.retry === false ? undefined : o.retry;
          return withRetry(
            (a) => callUnary(transport, method, { single: request }, a),
            o,
            policy,
          );
        };
        break;
      case "server_streaming":
        client[method.name] = (request: unknown, call?: CallOptions) => {
          const o = opts(call);
          const policy = o.retry === false ? undefined : o.retry;
          return withStreamRetry(
            (a) => callStream(transport, method, Stream.succeed(request), a),
            o,
            policy,
          );
        };
        break;
      case "client_streaming":
        client[method.name] = (requests: Stream.Stream<unknown, unknown>, call?: CallOptions) =>
          callUnary(transport, method, requests, opts(call));
        break;
      case "bidi_streaming":
        client[method.name] = (requests: Stream.Stream<unknown, unknown>, call?: CallOptions) =>
          callStream(transport, method, requests, opts(call));
        break;
    }
  }
  return client as ServiceClient<S>;
}
