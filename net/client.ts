/**
 * The HTTP/2 client: `connect(url)` is a scoped Effect giving a client that
 * multiplexes requests over one connection (TLS with ALPN h2, or h2c with
 * prior knowledge), waits for a slot beyond the server's
 * MAX_CONCURRENT_STREAMS, reconnects after GOAWAY, and keeps the connection
 * checked with PINGs. RFC 9113 §5.1.2, §6.7, §6.8, §8.
 *
 * @module
 */

import { Cause, Effect, type Scope, Stream } from "effect";
import { ErrorCode, type H2ConnectionOptions, type HeaderField } from "../core/mod.ts";
import { type BodyInput, H2Session, SessionStream, type TrailersInput } from "./_session.ts";
import {
  ConnectionLostError,
  type NetError,
  ProtocolViolationError,
  TimeoutError,
} from "./errors.ts";
import { appendFields, getHeader, type HeadersInput } from "./headers.ts";
import {
  addAcceptEncoding,
  type ContentCoding,
  type ContentDecodingError,
  decodableCoding,
  decodeBody,
  resolveMaxDecodedSize,
} from "./content_encoding.ts";
import { collectBytes } from "./server.ts";
import { connectH2 } from "./transport.ts";

/** A request to send. */
export interface ClientRequest {
  /** Method; default `GET` (or `POST` when a body is given). */
  readonly method?: string;
  /** Path and query; default `/`. */
  readonly path?: string;
  /** `:authority`; default the URL's host. */
  readonly authority?: string;
  /** Header fields. */
  readonly headers?: HeadersInput;
  /** Body: bytes and text go out at once; a Stream is pulled as flow control allows. */
  readonly body?: BodyInput;
  /** Trailers: fields, or an Effect evaluated after the body. */
  readonly trailers?: TrailersInput;
  /** Overrides {@link ClientOptions.decompress} for this request. */
  readonly decompress?: boolean;
  /**
   * While the client is in `TRANSIENT_FAILURE` (a connection attempt failed and the
   * {@link ClientOptions.reconnect} policy waits before the next one), wait for a connection
   * instead of failing at once with the attempt's error (gRPC "wait for ready"). Interrupt the
   * request (e.g. with a timeout) to bound the wait. Default false.
   */
  readonly waitForReady?: boolean;
  /**
   * Hand the response over later than at its headers: `"data"` once body data has arrived (or
   * the response ended); `"end"` once the response has ended, or earlier when holding it longer
   * could stall flow control (its unread data would fill half the stream's or the connection's
   * receive window). A short answer then arrives whole, with one wake-up instead of two
   * (`bodyIfComplete()` has it): `"end"` suits single answers such as unary gRPC calls, `"data"`
   * streams. The headers of a response whose body comes later are seen later. Default: at the
   * headers.
   */
  readonly awaitBody?: "data" | "end";
}

/** A response (RFC 9113 §8.3.2). */
export interface ClientResponse {
  /** The stream it arrived on. */
  readonly streamId: number;
  /** `:status`. */
  readonly status: number;
  /**
   * Regular header fields. When the client decoded the body, `content-encoding` and
   * `content-length` are removed: they described the coded bytes (as Go's transport does).
   */
  readonly headers: ReadonlyArray<HeaderField>;
  /** The coding the client removed from the body (`"br"`, `"gzip"`), or `undefined`. */
  readonly decodedEncoding: ContentCoding | undefined;
  /** 1xx responses that came before this one (e.g. 103 Early Hints), each a field list. */
  readonly informational: ReadonlyArray<ReadonlyArray<HeaderField>>;
  /** The first value of a field, by lowercase name. */
  header(name: string): string | undefined;
  /**
   * The body. Data is acknowledged (WINDOW_UPDATE) only as it is pulled, so an unread body
   * holds at most one stream window. Interrupting its consumer, or ending early, resets the
   * stream with CANCEL. Consume it at most once. A decoded body fails with
   * `ContentDecodingError` when corrupt or past `maxDecompressedSize` (an unfinished stream is
   * then reset with CANCEL).
   */
  readonly body: Stream.Stream<Uint8Array, NetError | ContentDecodingError>;
  /** The whole body as one array. */
  readonly bytes: Effect.Effect<Uint8Array, NetError | ContentDecodingError>;
  /**
   * The whole body, synchronously, when it has already arrived in full and ended without error
   * (a small response whose HEADERS, DATA and END_STREAM came in one read): taken at once with
   * its credit returned, without the Effect machinery. `undefined` while more may come, after a
   * failure, or for a body the client decodes; the body is then untouched and read as usual.
   * Taking it consumes the body; `trailers` stay available.
   */
  bodyIfComplete(): Uint8Array | undefined;
  /** The whole body as UTF-8 text. */
  readonly text: Effect.Effect<string, NetError | ContentDecodingError>;
  /** Trailers, once the body has been read to the end (empty when none). */
  readonly trailers: Effect.Effect<ReadonlyArray<HeaderField>, NetError>;
  /**
   * Gives up on the response: buffered data is released and, if the body has not ended, the
   * stream is reset with CANCEL. Use it when the body will not be read.
   */
  readonly cancel: Effect.Effect<void>;
  /**
   * Responses the server pushed for this request (only with `enablePush`). Ends when this
   * request's stream closes. Ignoring it is fine: each push holds at most one window.
   */
  readonly pushes: Stream.Stream<PushedResponse>;
}

