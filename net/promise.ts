/**
 * A Promise facade over the Effect client and server for code that does not
 * use Effect: `serveH2(handler)` with an async handler, `H2FetchClient` for
 * multiplexed requests, and a one-shot `fetchH2`. Bodies are web
 * `ReadableStream`s; backpressure and cancellation carry through (cancelling
 * a response body resets the stream with CANCEL; a client reset aborts the
 * handler's `signal`).
 *
 * @module
 */

import { Effect, Exit, Scope, Stream } from "effect";
import type { HeaderField } from "../core/mod.ts";
import { type ClientOptions, type ClientResponse, connect, type H2Client } from "./client.ts";
import type { NetError } from "./errors.ts";
import { getHeader, type HeadersInput } from "./headers.ts";
import { type H2Server, serve, type ServerRequest, type ServerResponse } from "./server.ts";
import type { TlsServerOptions } from "./transport.ts";

/** A body the Promise API accepts. */
export type PromiseBody =
  | Uint8Array
  | string
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>;

/** The request an async handler receives. */
export interface PromiseRequest {
  /** `:method`. */
  readonly method: string;
  /** `:scheme`. */
  readonly scheme: string;
  /** `:authority`. */
  readonly authority: string;
  /** `:path`. */
  readonly path: string;
  /** Regular header fields. */
  readonly headers: ReadonlyArray<HeaderField>;
  /** First value of a field by lowercase name. */
  header(name: string): string | undefined;
  /** The body (read it at most once). */
  readonly body: ReadableStream<Uint8Array>;
  /** The whole body. */
  bytes(): Promise<Uint8Array>;
  /** The whole body as UTF-8. */
  text(): Promise<string>;
  /** Trailers, once the body was read. */
  trailers(): Promise<ReadonlyArray<HeaderField>>;
  /** Aborted when the client resets the stream or the connection drops. */
  readonly signal: AbortSignal;
  /** Server push; resolves `false` when the client disabled push. */
  push(path: string, response: PromiseResponse): Promise<boolean>;
}

/** What an async handler returns. */
export interface PromiseResponse {
  /** Default 200. */
  readonly status?: number;
  /** Header fields. */
  readonly headers?: HeadersInput;
  /** Body. */
  readonly body?: PromiseBody;
  /** Trailers, or a function called after the body is sent. */
  readonly trailers?: HeadersInput | (() => HeadersInput | Promise<HeadersInput>);
}

/** Options of {@link serveH2}. */
export interface ServeH2Options {
  /** Interface; default 127.0.0.1. */
  readonly hostname?: string;
  /** Port; default 0 (any). */
  readonly port?: number;
  /** TLS (ALPN h2); h2c without. */
  readonly tls?: TlsServerOptions;
  /** Drain timeout for `close()`; default 10,000 ms. */
  readonly drainTimeoutMs?: number;
}

/** A server started by {@link serveH2}. */
export interface ServeH2Handle extends H2Server {
  /** Graceful shutdown: GOAWAY, drain, close. */
  close(): Promise<void>;
}

/**
 * Serves HTTP/2 with an async handler. A thrown error or rejected promise becomes a 500.
 *
 * @param handler Answers each request.
 * @param options Address and TLS.
 * @returns The running server with `close()`.
 */
export async function serveH2(
  handler: (request: PromiseRequest) => PromiseResponse | Promise<PromiseResponse>,
  options: ServeH2Options = {},
): Promise<ServeH2Handle> {
  const scope = await Effect.runPromise(Scope.make());
  const server = await Effect.runPromise(
    serve({
      ...options,
      handler: (req) =>
        Effect.tryPromise({
          try: async (signal) =>
            toServerResponse(await handler(new PromiseRequestImpl(req, signal))),
          catch: (error) => error,
        }),
    }).pipe(Scope.provide(scope)),
  );
  let closing: Promise<void> | undefined;
  return Object.assign(Object.create(server) as H2Server, {
    close: () => closing ??= Effect.runPromise(Scope.close(scope, Exit.void)),
  }) as ServeH2Handle;
}

class PromiseRequestImpl implements PromiseRequest {
  readonly #req: ServerRequest;
  readonly signal: AbortSignal;

