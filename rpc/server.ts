/**
 * The gRPC server: routes exchanges to typed handlers for the four call
 * kinds, with interceptors, deadlines, compression negotiation, size limits
 * and Trailers-Only responses for calls that fail before sending a message.
 *
 * @module
 */

import { Cause, Clock, Deferred, Effect, Exit, Fiber, Queue, type Scope, Stream } from "effect";
import {
  CONTENT_TYPE,
  header,
  isGrpcContentType,
  isGrpcProtoContentType,
  writeStatus,
} from "./_grpc_headers.ts";
import { Code } from "./code.ts";
import {
  decodeSingleMessage,
  encodeMessage,
  pullFromStream,
  pullMessages,
  readSingleMessage,
  type ReceiveOptions,
} from "./codec.ts";
import {
  type Compression,
  type CompressionRegistry,
  defaultCompressions,
  identity,
} from "./compression.ts";
import { CurrentDeadline, parseTimeout } from "./deadline.ts";
import { DEFAULT_MAX_RECEIVE_BYTES } from "./envelope.ts";
import {
  bodyPullOf,
  type Field,
  type Fields,
  type ServedNow,
  type ServerHandler,
  type ServerRequest,
  type ServerResponse,
  withBodyPull,
  withServeNow,
} from "./exchange.ts";
import { Metadata } from "./metadata.ts";
import type { MethodDescriptor, ServiceDescriptor, ServiceSpec } from "./service.ts";
import { RpcError } from "./status.ts";

/**
 * What a handler knows about its call and can set on the response. Response
 * headers can be changed until the first message is sent; trailers until the
 * handler ends.
 */
export interface ServerCallContext {
  /** The method being called. */
  readonly method: MethodDescriptor;
  /** The request's `:authority`. */
  readonly authority: string;
  /** Custom metadata the client sent. */
  readonly requestMetadata: Metadata;
  /** Custom metadata sent as response headers (initial metadata). */
  readonly responseHeaders: Metadata;
  /** Custom metadata sent in the trailers. */
  readonly responseTrailers: Metadata;
  /** Absolute deadline in epoch ms (Effect `Clock`), if the client set one. */
  readonly deadline: number | undefined;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
  /** Whether the most recently received request message was compressed. */
  readonly requestCompressed: boolean;
  /** The encoding used for compressed response messages (identity when none was negotiated). */
  readonly responseCompression: Compression;
  /**
   * Turns compression of the following response messages on or off. When on
   * and no encoding was negotiated yet, the first codec the client accepts is
   * chosen (before the headers are sent).
   */
  setCompression(enabled: boolean): void;
}

/** A unary handler: one request, one response. */
export type UnaryHandler<I, O> = (request: I, ctx: ServerCallContext) => Effect.Effect<O, unknown>;
/** A server-streaming handler: one request, a stream of responses. */
export type ServerStreamingHandler<I, O> = (
  request: I,
  ctx: ServerCallContext,
) => Stream.Stream<O, unknown>;
/** A client-streaming handler: a request stream, one response. */
export type ClientStreamingHandler<I, O> = (
  requests: Stream.Stream<I, RpcError>,
  ctx: ServerCallContext,
) => Effect.Effect<O, unknown>;
/** A bidirectional-streaming handler. */
export type BidiStreamingHandler<I, O> = (
  requests: Stream.Stream<I, RpcError>,
  ctx: ServerCallContext,
) => Stream.Stream<O, unknown>;

/** The handler type for a method spec. */
export type HandlerFor<M> = M extends { kind: "unary"; input: infer I; output: infer O }
  ? UnaryHandler<I, O>
  : M extends { kind: "server_streaming"; input: infer I; output: infer O }
    ? ServerStreamingHandler<I, O>
  : M extends { kind: "client_streaming"; input: infer I; output: infer O }
    ? ClientStreamingHandler<I, O>
  : M extends { kind: "bidi_streaming"; input: infer I; output: infer O }
    ? BidiStreamingHandler<I, O>
  : never;

/**
 * Handlers for a service, by method name. Methods left out answer
 * UNIMPLEMENTED.
 */
export type ServiceHandlers<S extends ServiceSpec> = { readonly [K in keyof S]?: HandlerFor<S[K]> };

/** A service bound to its handlers, ready for {@link makeServer}. */
export interface ServiceImplementation {
  /** The service. */
  readonly service: ServiceDescriptor;
  /** Its handlers by method name. */
  // deno-lint-ignore no-explicit-any
  readonly handlers: { readonly [method: string]: ((...args: any[]) => unknown) | undefined };
}

/**
 * Binds typed handlers to a service.
 *
 * @typeParam S The service spec.
 * @param service The service descriptor.
 * @param handlers Handlers by method name.
 * @returns The implementation.
 */