/** A pushed response: the promised request and, once it arrives, its response. */
export interface PushedResponse {
  /** The promised stream id. */
  readonly streamId: number;
  /** The promised request's `:path`. */
  readonly path: string;
  /** The promised request's fields, pseudo-headers included. */
  readonly requestHeaders: ReadonlyArray<HeaderField>;
  /** The pushed response. */
  readonly response: Effect.Effect<ClientResponse, NetError>;
  /** Refuses the push (RST_STREAM CANCEL). */
  readonly cancel: Effect.Effect<void>;
}

/**
 * Connectivity of a client, as gRPC names it (grpc doc/connectivity-semantics-and-api.md):
 * `IDLE` (no connection, none being made), `CONNECTING`, `READY` (a connection takes
 * requests), `TRANSIENT_FAILURE` (the last attempt failed; with a reconnect policy the next
 * one waits for its backoff delay) and `SHUTDOWN` (the client is closed; final).
 */
export const ConnectivityState = {
  IDLE: "IDLE",
  CONNECTING: "CONNECTING",
  READY: "READY",
  TRANSIENT_FAILURE: "TRANSIENT_FAILURE",
  SHUTDOWN: "SHUTDOWN",
} as const;

/** One of the {@link ConnectivityState} values. */
export type ConnectivityState = typeof ConnectivityState[keyof typeof ConnectivityState];

/**
 * When to try connecting again after a failed attempt: gRPC's connection backoff is one
 * implementation (`ConnectionBackoff` in `rpc/backoff.ts`). The client calls {@link attempt}
 * as each attempt starts and {@link reset} once a connection is established.
 */
export interface ReconnectPolicy {
  /**
   * An attempt starts at `now` (ms since the epoch).
   *
   * @param now The current time.
   * @returns How long the attempt may take, and the earliest time of the next attempt should
   *   this one fail.
   */
  attempt(now: number): { readonly timeoutMs: number; readonly retryAt: number };
  /** A connection was established: the next failure starts the schedule over. */
  reset(): void;
}

/** Options of {@link connect}. */
export interface ClientOptions {
  /** Extra PEM CA certificates to trust. */
  readonly caCerts?: readonly string[];
  /**
   * TLS server name (SNI and certificate check) when it differs from the URL's host, as gRPC's
   * `--server_host_override`; `:authority` still comes from the URL.
   */
  readonly serverName?: string;
  /** Accept server push (SETTINGS_ENABLE_PUSH = 1); default false. */
  readonly enablePush?: boolean;
  /** PING every `intervalMs`; close the connection if no ACK within `timeoutMs`. Off by default. */
  readonly keepAlive?: { readonly intervalMs: number; readonly timeoutMs: number };
  /** Give up connecting after this long; default 10,000 ms (the policy's with `reconnect`). */
  readonly connectTimeoutMs?: number;
  /**
   * Reconnect in the background: after a failed attempt the client enters
   * `TRANSIENT_FAILURE` and tries again at the time the policy gives, until a connection is up
   * or the client is closed. Requests made meanwhile fail at once with the last attempt's
   * error, unless they set `waitForReady`. Without a policy every request that finds no
   * connection makes one attempt itself and fails with its error.
   */
  readonly reconnect?: ReconnectPolicy;
  /**
   * Do not connect in {@link connect}: the first request (or `H2Client.connect()`) does, so
   * `connect` cannot fail. Default false.
   */
  readonly lazy?: boolean;
  /** HTTP/2 settings and limits (role is fixed to client). */
  readonly connection?: Omit<H2ConnectionOptions, "role">;
  /**
   * Send `accept-encoding: br, gzip` and decode `br`/`gzip` response bodies transparently
   * (RFC 9110 §8.4, §12.5.3); default true. Requests that set their own `accept-encoding` get
   * the body as received. gRPC requests are never changed.
   */
  readonly decompress?: boolean;
  /** The most bytes a decoded body may have; default 64 MiB. `Infinity` disables the limit. */
  readonly maxDecompressedSize?: number;
}