  constructor(req: ServerRequest, signal: AbortSignal) {
    this.#req = req;
    this.signal = signal;
  }
  get method() {
    return this.#req.method;
  }
  get scheme() {
    return this.#req.scheme;
  }
  get authority() {
    return this.#req.authority;
  }
  get path() {
    return this.#req.path;
  }
  get headers() {
    return this.#req.headers;
  }
  header(name: string) {
    return this.#req.header(name);
  }
  get body(): ReadableStream<Uint8Array> {
    return Stream.toReadableStream(this.#req.body);
  }
  bytes(): Promise<Uint8Array> {
    return Effect.runPromise(this.#req.bytes);
  }
  async text(): Promise<string> {
    return new TextDecoder().decode(await this.bytes());
  }
  trailers(): Promise<ReadonlyArray<HeaderField>> {
    return Effect.runPromise(this.#req.trailers);
  }
  push(path: string, response: PromiseResponse): Promise<boolean> {
    return Effect.runPromise(this.#req.push({ path, response: toServerResponse(response) }));
  }
}

function toStream(body: PromiseBody | undefined): ServerResponse["body"] {
  if (body === undefined || body instanceof Uint8Array || typeof body === "string") return body;
  if (body instanceof ReadableStream) {
    return Stream.fromReadableStream({ evaluate: () => body, onError: (e) => e });
  }
  return Stream.fromAsyncIterable(body, (e) => e);
}

function toServerResponse(res: PromiseResponse): ServerResponse {
  const t = res.trailers;
  return {
    status: res.status,
    headers: res.headers,
    body: toStream(res.body),
    trailers: typeof t === "function"
      ? Effect.tryPromise({ try: async () => await t(), catch: (e) => e })
      : t,
  };
}

/** A request for {@link H2FetchClient.fetch}. */
export interface FetchH2Init {
  /** Method; default GET, or POST with a body. */
  readonly method?: string;
  /** Header fields. */
  readonly headers?: HeadersInput;
  /** Body. */
  readonly body?: PromiseBody;
  /** Trailers. */
  readonly trailers?: HeadersInput;
  /** Aborting resets the stream with CANCEL. */
  readonly signal?: AbortSignal;
}

/** A response from the Promise client. */
export interface FetchH2Response {
  /** `:status`. */
  readonly status: number;
  /** Regular header fields. */
  readonly headers: ReadonlyArray<HeaderField>;
  /** First value of a field by lowercase name. */
  header(name: string): string | undefined;
  /** The body; cancelling it resets the stream (CANCEL). */
  readonly body: ReadableStream<Uint8Array>;
  /** The whole body. */
  bytes(): Promise<Uint8Array>;
  /** The whole body as UTF-8. */
  text(): Promise<string>;
  /** Trailers, once the body was read. */
  trailers(): Promise<ReadonlyArray<HeaderField>>;
}

/** A multiplexing HTTP/2 client with a Promise API. Close it when done. */
export class H2FetchClient {
  readonly #client: H2Client;
  readonly #scope: Scope.Closeable;

  private constructor(client: H2Client, scope: Scope.Closeable) {
    this.#client = client;
    this.#scope = scope;
  }

  /**
   * Connects to `url` (`https:` with ALPN h2, or `http:` h2c).
   *
   * @param url The origin.
   * @param options Trust, push and limits.
   * @returns The connected client.
   */
  static async connect(url: string | URL, options: ClientOptions = {}): Promise<H2FetchClient> {
    const scope = await Effect.runPromise(Scope.make());
    try {
      const client = await Effect.runPromise(connect(url, options).pipe(Scope.provide(scope)));
      return new H2FetchClient(client, scope);
    } catch (error) {
      await Effect.runPromise(Scope.close(scope, Exit.void));
      throw error;
    }
  }

  /**
   * Sends a request and resolves with the response headers; rejects with a tagged `NetError`.
   *
   * @param path Path and query.
   * @param init Method, headers, body, trailers, signal.
   * @returns The response.
   */
  async fetch(path: string, init: FetchH2Init = {}): Promise<FetchH2Response> {
    const res = await Effect.runPromise(
      this.#client.request({
        method: init.method,
        path,
        headers: init.headers,
        body: toStream(init.body),
        trailers: init.trailers,
      }),
      { signal: init.signal },
    );
    return new FetchResponseImpl(res);
  }

  /** Sends GOAWAY and closes the connection. */
  close(): Promise<void> {
    return Effect.runPromise(Scope.close(this.#scope, Exit.void));
  }
}

class FetchResponseImpl implements FetchH2Response {
  readonly #res: ClientResponse;
  constructor(res: ClientResponse) {
    this.#res = res;
  }
  get status() {
    return this.#res.status;
  }
  get headers() {
    return this.#res.headers;
  }
  header(name: string) {
    return getHeader(this.#res.headers, name);
  }
  get body(): ReadableStream<Uint8Array> {
    return Stream.toReadableStream(this.#res.body);
  }
  bytes(): Promise<Uint8Array> {
    return Effect.runPromise(this.#res.bytes);
  }
  text(): Promise<string> {
    return Effect.runPromise(this.#res.text);
  }
  trailers(): Promise<ReadonlyArray<HeaderField>> {
    return Effect.runPromise(this.#res.trailers);
  }
}

/** A fully read response from {@link fetchH2}. */
export interface FetchH2Result {
  /** `:status`. */
  readonly status: number;
  /** Regular header fields. */
  readonly headers: ReadonlyArray<HeaderField>;
  /** The whole body. */
  readonly body: Uint8Array;
  /** Trailers (empty when none). */
  readonly trailers: ReadonlyArray<HeaderField>;
}

/**
 * One request on a fresh connection: connects, sends, reads the whole body and trailers, closes.
 * For many requests use {@link H2FetchClient}, which multiplexes them on one connection.
 *
 * @param url Full URL (`https:` or `http:` h2c).
 * @param init Method, headers, body, trailers, signal.
 * @param options Trust and limits.
 * @returns The buffered response.
 */
export function fetchH2(
  url: string | URL,
  init: FetchH2Init = {},
  options: ClientOptions = {},
): Promise<FetchH2Result> {
  const u = new URL(url);
  return Effect.runPromise(
    Effect.scoped(Effect.gen(function* () {
      const client = yield* connect(u.origin, options);
      const res = yield* client.request({
        method: init.method,
        path: u.pathname + u.search,
        headers: init.headers,
        body: toStream(init.body),
        trailers: init.trailers,
      });
      const body = yield* res.bytes;
      const trailers = yield* res.trailers;
      return { status: res.status, headers: res.headers, body, trailers };
    })) as Effect.Effect<FetchH2Result, NetError>,
    { signal: init.signal },
  );
}