export function implement<S extends ServiceSpec>(
  service: ServiceDescriptor<S>,
  handlers: ServiceHandlers<S>,
): ServiceImplementation {
  return {
    service: service as unknown as ServiceDescriptor,
    handlers: handlers as ServiceImplementation["handlers"],
  };
}

/**
 * Middleware around every call: `next` runs the handler to completion
 * (including streaming all responses). Fail to reject the call (e.g. auth
 * from `ctx.requestMetadata`), time it for metrics, log it. Interceptors run in
 * order: the first is outermost.
 */
export type ServerInterceptor = (
  ctx: ServerCallContext,
  next: Effect.Effect<void, RpcError>,
) => Effect.Effect<void, RpcError>;

/** Options of {@link makeServer}. */
export interface ServerOptions {
  /** Interceptors, outermost first. */
  readonly interceptors?: readonly ServerInterceptor[];
  /** Supported encodings (default gzip, deflate). Register `br` here. */
  readonly compressions?: CompressionRegistry;
  /**
   * Encodings to compress responses with, most preferred first, used when
   * the client accepts one (e.g. `["br", "gzip"]`). Default none.
   */
  readonly sendCompression?: readonly string[];
  /** Messages smaller than this are not compressed. Default 0. */
  readonly compressMinBytes?: number;
  /** Largest request message accepted. Default 4 MiB. */
  readonly maxReceiveMessageBytes?: number;
  /** Largest response message sent. Default unlimited (2^31 - 1). */
  readonly maxSendMessageBytes?: number;
  /**
   * Reject requests without `te: trailers` (grpc doc/PROTOCOL-HTTP2.md
   * requires it to detect proxies that drop trailers). Default true.
   */
  readonly requireTeTrailers?: boolean;
  /**
   * Response messages buffered per call before the handler waits. Default 16. (A
   * server-streaming or bidi call with no interceptor buffers none: the transport pulls the
   * handler's stream directly, as the peer's window allows.)
   */
  readonly highWaterMark?: number;
}

const MAX_INT32 = 0x7fffffff;
/** Read-only stand-in for trailing metadata no handler set (never written to). */
const NO_METADATA = new Metadata();

/**
 * The {@link ServerCallContext} of one call, and the call's response state. A class (prototype
 * getters) rather than an object literal with getters: a literal with accessors gets fresh
 * accessor closures, and so its own hidden class, on every call.
 */
class CallContext implements ServerCallContext {
  readonly method: MethodDescriptor;
  readonly authority: string;
  readonly deadline: number | undefined;
  /** Whether response messages are compressed (with {@link responseCompression}). */
  compressOn: boolean;
  /** Whether the response headers went out (or are about to, with the first message). */
  headersSent = false;
  /** Response header metadata, once a handler asked for it. */
  responseHeaderMd: Metadata | undefined;
  /** Trailer metadata, once a handler asked for it. */
  responseTrailerMd: Metadata | undefined;
  readonly #request: ServerRequest;
  readonly #registry: CompressionRegistry;
  #requestMetadata: Metadata | undefined;
  #requestCompressed = false;
  #responseCompression: Compression;