/** A connected client. */
export interface H2Client {
  /** The origin it talks to. */
  readonly url: URL;
  /** Sends a request and waits for the response headers. */
  request(request: ClientRequest): Effect.Effect<ClientResponse, NetError>;
  /** Sends a PING and waits for its ACK; fails when the connection is gone. */
  readonly ping: Effect.Effect<void, NetError>;
  /** Connections opened so far (more than one after a GOAWAY or a lost connection). */
  readonly connectionsOpened: number;
  /** The connectivity state now. */
  readonly state: ConnectivityState;
  /**
   * Calls `listener` with each new state, synchronously as it changes.
   *
   * @param listener The observer.
   * @returns A function that removes it.
   */
  onStateChange(listener: (state: ConnectivityState) => void): () => void;
  /** Starts connecting when `IDLE` (gRPC `getConnectivityState(true)`); otherwise a no-op. */
  connect(): void;
}

/** Assumed until the server's SETTINGS arrive (as hyper does). */
const ASSUMED_MAX_CONCURRENT = 100;

const DEFAULT_CLIENT_CONNECTION: Omit<H2ConnectionOptions, "role"> = {
  initialWindowSize: 1024 * 1024,
  connectionWindowSize: 8 * 1024 * 1024,
  // For a client this limits only pushed streams: with the stream window it bounds what
  // ignored pushes can hold (32 x 1 MiB at most).
  maxConcurrentStreams: 32,
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Connects to an HTTP/2 server for the lifetime of the current scope. `https:` URLs use TLS
 * with ALPN h2 (failing unless the server selects it); `http:` URLs use h2c with prior
 * knowledge. Closing the scope sends GOAWAY and closes the connection; unfinished requests fail
 * with `ConnectionLost`.
 *
 * @param url The server's origin.
 * @param options Trust, push, keepalive and limits.
 * @returns The client.
 */
export function connect(
  url: string | URL,
  options: ClientOptions = {},
): Effect.Effect<H2Client, NetError, Scope.Scope> {
  const acquire = Effect.acquireRelease(
    Effect.sync(() => new ClientImpl(new URL(url), options)),
    (client) => Effect.sync(() => client.close()),
  );
  if (options.lazy) return acquire;
  return Effect.flatMap(acquire, (client) =>
    client.session(false).pipe(
      // Nobody will use a client whose first connection failed: stop its reconnect timer now
      // rather than when the caller's scope closes.
      Effect.tapError(() => Effect.sync(() => client.close())),
      Effect.as(client),
    ));
}

class ClientImpl implements H2Client {
  readonly url: URL;
  readonly #options: ClientOptions;
  readonly #connection: H2ConnectionOptions;
  #current: H2Session | undefined;
  #opening: Promise<H2Session> | undefined;
  readonly #sessions = new Set<H2Session>();
  #slotWaiters: Array<() => void> = [];
  #closed = false;
  connectionsOpened = 0;
  #state: ConnectivityState = ConnectivityState.IDLE;
  readonly #listeners = new Set<(state: ConnectivityState) => void>();
  /** Woken (and emptied) on every state change: requests waiting for ready. */
  #stateWaiters: Array<() => void> = [];
  /** Why the last connection attempt failed. */
  #lastError: NetError | undefined;
  /** The next attempt, when a reconnect policy is waiting out its backoff delay. */
  #retryTimer: ReturnType<typeof setTimeout> | undefined;

  readonly #maxDecoded: number;
  /** Receive-window levels below which a held response (`awaitBody: "end"`) is handed over. */
  readonly #hold: { readonly stream: number; readonly connection: number };

  constructor(url: URL, options: ClientOptions) {
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError(`Cannot connect to "${url.href}": scheme must be http: or https:`);
    }
    this.url = url;
    this.#options = options;
    this.#maxDecoded = resolveMaxDecodedSize(options.maxDecompressedSize);
    this.#connection = {
      ...DEFAULT_CLIENT_CONNECTION,
      ...options.connection,
      enablePush: options.enablePush ?? false,
      role: "client",
    };
    // Half of each window (RFC 9113 default 65,535 where none is configured).
    this.#hold = {
      stream: (this.#connection.initialWindowSize ?? 65_535) / 2,
      connection: (this.#connection.connectionWindowSize ?? 65_535) / 2,
    };
  }

  get state(): ConnectivityState {
    return this.#state;
  }

  onStateChange(listener: (state: ConnectivityState) => void): () => void {
    // A wrapper per registration, so registering one function twice gives two subscriptions.
    const entry = (state: ConnectivityState) => listener(state);
    this.#listeners.add(entry);
    return () => this.#listeners.delete(entry);
  }

  connect(): void {
    if (this.#state === ConnectivityState.IDLE && !this.#closed) this.#attempt();
  }

  #setState(next: ConnectivityState): void {
    if (this.#state === next || this.#state === ConnectivityState.SHUTDOWN) return;
    this.#state = next;
    // A snapshot: a listener may resume a fiber at once, which may subscribe again and must
    // not hear this same change.
    if (this.#listeners.size > 0) { for (const listener of [...this.#listeners]) listener(next); }
    const waiters = this.#stateWaiters;
    if (waiters.length === 0) return;
    this.#stateWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves at the next state change. */
  readonly #stateChanged: Effect.Effect<void> = Effect.callback<void>((resume) => {
    const w = () => resume(Effect.void);
    this.#stateWaiters.push(w);
    return Effect.sync(() => {
      const i = this.#stateWaiters.indexOf(w);
      if (i >= 0) this.#stateWaiters.splice(i, 1);
    });
  });

  /**
   * The live session, opening a new connection when there is none (or it is going away). In
   * `TRANSIENT_FAILURE` with a reconnect policy, fails with the last attempt's error unless
   * `waitForReady`, which waits for the policy's next attempts instead.
   */
  session(waitForReady = false): Effect.Effect<H2Session, NetError> {
    return Effect.suspend(() => {
      const current = this.#current;
      if (current !== undefined && current.usable) return Effect.succeed(current);
      if (this.#closed) return Effect.fail(closedError());
      if (this.#retryTimer !== undefined) {
        // Backing off after a failed attempt: fail fast, or wait for the next attempt.
        if (!waitForReady) return Effect.fail(this.#lastError ?? closedError());
        return Effect.flatMap(this.#stateChanged, () => this.session(true));
      }
      const opening = this.#attempt();
      const result = Effect.tryPromise({ try: () => opening, catch: (e) => e as NetError });
      if (!waitForReady || this.#options.reconnect === undefined) return result;
      // The attempt failed and the policy scheduled the next one: wait for it.
      return Effect.catch(result, () => this.session(true));
    });
  }

  /** The connection attempt in progress, or a new one. Never rejects unhandled. */
  #attempt(): Promise<H2Session> {
    if (this.#opening === undefined) {
      const plan = this.#options.reconnect?.attempt(Date.now());
      const opening = this.#open(plan).finally(() => {
        if (this.#opening === opening) this.#opening = undefined;
      });
      // Background attempts (connect(), the retry timer) have nobody awaiting them.
      opening.catch(() => {});
      this.#opening = opening;
      // Only now: a listener or waiter may run at once and must find this attempt in progress.
      this.#setState(ConnectivityState.CONNECTING);
    }
    return this.#opening;
  }

  /**
   * gRPC connection backoff: the next attempt starts at `retryAt`, a time counted from the start
   * of the failed one (so there is no wait at all if that attempt took longer).
   */
  #scheduleRetry(retryAt: number): void {
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (!this.#closed) this.#attempt();
    }, Math.max(0, retryAt - Date.now()));
  }

  /** One connection attempt (planned by the reconnect policy); rejects with a {@link NetError}. */
  async #open(
    plan: { readonly timeoutMs: number; readonly retryAt: number } | undefined,
  ): Promise<H2Session> {
    const policy = this.#options.reconnect;
    const timeoutMs = plan?.timeoutMs ?? this.#options.connectTimeoutMs ?? 10_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let conn: Deno.Conn;
    try {
      conn = await Promise.race([
        connectH2(this.url, {
          caCerts: this.#options.caCerts,
          serverName: this.#options.serverName,
        }),
        new Promise<never>((_, reject) =>
          timer = setTimeout(
            () =>
              reject(
                new TimeoutError({
                  reason: `Cannot connect to ${this.url.host}: no answer within ${timeoutMs} ms`,
                  initiator: "local",
                }),
              ),
            timeoutMs,
          )
        ),
      ]).finally(() => clearTimeout(timer));
    } catch (error) {
      const netError: NetError = isNetErrorLike(error)
        ? error as NetError
        : new ConnectionLostError({
          reason: `Cannot connect to ${this.url.host}: ${
            error instanceof Error ? error.message : String(error)
          }`,
          initiator: "local",
          cause: error,
        });
      if (this.#closed) throw closedError();
      this.#lastError = netError;
      if (plan !== undefined) this.#scheduleRetry(plan.retryAt);
      // Waiters woken here see the timer set: fail-fast requests fail, the others wait.
      this.#setState(ConnectivityState.TRANSIENT_FAILURE);
      throw netError;
    }
    if (this.#closed) {
      conn.close();
      throw closedError();
    }
    let keepAlive: ReturnType<typeof setInterval> | undefined;
    let settled = false;
    const lost = (): void => {
      if (this.#current !== session) return;
      this.#current = undefined;
      if (this.#opening !== undefined || this.#retryTimer !== undefined || this.#closed) return;
      if (plan !== undefined && !session.settingsReceived) {
        // The peer accepted TCP (and TLS) but closed before its SETTINGS: not an HTTP/2 server
        // that works. Count it as a failed attempt, so such a peer is retried with backoff
        // rather than at the rate of requests.
        this.#lastError = session.closeError ?? new ConnectionLostError({
          reason: `${this.url.host} closed the connection before its SETTINGS`,
          initiator: "remote",
        });
        this.#scheduleRetry(plan.retryAt);
        this.#setState(ConnectivityState.TRANSIENT_FAILURE);
        return;
      }
      // gRPC: READY -> IDLE on GOAWAY or loss; the next request connects again.
      this.#setState(ConnectivityState.IDLE);
    };
    const session: H2Session = new H2Session(conn, {
      connection: this.#connection,
      hooks: {
        onStreamClosed: (s) => {
          if (s.local) this.#wakeSlots();
        },
        onSettings: () => {
          // The server's SETTINGS complete the HTTP/2 handshake: the backoff starts over.
          if (!settled) {
            settled = true;
            policy?.reset();
          }
          this.#wakeSlots();
        },
        onGoAway: () => {
          // New requests go to a new connection; this one finishes what it accepted.
          lost();
          this.#wakeSlots();
        },
        onClose: () => {
          clearInterval(keepAlive);
          this.#sessions.delete(session);
          lost();
          this.#wakeSlots();
        },
      },
    });
    this.#sessions.add(session);
    this.#current = session;
    this.connectionsOpened++;
    session.start();
    const ka = this.#options.keepAlive;
    if (ka !== undefined) keepAlive = this.#startKeepAlive(session, ka.intervalMs, ka.timeoutMs);
    // Lost already (a closed socket seen while starting): the next request dials again.
    this.#setState(this.#current === session ? ConnectivityState.READY : ConnectivityState.IDLE);
    return session;
  }

  #startKeepAlive(session: H2Session, intervalMs: number, timeoutMs: number) {
    let waiting = false;
    return setInterval(() => {
      if (waiting || session.closed) return;
      waiting = true;
      const timer = setTimeout(() => {
        session.close(
          new TimeoutError({
            reason: `The server did not answer a keepalive PING within ${timeoutMs} ms`,
            initiator: "local",
          }),
        );
      }, timeoutMs);
      session.ping().then(() => {
        waiting = false;
        clearTimeout(timer);
      });
    }, intervalMs);
  }

  #wakeSlots(): void {
    const ws = this.#slotWaiters;
    if (ws.length === 0) return;
    this.#slotWaiters = [];
    for (const w of ws) w();
  }

  #hasSlot(session: H2Session): boolean {
    const limit = session.settingsReceived
      ? session.conn.remoteSettings.maxConcurrentStreams
      : ASSUMED_MAX_CONCURRENT;
    return session.localOpen < limit;
  }

  /** Resolves when a stream slot may have freed up (a stream closed, SETTINGS, GOAWAY). */
  readonly #slotFreed: Effect.Effect<void> = Effect.callback<void>((resume) => {
    const w = () => resume(Effect.void);
    this.#slotWaiters.push(w);
    return Effect.sync(() => {
      const i = this.#slotWaiters.indexOf(w);
      if (i >= 0) this.#slotWaiters.splice(i, 1);
    });
  });

  request(req: ClientRequest): Effect.Effect<ClientResponse, NetError> {
    return Effect.flatMap(
      this.session(req.waitForReady ?? false),
      (session) =>
        Effect.suspend(() => {
          // Checking the slot and opening the stream happen in one synchronous step, so
          // concurrent requests never exceed the server's MAX_CONCURRENT_STREAMS.
          if (!session.usable) return this.request(req);
          if (!this.#hasSlot(session)) {
            return Effect.flatMap(this.#slotFreed, () => this.request(req));
          }
          return this.#openStream(session, req);
        }),
    );
  }

  get ping(): Effect.Effect<void, NetError> {
    return Effect.flatMap(
      this.session(),
      (session) =>
        Effect.flatMap(Effect.promise(() => session.ping()), () =>
          session.closed
            ? Effect.fail(
              session.closeError ??
                new ConnectionLostError({ reason: "The connection closed", initiator: "remote" }),
            )
            : Effect.void),
    );
  }

  #openStream(session: H2Session, req: ClientRequest): Effect.Effect<ClientResponse, NetError> {
    const conn = session.conn;
    const s = new SessionStream(conn.getNextAvailableStreamId(), true);
    s.inbound = session.newInbound(s);
    const body = req.body;
    const headers: HeaderField[] = [
      { name: ":method", value: req.method ?? (body === undefined ? "GET" : "POST") },
      { name: ":scheme", value: this.url.protocol === "https:" ? "https" : "http" },
      { name: ":authority", value: req.authority ?? this.url.host },
      { name: ":path", value: req.path ?? "/" },
    ];
    appendFields(req.headers, headers);
    // Content-coding: ask for br/gzip and decode, unless the caller opted out or chose its own
    // accept-encoding (then it gets the body as received). A HEAD response has no body.
    const decodeLimit = (req.decompress ?? this.#options.decompress ?? true) &&
        addAcceptEncoding(headers) && headers[0].value !== "HEAD"
      ? this.#maxDecoded
      : undefined;
    const informational: HeaderField[][] = [];
    const pushes = new PushQueue();
    s.onInformational = (h) => informational.push(h);
    if (this.#connection.enablePush) {
      s.onPush = (pushed, fields) => pushes.add(this.#pushed(session, pushed, fields));
    }
    s.onClosed = () => pushes.end();
    const response = responseOf(
      session,
      s,
      informational,
      pushes,
      decodeLimit,
      req.awaitBody,
      this.#hold,
    );
    {
      session.addStream(s);
      const trailers = req.trailers;
      if (
        (body === undefined || typeof body === "string" || body instanceof Uint8Array) &&
        (trailers === undefined || !Effect.isEffect(trailers))
      ) {
        try {
          session.sendWhole(
            s,
            headers,
            typeof body === "string" ? encoder.encode(body) : body,
            trailers === undefined ? undefined : appendFields(trailers as HeadersInput, []),
          );
        } catch (error) {
          session.failStream(
            s,
            invalidRequest(error),
            !session.closed && !session.conn.isClosed,
            ErrorCode.CANCEL,
          );
        }
        return response;
      }
      try {
        conn.sendHeaders(s.id, headers);
        session.socket.flush();
      } catch (error) {
        session.failStream(
          s,
          invalidRequest(error),
          false,
        );
        return response;
      }
      const pump = Effect.runFork(session.sendStreaming(s, undefined, body, trailers));
      const previous = s.onFail;
      s.onFail = (e) => {
        pump.interruptUnsafe();
        previous?.(e);
      };
      return response;
    }
  }

  #pushed(session: H2Session, s: SessionStream, fields: HeaderField[]): PushedResponse {
    const pushes = new PushQueue();
    pushes.end();
    return {
      streamId: s.id,
      path: getHeader(fields, ":path") ?? "",
      requestHeaders: fields,
      response: responseOf(session, s, [], pushes, undefined, undefined, undefined),
      cancel: Effect.sync(() => session.reset(s, ErrorCode.CANCEL, "user")),
    };
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    for (const session of this.#sessions) {
      session.closeError = new ConnectionLostError({
        reason: "The client was closed",
        initiator: "user",
      });
      session.terminate(ErrorCode.NO_ERROR);
    }
    this.#setState(ConnectivityState.SHUTDOWN);
    this.#wakeSlots();
  }
}

function closedError(): ConnectionLostError {
  return new ConnectionLostError({ reason: "The client is closed", initiator: "user" });
}

/**
 * Waits for the response headers of `s` (with `awaitBody`, for its first body data or its end);
 * interruption resets the stream with CANCEL.
 */
function responseOf(
  session: H2Session,
  s: SessionStream,
  informational: HeaderField[][],
  pushes: PushQueue,
  decodeLimit: number | undefined,
  awaitBody: "data" | "end" | undefined,
  hold: { readonly stream: number; readonly connection: number } | undefined,
): Effect.Effect<ClientResponse, NetError> {
  let result: ClientResponse | undefined;
  let failure: NetError | undefined;
  let waiter: (() => void) | undefined;
  // The response (or failure) may be handed over.
  let ready = false;
  const wake = (): void => {
    if (ready) return;
    ready = true;
    const w = waiter;
    waiter = undefined;
    // Resume after the whole read batch: the body of a small response usually came with it.
    if (w !== undefined) session.defer(w);
  };
  const previousFail = s.onFail;
  s.onResponse = (fields) => {
    result = new ResponseImpl(s, fields, informational, pushes, decodeLimit);
    s.onResponse = undefined;
    if (awaitBody !== undefined && !s.closed) {
      // Hold the headers until body data arrives or the stream ends: then a short answer is
      // complete when the caller resumes (one wake-up, not one for the headers and another for
      // the body). Held data is not acknowledged, so holding stops once it fills half a receive
      // window: the peer can then always send on, and a large body never stalls. (Every stream
      // held at once only ever holds data that arrived while the connection's window was more
      // than half open, so together they leave the other half to the peer.)
      const inbound = s.inbound!;
      const push = inbound.push;
      const conn = session.conn;
      inbound.push = function (data, flowLength) {
        push.call(this, data, flowLength);
        if (
          awaitBody === "data" || hold === undefined ||
          conn.remoteFlowControlWindow(s.id) < hold.stream ||
          conn.remoteFlowControlWindow(0) < hold.connection
        ) wake();
      };
      const previousClosed = s.onClosed;
      s.onClosed = () => {
        previousClosed?.();
        wake();
      };
      return;
    }
    wake();
  };
  s.onFail = (e) => {
    failure = e;
    previousFail?.(e);
    ready = true;
    const w = waiter;
    waiter = undefined;
    w?.();
  };
  const settled = Effect.suspend(() =>
    result !== undefined ? Effect.succeed(result) : Effect.fail(failure!)
  );
  return Effect.suspend(() => {
    if (ready) return settled;
    return Effect.callback<ClientResponse, NetError>((resume) => {
      waiter = () => resume(settled);
      return Effect.sync(() => {
        waiter = undefined;
        // Interrupted before the response was handed over: nobody will read it, and the
        // server should stop working on it.
        if (!s.closed) session.reset(s, ErrorCode.CANCEL, "user");
      });
    });
  });
}