  constructor(
    method: MethodDescriptor,
    request: ServerRequest,
    deadline: number | undefined,
    registry: CompressionRegistry,
    requestCompression: Compression,
    sendPrefs: readonly string[],
  ) {
    this.method = method;
    this.authority = request.authority;
    this.deadline = deadline;
    this.#request = request;
    this.#registry = registry;
    // Prefer answering in the client's own encoding when it compressed its request. (The
    // client's `grpc-accept-encoding` is read only when there is something to negotiate.)
    this.#responseCompression = requestCompression.name !== "identity"
      ? requestCompression
      : sendPrefs.length === 0
      ? requestCompression
      : registry.negotiate(sendPrefs, this.#peerAccept());
    this.compressOn = sendPrefs.length > 0 && this.#responseCompression.name !== "identity";
  }

  get requestMetadata(): Metadata {
    // Built on first use: most calls never touch metadata.
    return this.#requestMetadata ??= Metadata.fromHeaders(this.#request.headers);
  }

  get responseHeaders(): Metadata {
    return this.responseHeaderMd ??= new Metadata();
  }

  get responseTrailers(): Metadata {
    return this.responseTrailerMd ??= new Metadata();
  }

  get signal(): AbortSignal {
    return this.#request.signal;
  }

  get requestCompressed(): boolean {
    return this.#requestCompressed;
  }

  get responseCompression(): Compression {
    return this.#responseCompression;
  }

  /** Records whether the latest request message was compressed. */
  noteRequestCompressed(compressed: boolean): void {
    this.#requestCompressed = compressed;
  }

  setCompression(enabled: boolean): void {
    this.compressOn = enabled;
    if (enabled && this.#responseCompression.name === "identity" && !this.headersSent) {
      const prefs = this.#registry.codecs.map((c) => c.name);
      this.#responseCompression = this.#registry.negotiate(prefs, this.#peerAccept());
    }
  }

  /** The encodings the client accepts for responses (`grpc-accept-encoding`). */
  #peerAccept(): string | undefined {
    return header(this.#request.headers, "grpc-accept-encoding");
  }
}

/** The status of a handler defect: INTERNAL, the defect kept as the cause (never sent). */
function internalError(cause: unknown): RpcError {
  return new RpcError({ code: Code.INTERNAL, message: "Internal server error", cause });
}

function trailersOnly(error: RpcError, extra: Field[] = []): ServerResponse {
  const headers: Field[] = [{ name: "content-type", value: CONTENT_TYPE }, ...extra];
  writeStatus(headers, error.code, error.message, error, error.metadata);
  return { status: 200, headers };
}

/** The status of a failed call: its first failure as an RpcError, or INTERNAL for a defect. */
function errorOf(cause: Cause.Cause<unknown>): RpcError {
  const failure = cause.reasons.find(Cause.isFailReason);
  return failure !== undefined ? RpcError.from(failure.error) : internalError(Cause.squash(cause));
}

/** The trailers of a call that ended OK with no trailing metadata, shared by all such calls. */
const OK_TRAILERS: Fields = Object.freeze([Object.freeze({ name: "grpc-status", value: "0" })]);

/** The status trailers of `ctx`'s call for `error` (OK when undefined), with its trailing metadata. */
function errorFields(ctx: CallContext, error: RpcError | undefined): Fields {
  const trailerMd = ctx.responseTrailerMd;
  if (error === undefined && (trailerMd === undefined || trailerMd.size === 0)) return OK_TRAILERS;
  const fields: Field[] = [];
  const md = trailerMd ?? NO_METADATA;
  writeStatus(
    fields,
    error?.code ?? Code.OK,
    error?.message ?? "",
    error,
    error === undefined ? md : md.merge(error.metadata),
  );
  return fields;
}

/** `effect` failing with DEADLINE_EXCEEDED unless it ends within `remainingMs`. */
function withDeadline<A, E, R>(
  effect: Effect.Effect<A, E, R>,
  remainingMs: number,
): Effect.Effect<A, E | RpcError, R> {
  return Effect.timeoutOrElse(effect, {
    duration: Math.max(0, remainingMs),
    orElse: () =>
      Effect.fail(new RpcError({ code: Code.DEADLINE_EXCEEDED, message: "Deadline exceeded" })),
  });
}

/** A call's outcome as an Effect: a finished response becomes `Effect.succeed`. */
function effectOf(served: ServedNow): Effect.Effect<ServerResponse, never, Scope.Scope> {
  return Effect.isEffect(served) ? served : Effect.succeed(served);
}

/**
 * Builds the server side of gRPC over a {@link ServerHandler}: give the
 * result to an HTTP/2 server from `net/`, or to `makeInMemoryTransport`.
 * Unknown services or methods answer UNIMPLEMENTED; non-POST requests 405;
 * non-gRPC content types 415 (grpc doc/PROTOCOL-HTTP2.md); a handler defect
 * answers INTERNAL for that call only.
 *
 * @param services The service implementations.
 * @param options Limits, compression and interceptors.
 * @returns The exchange handler.
 */
export function makeServer(
  services: readonly ServiceImplementation[],
  options: ServerOptions = {},
): ServerHandler {
  const routes = new Map<string, { method: MethodDescriptor; handler: unknown }>();
  for (const impl of services) {
    for (const method of Object.values(impl.service.methods) as MethodDescriptor[]) {
      const handler = impl.handlers[method.name];
      if (handler !== undefined) routes.set(method.path, { method, handler });
    }
  }
  const registry = options.compressions ?? defaultCompressions;
  const sendPrefs = options.sendCompression ?? [];
  const maxReceive = options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_BYTES;
  const maxSend = options.maxSendMessageBytes ?? MAX_INT32;
  const requireTe = options.requireTeTrailers ?? true;
  const hwm = Math.max(1, options.highWaterMark ?? 16);
  const interceptors = options.interceptors ?? [];
  const acceptHeader: Field = { name: "grpc-accept-encoding", value: registry.acceptEncoding };
  // What every uncompressed request is read with (most calls): shared, not made per call.
  const identityReceive: ReceiveOptions = { compression: identity, maxReceiveBytes: maxReceive };

  /** Checks the request's framing headers; an early answer, or what the call needs. */
  const admit = (
    request: ServerRequest,
  ): ServerResponse | {
    route: { method: MethodDescriptor; handler: unknown };
    requestCompression: Compression;
    timeout: number | undefined;
  } => {
    if (request.method !== "POST") {
      return { status: 405, headers: [{ name: "allow", value: "POST" }] };
    }
    const contentType = header(request.headers, "content-type");
    if (!isGrpcContentType(contentType)) {
      return { status: 415, headers: [{ name: "accept", value: CONTENT_TYPE }] };
    }
    if (!isGrpcProtoContentType(contentType)) {
      return trailersOnly(
        new RpcError({
          code: Code.INTERNAL,
          message: `Content-type "${contentType}" is not supported: only protobuf is`,
        }),
      );
    }
    if (requireTe && header(request.headers, "te") !== "trailers") {
      return trailersOnly(
        new RpcError({ code: Code.INTERNAL, message: 'Request lacks "te: trailers"' }),
      );
    }
    const route = routes.get(request.path);
    if (route === undefined) {
      return trailersOnly(
        new RpcError({
          code: Code.UNIMPLEMENTED,
          message: `Method "${request.path}" is not implemented`,
        }),
      );
    }
    let requestCompression: Compression;
    try {
      requestCompression = registry.resolve(header(request.headers, "grpc-encoding"));
    } catch (e) {
      return trailersOnly(RpcError.from(e), [acceptHeader]);
    }
    const timeoutHeader = header(request.headers, "grpc-timeout");
    const timeout = timeoutHeader === undefined ? undefined : parseTimeout(timeoutHeader);
    if (timeoutHeader !== undefined && timeout === undefined) {
      return trailersOnly(
        new RpcError({
          code: Code.INTERNAL,
          message: `Malformed grpc-timeout "${timeoutHeader}"`,
        }),
      );
    }
    if (timeout === 0) {
      // Already expired on arrival: do not run the handler at all.
      return trailersOnly(
        new RpcError({ code: Code.DEADLINE_EXCEEDED, message: "Deadline exceeded" }),
      );
    }
    return { route, requestCompression, timeout };
  };

  // Answers without a body or metadata share these lists (the HPACK encoder indexes them once).
  const okHeaders: Fields = Object.freeze([
    Object.freeze({ name: "content-type", value: CONTENT_TYPE }),
    Object.freeze(acceptHeader),
  ]);

  /** The response headers of a call that sends messages. */
  const responseHeaders = (ctx: CallContext): Fields => {
    const compressed = ctx.responseCompression.name !== "identity";
    if (!compressed && ctx.responseHeaderMd === undefined) return okHeaders;
    const headers: Field[] = [{ name: "content-type", value: CONTENT_TYPE }];
    if (compressed) headers.push({ name: "grpc-encoding", value: ctx.responseCompression.name });
    headers.push(acceptHeader);
    ctx.responseHeaderMd?.writeTo(headers);
    return headers;
  };

  /** The Trailers-Only answer of a call that ends before its first message. */
  const trailersOnlyResponse = (ctx: CallContext, fields: Fields): ServerResponse => {
    const headers: Field[] = [{ name: "content-type", value: CONTENT_TYPE }, acceptHeader];
    ctx.responseHeaderMd?.writeTo(headers);
    for (const f of fields) headers.push(f);
    return { status: 200, headers };
  };

  /** Serializes, compresses and frames one response message of `ctx`'s call. */
  const encodeFor = (ctx: CallContext, value: unknown): Uint8Array =>
    encodeMessage(value, ctx.method.output, {
      compression: ctx.responseCompression,
      compress: ctx.compressOn,
      maxSendBytes: maxSend,
      compressMinBytes: options.compressMinBytes,
    });

  /** The answer of a unary call whose handler succeeded with `value`. */
  const unarySuccess = (ctx: CallContext, value: unknown): ServerResponse => {
    let body: Uint8Array;
    try {
      body = encodeFor(ctx, value);
    } catch (e) {
      return trailersOnlyResponse(ctx, errorFields(ctx, RpcError.from(e, Code.INTERNAL)));
    }
    ctx.headersSent = true;
    return {
      status: 200,
      headers: responseHeaders(ctx),
      body,
      trailers: errorFields(ctx, undefined),
    };
  };

  /** The answer of a unary call whose handler failed. */
  const unaryFailure = (ctx: CallContext, cause: Cause.Cause<unknown>): ServerResponse =>
    trailersOnlyResponse(ctx, errorFields(ctx, errorOf(cause)));

  /**
   * A unary call whose request body is in hand and that no interceptor wraps: decoded and
   * handled synchronously. A handler that answers with an `Exit` (`Effect.succeed`,
   * `Effect.fail`) is done at once: no Effect is run, and no deadline needs watching. Any
   * other handler Effect is run under the deadline, as the general path does.
   */
  const answerWhole = (
    ctx: CallContext,
    handler: (a: unknown, c: ServerCallContext) => unknown,
    whole: Uint8Array,
    receive: ReceiveOptions,
    now: number,
  ): ServedNow => {
    let call: Effect.Effect<unknown, unknown>;
    try {
      const r = decodeSingleMessage(whole, ctx.method.input, receive);
      ctx.noteRequestCompressed(r.compressed);
      try {
        call = handler(r.value, ctx) as Effect.Effect<unknown, unknown>;
      } catch (e) {
        return trailersOnlyResponse(ctx, errorFields(ctx, internalError(e)));
      }
    } catch (e) {
      return trailersOnlyResponse(ctx, errorFields(ctx, RpcError.from(e, Code.INTERNAL)));
    }
    if (Exit.isExit(call)) {
      return Exit.isSuccess(call) ? unarySuccess(ctx, call.value) : unaryFailure(ctx, call.cause);
    }
    const deadline = ctx.deadline;
    if (deadline !== undefined) call = withDeadline(call, deadline - now);
    // The handler sees this call's deadline (none, here, unless set), not one the running fiber
    // may carry from elsewhere (an in-memory client's).
    const fiber = Fiber.getCurrent();
    if (
      deadline !== undefined || fiber === undefined || fiber.getRef(CurrentDeadline) !== undefined
    ) {
      call = Effect.provideService(call, CurrentDeadline, deadline);
    }
    return Effect.matchCause(call, {
      onFailure: (cause) => unaryFailure(ctx, cause),
      onSuccess: (value) => unarySuccess(ctx, value),
    });
  };

  /** Runs one call as far as it can synchronously (see `withServeNow`). */
  const serveNow = (request: ServerRequest): ServedNow => {
    const admitted = admit(request);
    if ("status" in admitted) return admitted;
    const timeout = admitted.timeout;
    if (timeout === undefined) return serveCall(request, admitted, undefined, 0);
    // Only calls with a deadline read the clock: the running fiber's (a TestClock in tests).
    const fiber = Fiber.getCurrent();
    if (fiber !== undefined) {
      const now = fiber.getRef(Clock.Clock).currentTimeMillisUnsafe();
      return serveCall(request, admitted, now + timeout, now);
    }
    return Effect.flatMap(
      Clock.currentTimeMillis,
      (now) => effectOf(serveCall(request, admitted, now + timeout, now)),
    );
  };

  // The per-call work is plain synchronous code around a short Effect chain: no generator, no
  // fiber and no Stream for unary calls (the hot path), and no Effect at all for a unary call
  // whose body is in hand and whose handler answers with an Exit; Effect is used for what needs
  // it: a suspending handler, interceptors, the deadline and, for streaming responses with
  // interceptors, the handler fiber (a streaming call with a deadline keeps the direct path: a
  // timer fiber, and a child fiber per handler pull that the timer can interrupt).
  return withServeNow(
    (request: ServerRequest) => Effect.suspend(() => effectOf(serveNow(request))),
    serveNow,
  );

  function serveCall(
    request: ServerRequest,
    admitted: {
      route: { method: MethodDescriptor; handler: unknown };
      requestCompression: Compression;
    },
    deadline: number | undefined,
    now: number,
  ): ServedNow {
    const { route, requestCompression } = admitted;
    const method = route.method;
    const ctx = new CallContext(
      method,
      request,
      deadline,
      registry,
      requestCompression,
      sendPrefs,
    );
    const handler = route.handler as (a: unknown, c: ServerCallContext) => unknown;
    const receive: ReceiveOptions = requestCompression.name === "identity"
      ? identityReceive
      : { compression: requestCompression, maxReceiveBytes: maxReceive };
    // A unary body that arrived whole is read without a Stream or a pull.
    const whole = method.kind === "unary" ? request.bodyIfComplete?.() : undefined;
    if (whole !== undefined && interceptors.length === 0) {
      return answerWhole(ctx, handler, whole, receive, now);
    }

    const encode = (value: unknown): Uint8Array => encodeFor(ctx, value);

    // The request messages of client-streaming and bidi calls: straight from the transport's
    // registered pull when there is one (one Effect per batch), else through a Stream pipeline.
    const requests = (): Stream.Stream<unknown, RpcError> => {
      const messagesOf = <E>(
        pull: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, E>,
      ): Stream.Stream<unknown, RpcError> =>
        Stream.fromPull(Effect.succeed(Effect.map(
          pullMessages(pull, method.input, receive),
          (batch) => {
            // Every message of a batch has the same flag (see `pullMessages`), so the handler
            // reading this batch sees each message's own in `ctx.requestCompressed`.
            ctx.noteRequestCompressed(batch[0].compressed);
            return batch.map((r) => r.value) as [unknown, ...unknown[]];
          },
        )));
      const fastPull = bodyPullOf(request.body);
      if (fastPull !== undefined) return messagesOf(fastPull);
      // No registered pull (another transport, a wrapped body): pulled the same way rather than
      // mapped as a Stream, whose chunk-wise map would note only the last flag of each chunk.
      return Stream.unwrap(Effect.map(pullFromStream(request.body), messagesOf));
    };

    // The single request message of unary and server-streaming calls, read without a Stream
    // pipeline when the transport registered a pull for the body (`withBodyPull`).
    // Built only when used: `request.body` may be made on first access (the h2 transport).
    const single = (): Effect.Effect<unknown, RpcError, Scope.Scope> => {
      const fastPull = bodyPullOf(request.body);
      return Effect.map(
        fastPull !== undefined
          ? readSingleMessage(fastPull, method.input, receive)
          : Effect.flatMap(
            pullFromStream(request.body),
            (pull) => readSingleMessage(pull, method.input, receive),
          ),
        (r) => {
          ctx.noteRequestCompressed(r.compressed);
          return r.value;
        },
      );
    };
    // A request whose body the transport already holds in full: decoded synchronously, with
    // the same checks and errors as `single`.
    const decodeWhole = (bytes: Uint8Array): Effect.Effect<unknown, RpcError> => {
      try {
        const r = decodeSingleMessage(bytes, method.input, receive);
        ctx.noteRequestCompressed(r.compressed);
        return Effect.succeed(r.value);
      } catch (e) {
        return Effect.fail(RpcError.from(e, Code.INTERNAL));
      }
    };

    // The call inside its interceptors, under its deadline, seeing that deadline (and not one
    // the running fiber may carry from elsewhere) as CurrentDeadline.
    const wrapped = <R>(
      body: Effect.Effect<void, RpcError, R>,
    ): Effect.Effect<void, RpcError, R> => {
      let call = body;
      for (let i = interceptors.length - 1; i >= 0; i--) {
        call = interceptors[i](ctx, call as Effect.Effect<void, RpcError>) as typeof call;
      }
      if (deadline !== undefined) call = withDeadline(call, deadline - now);
      const fiber = Fiber.getCurrent();
      return deadline !== undefined || fiber === undefined ||
          fiber.getRef(CurrentDeadline) !== undefined
        ? Effect.provideService(call, CurrentDeadline, deadline)
        : call;
    };
    const wrap = <R>(body: Effect.Effect<void, RpcError, R>) => Effect.exit(wrapped(body));
    const statusFields = (exit: Exit.Exit<void, RpcError>): Fields =>
      errorFields(ctx, Exit.isSuccess(exit) ? undefined : errorOf(exit.cause));
    const asRpc = (e: unknown) => RpcError.from(e);

    if (method.kind === "unary" || method.kind === "client_streaming") {
      // One response message: run the call inline, no fiber and no queue, and answer with the
      // whole body and final trailers so the transport writes them in one go.
      let response: Uint8Array | undefined;
      const respond = (value: unknown): Effect.Effect<void, RpcError> => {
        try {
          response = encode(value);
          return Effect.void;
        } catch (e) {
          return Effect.fail(RpcError.from(e, Code.INTERNAL));
        }
      };
      const handle = (req: unknown): Effect.Effect<void, RpcError> => {
        const result = handler(req, ctx) as Effect.Effect<unknown, unknown>;
        return Exit.isExit(result) && Exit.isSuccess(result)
          ? respond(result.value)
          : Effect.flatMap(Effect.mapError(result, asRpc), respond);
      };
      // Interceptors run before the request is read (they may reject the call first). A body
      // in hand is decoded and handled in one step.
      const call: Effect.Effect<void, RpcError, Scope.Scope> = method.kind === "client_streaming"
        ? Effect.flatMap(Effect.sync(requests), handle)
        : whole === undefined
        ? Effect.flatMap(Effect.suspend(single), handle)
        : Effect.suspend(() => {
          let req: unknown;
          try {
            const r = decodeSingleMessage(whole, method.input, receive);
            ctx.noteRequestCompressed(r.compressed);
            req = r.value;
          } catch (e) {
            return Effect.fail(RpcError.from(e, Code.INTERNAL));
          }
          return handle(req);
        });
      return Effect.matchCause(wrapped(call), {
        onFailure: (cause) => trailersOnlyResponse(ctx, errorFields(ctx, errorOf(cause))),
        onSuccess: (): ServerResponse => {
          const fields = errorFields(ctx, undefined);
          if (response === undefined) return trailersOnlyResponse(ctx, fields);
          ctx.headersSent = true;
          return { status: 200, headers: responseHeaders(ctx), body: response, trailers: fields };
        },
      });
    }

    if (interceptors.length === 0) {
      // Nothing wraps the handler: the transport's body pump pulls the handler's stream itself,
      // one encoded batch per pull, with no queue in between (a bidi handler reads its requests
      // as it is pulled). Same answers as the general path below. Without a deadline of its own
      // the call takes this path only when none is inherited either (the handler must see none).
      if (deadline !== undefined) return streamDirect(deadline - now);
      const fiber = Fiber.getCurrent();
      if (fiber !== undefined && fiber.getRef(CurrentDeadline) === undefined) {
        return streamDirect(undefined);
      }
    }

    /**
     * The direct streaming answer. With a deadline (`remainingMs`), one timer fiber per call
     * watches it, and every handler pull runs in a child fiber the timer can interrupt: the
     * handler's stream is interrupted (its finalizers run with the call's scope) and the call
     * ends with DEADLINE_EXCEEDED after the messages sent so far, as on the general path.
     */
    function streamDirect(
      remainingMs: number | undefined,
    ): Effect.Effect<ServerResponse, never, Scope.Scope> {
      // Deadline state: whether it passed, the handler pull it must interrupt, and its timer.
      let expired = false;
      let inFlight: Fiber.Fiber<unknown, unknown> | undefined;
      let timer: Fiber.Fiber<void> | undefined;
      const deadlineExceeded = () =>
        new RpcError({ code: Code.DEADLINE_EXCEEDED, message: "Deadline exceeded" });
      const stopTimer = (): void => {
        const t = timer;
        timer = undefined;
        t?.interruptUnsafe();
      };
      /** `effect` under the call's deadline, seeing it as CurrentDeadline. */
      const watched = <A, E, R>(
        effect: Effect.Effect<A, E, R>,
      ): Effect.Effect<A, E | RpcError, R> => {
        if (remainingMs === undefined) return effect;
        const underDeadline = Effect.provideService(effect, CurrentDeadline, deadline);
        return Effect.suspend(() => {
          if (expired) return Effect.fail(deadlineExceeded());
          return Effect.flatMap(
            Effect.forkChild(underDeadline, { startImmediately: true }),
            (child) => {
              // Most pulls finish at once: no waiting, nothing for the timer to interrupt.
              const done = child.pollUnsafe();
              if (done !== undefined) return done;
              inFlight = child;
              return Effect.flatMap(Fiber.await(child), (exit): Effect.Effect<A, E | RpcError> => {
                inFlight = undefined;
                return expired && Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)
                  ? Effect.fail(deadlineExceeded())
                  : exit;
              });
            },
          );
        });
      };
      // The call's one timer: a fiber in the call's scope sleeping on Effect's Clock (as the
      // unary path's timeout does), stopped when the call ends or its scope closes.
      const expire = (): void => {
        timer = undefined;
        if (ended) return;
        expired = true;
        inFlight?.interruptUnsafe();
      };
      const startTimer = (ms: number) =>
        Effect.map(
          Effect.forkScoped(Effect.andThen(Effect.sleep(Math.max(0, ms)), Effect.sync(expire)), {
            startImmediately: true,
          }),
          (fiber) => {
            if (timer === undefined && !expired) timer = fiber;
          },
        );

      let input: Effect.Effect<unknown, RpcError, Scope.Scope>;
      if (method.kind === "bidi_streaming") input = Effect.sync(requests);
      else {
        const whole = request.bodyIfComplete?.();
        input = whole !== undefined ? decodeWhole(whole) : watched(single());
      }
      // Set when the stream failed (or a message could not be encoded) after the headers.
      let failed: RpcError | undefined;
      let ended = false;
      // Encodes a batch; on a failure keeps what came before it and ends the response.
      const encodeBatch = (values: ReadonlyArray<unknown>): Uint8Array[] => {
        const out: Uint8Array[] = [];
        for (let i = 0; i < values.length; i++) {
          try {
            out.push(encode(values[i]));
          } catch (e) {
            failed = RpcError.from(e, Code.INTERNAL);
            ended = true;
            break;
          }
        }
        return out;
      };
      const trailersOnlyFor = (error: RpcError | undefined): ServerResponse => {
        stopTimer();
        return trailersOnlyResponse(ctx, errorFields(ctx, error));
      };
      const answer = Effect.matchCauseEffect(input, {
        onFailure: (cause) => Effect.succeed(trailersOnlyFor(errorOf(cause))),
        onSuccess: (req) => {
          let stream: Stream.Stream<unknown, unknown>;
          try {
            stream = handler(req, ctx) as Stream.Stream<unknown, unknown>;
          } catch (e) {
            return Effect.succeed(trailersOnlyFor(internalError(e)));
          }
          // Built with the deadline in view too (no waiting here: the stream runs when pulled).
          const toPull = remainingMs === undefined
            ? Stream.toPull(stream)
            : Effect.provideService(Stream.toPull(stream), CurrentDeadline, deadline);
          return Effect.flatMap(toPull, (handlerPull) => {
            const pull = watched(handlerPull);
            // The next encoded batch, `undefined` once the stream ended; a failure of the stream
            // ends the body and goes into the trailers. Interruption (the client went away) is
            // not a status: it propagates.
            const next: Effect.Effect<Uint8Array[] | undefined> = Effect.matchCauseEffect(pull, {
              onFailure: (cause): Effect.Effect<undefined> => {
                ended = true;
                const failure = cause.reasons.find(Cause.isFailReason);
                if (failure !== undefined && Cause.isDone(failure.error)) {
                  return Effect.succeed(undefined);
                }
                if (Cause.hasInterruptsOnly(cause)) {
                  return Effect.failCause(cause as Cause.Cause<never>);
                }
                failed = errorOf(cause);
                return Effect.succeed(undefined);
              },
              onSuccess: (values) => {
                const encoded = encodeBatch(values);
                return Effect.succeed(encoded.length > 0 ? encoded : undefined);
              },
            });
            return Effect.map(next, (first): ServerResponse => {
              // Ended before its first message: Trailers-Only.
              if (first === undefined) return trailersOnlyFor(failed);
              ctx.headersSent = true;
              let pending: Uint8Array[] | undefined = first;
              // The body as a pull (registered on the body stream, so the transport can send
              // it batch by batch without a Stream), and the same as a Stream for any other.
              const bodyPull: Effect.Effect<readonly Uint8Array[] | undefined> = Effect.suspend(
                () => {
                  const batch = pending;
                  pending = undefined;
                  if (batch !== undefined) return Effect.succeed(batch);
                  return ended ? Effect.succeed(undefined) : next;
                },
              );
              const body = withBodyPull(
                Stream.fromPull(Effect.succeed(Effect.flatMap(
                  bodyPull,
                  (batch) =>
                    batch === undefined
                      ? Cause.done()
                      : Effect.succeed(batch as readonly [Uint8Array, ...Uint8Array[]]),
                ))),
                bodyPull,
              );
              return {
                status: 200,
                headers: responseHeaders(ctx),
                body,
                trailers: Effect.sync(() => {
                  stopTimer();
                  return errorFields(ctx, failed);
                }),
              };
            });
          });
        },
      });
      return remainingMs === undefined ? answer : Effect.andThen(startTimer(remainingMs), answer);
    }

    // Streaming responses: the handler runs in its own fiber and hands messages over a
    // bounded queue, so a slow reader slows the handler down (backpressure).
    return Effect.gen(function* () {
      const out = yield* Queue.bounded<Uint8Array, Cause.Done>(hwm);
      const ready = yield* Deferred.make<void>();
      const trailers = yield* Deferred.make<Fields>();
      const send = (value: unknown): Effect.Effect<void, RpcError> =>
        Effect.suspend(() => {
          let bytes: Uint8Array;
          try {
            bytes = encode(value);
          } catch (e) {
            return Effect.fail(RpcError.from(e, Code.INTERNAL));
          }
          if (!ctx.headersSent) {
            ctx.headersSent = true;
            return Deferred.succeed(ready, undefined).pipe(Effect.andThen(Queue.offer(out, bytes)));
          }
          return Queue.offer(out, bytes);
        });
      const responses = method.kind === "server_streaming"
        ? single().pipe(
          Effect.map((req) => handler(req, ctx) as Stream.Stream<unknown, unknown>),
        )
        : Effect.sync(() => handler(requests(), ctx) as Stream.Stream<unknown, unknown>);
      const run = wrap(
        responses.pipe(
          Effect.flatMap((stream) => Stream.runForEach(Stream.mapError(stream, asRpc), send)),
        ),
      ).pipe(
        Effect.flatMap((exit) =>
          Deferred.succeed(trailers, statusFields(exit)).pipe(
            Effect.andThen(Queue.end(out)),
            Effect.andThen(Deferred.succeed(ready, undefined)),
          )
        ),
      );
      yield* Effect.forkScoped(run);
      yield* Deferred.await(ready);

      if (!ctx.headersSent) {
        // The call ended before its first message: answer Trailers-Only.
        return trailersOnlyResponse(ctx, yield* Deferred.await(trailers));
      }
      return {
        status: 200,
        headers: responseHeaders(ctx),
        body: Stream.fromQueue(out),
        trailers: Deferred.await(trailers),
      };
    });
  }
}