class ResponseImpl implements ClientResponse {
  readonly streamId: number;
  readonly status: number;
  readonly headers: HeaderField[];
  readonly decodedEncoding: ContentCoding | undefined;
  readonly #s: SessionStream;
  readonly #pushes: PushQueue;
  readonly #decodeLimit: number;

  constructor(
    s: SessionStream,
    fields: HeaderField[],
    readonly informational: HeaderField[][],
    pushes: PushQueue,
    decodeLimit?: number,
  ) {
    this.streamId = s.id;
    this.#s = s;
    this.#pushes = pushes;
    let i = 0;
    let status = 0;
    for (; i < fields.length && fields[i].name.charCodeAt(0) === 0x3a; i++) {
      if (fields[i].name === ":status") status = Number(fields[i].value);
    }
    this.status = status;
    this.headers = i === 0 ? fields : fields.slice(i);
    this.#decodeLimit = decodeLimit ?? Infinity;
    if (decodeLimit !== undefined && status >= 200 && status !== 204 && status !== 304) {
      // Exactly one coding h2kit knows; stacked or unknown codings are handed over as received.
      let count = 0;
      for (const f of this.headers) if (f.name === "content-encoding") count++;
      const coding = count === 1
        ? decodableCoding(getHeader(this.headers, "content-encoding"))
        : undefined;
      if (coding !== undefined) {
        this.decodedEncoding = coding;
        this.headers = this.headers.filter((f) =>
          f.name !== "content-encoding" && f.name !== "content-length"
        );
      }
    }
  }

  header(name: string): string | undefined {
    return getHeader(this.headers, name);
  }

  get body(): Stream.Stream<Uint8Array, NetError | ContentDecodingError> {
    const raw = this.#s.inbound!.stream();
    const coding = this.decodedEncoding;
    return coding === undefined ? raw : decodeBody(raw, coding, this.#decodeLimit);
  }

  get bytes(): Effect.Effect<Uint8Array, NetError | ContentDecodingError> {
    return this.decodedEncoding === undefined ? this.#s.inbound!.all : collectBytes(this.body);
  }

  bodyIfComplete(): Uint8Array | undefined {
    return this.decodedEncoding === undefined ? this.#s.inbound!.takeComplete() : undefined;
  }

  get text(): Effect.Effect<string, NetError | ContentDecodingError> {
    return Effect.map(this.bytes, (b) => decoder.decode(b));
  }

  get trailers(): Effect.Effect<ReadonlyArray<HeaderField>, NetError> {
    return this.#s.inbound!.trailers;
  }

  get cancel(): Effect.Effect<void> {
    return Effect.sync(() => this.#s.inbound!.release());
  }

  get pushes(): Stream.Stream<PushedResponse> {
    return this.#pushes.stream();
  }
}

/** Pushed responses of one request, as a stream that ends when the request's stream closes. */
class PushQueue {
  #items: PushedResponse[] = [];
  #ended = false;
  #waiter: (() => void) | undefined;

  add(p: PushedResponse): void {
    this.#items.push(p);
    this.#wake();
  }

  end(): void {
    this.#ended = true;
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  readonly #pull: Effect.Effect<readonly [PushedResponse, ...PushedResponse[]], Cause.Done> = Effect
    .suspend(() => {
      if (this.#items.length > 0) {
        const items = this.#items as [PushedResponse, ...PushedResponse[]];
        this.#items = [];
        return Effect.succeed(items);
      }
      if (this.#ended) return Cause.done();
      return Effect.callback<readonly [PushedResponse, ...PushedResponse[]], Cause.Done>(
        (resume) => {
          this.#waiter = () => resume(this.#pull);
          return Effect.sync(() => {
            this.#waiter = undefined;
          });
        },
      );
    });

  stream(): Stream.Stream<PushedResponse> {
    return Stream.fromPull(Effect.succeed(this.#pull));
  }
}

/** The request broke HTTP/2 field rules (RFC 9113 §8.2): the application's mistake. */
function invalidRequest(error: unknown): ProtocolViolationError {
  return new ProtocolViolationError({
    reason: `Cannot send the request: ${error instanceof Error ? error.message : String(error)}`,
    initiator: "user",
    code: ErrorCode.PROTOCOL_ERROR,
  });
}

function isNetErrorLike(e: unknown): boolean {
  return typeof e === "object" && e !== null && typeof (e as { _tag?: unknown })._tag === "string";
}
