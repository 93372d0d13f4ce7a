/**
 * The HTTP/2 server: `serve(options)` is a scoped Effect that listens (TLS
 * with ALPN h2; or cleartext h2c, by prior knowledge or by an HTTP/1.1
 * `Upgrade: h2c` request), runs a handler fiber per request, and on scope
 * close shuts down gracefully (two-phase GOAWAY, drain, close).
 * RFC 9113 §3, §6.8, §8; RFC 7540 §3.2.
 *
 * @module
 */

import { Cause, Effect, Exit, type Fiber, type Scope, Stream } from "effect";
import { ErrorCode, type H2ConnectionOptions, type HeaderField } from "../core/mod.ts";
import { type BodyInput, H2Session, SessionStream, type TrailersInput } from "./_session.ts";

// The response-body fast path, for layers that build their bodies as pulls (rpc's server).
export { type SendPull, sendPullOf, withSendPull } from "./_session.ts";
import { type NetError, ProtocolViolationError } from "./errors.ts";
import { appendFields, getHeader, type HeadersInput } from "./headers.ts";
import { type H2Listener, HandshakeRefused, listenH2, prepareAccepted } from "./transport.ts";
import { type Http1Head, type Opening, sniffOpening, upgradeSettings } from "./_h2c_sniff.ts";
import type { TlsServerOptions } from "./transport.ts";

/** A request body read as a pull: see {@link ServerRequest.bodyPull}. */
export interface BodyPull {
  /** The next batch of chunks; fails with `Cause.Done` at the end. */
  readonly pull: Effect.Effect<ReadonlyArray<Uint8Array>, NetError | Cause.Done>;
  /** Stops reading: what follows is discarded (its flow-control credit returned). */
  release(): void;
}

/** A request as the handler sees it (RFC 9113 §8.3.1). */
export interface ServerRequest {
  /** The stream carrying the request. */
  readonly streamId: number;
  /** `:method`. */
  readonly method: string;
  /** `:scheme`. */
  readonly scheme: string;
  /** `:authority` (or the `host` field), possibly empty. */
  readonly authority: string;
  /** `:path`, including the query. */
  readonly path: string;
  /** The regular header fields (no pseudo-headers), in order. */
  readonly headers: ReadonlyArray<HeaderField>;
  /** The first value of a field, by lowercase name. */
  header(name: string): string | undefined;
  /**
   * The request body. Pulling it returns flow-control credit to the client; it fails with a
   * `StreamReset` error if the client resets the stream. Consume it at most once. Stopping
   * early does not reset the stream: the response still goes out, later DATA is discarded
   * (its credit returned), and RST_STREAM(NO_ERROR) follows the response (RFC 9113 §8.1).
   */
  readonly body: Stream.Stream<Uint8Array, NetError>;
  /** The whole body as one array (convenience; buffers it). */
  readonly bytes: Effect.Effect<Uint8Array, NetError>;
  /**
   * The whole body, synchronously, when it has already arrived in full: the client's END_STREAM
   * was received with it (as it usually is for a small request, whose HEADERS, DATA and
   * END_STREAM come in one read: the handler starts once that read was processed). `undefined`
   * when more is to come or the stream failed; then read `body` or `bytes`. A fast path for
   * small requests (no Effect, no Stream); it consumes the body like the others. Optional so
   * that other request implementations (wrappers, stand-ins) need not offer it.
   */
  bodyIfComplete?(): Uint8Array | undefined;
  /**
   * The body as a pull, without the Stream machinery (for readers that pull it chunk batch by
   * chunk batch themselves): each run of `pull` yields the chunks received since the last run,
   * waiting for at least one, and fails with `Cause.Done` at the end, or with the stream's error.
   * Pulling returns flow-control credit like reading `body`. It consumes the body like the
   * others; a reader that stops before the end calls `release`, which does what ending `body`
   * early does. Optional, like `bodyIfComplete`.
   */
  bodyPull?(): BodyPull;
  /** The request trailers, once the body has ended (empty when none). */
  readonly trailers: Effect.Effect<ReadonlyArray<HeaderField>, NetError>;
  /**
   * Server push (RFC 9113 §8.4): promises `GET path` and sends `response` on the pushed stream.
   * Succeeds with `false`, sending nothing, when the client disabled push.
   */
  push(options: PushOptions): Effect.Effect<boolean, NetError>;
  /**
   * Aborted (with the `NetError` as reason) when the client resets the stream or the connection
   * is lost; for code that takes an `AbortSignal`. The handler fiber is interrupted as well.
   */
  readonly signal: AbortSignal;
  /** Sends a 1xx informational response, e.g. 103 Early Hints (RFC 8297), before the final one. */
  informational(status: number, headers?: HeadersInput): Effect.Effect<void, NetError>;
}

/** A response the handler returns. */
export interface ServerResponse {
  /** Status code; default 200. */
  readonly status?: number;
  /**
   * Response header fields. A frozen list of frozen fields (or a frozen record) shared between
   * responses is prepared and validated once, not on every response.
   */
  readonly headers?: HeadersInput;
  /**
   * Body: bytes and text go out at once (with a `content-length` unless the headers have one or
   * trailers follow); a Stream is pulled as flow control allows.
   */
  readonly body?: BodyInput;
  /** Trailers: fields, or an Effect evaluated after the body (e.g. a gRPC status). */
  readonly trailers?: TrailersInput;
}

/** What to push: the promised request's path and headers, and its response. */
export interface PushOptions {
  /** The promised `:path`. */
  readonly path: string;
  /** Extra request fields of the promised request. */
  readonly headers?: HeadersInput;
  /** The pushed response. */
  readonly response: ServerResponse;
}

/** Default {@link ServeOptions.idleTimeoutMs}. */
const DEFAULT_IDLE_TIMEOUT_MS = 300_000;

/** A request handler: any failure or defect becomes a 500 (or a reset once headers went out). */
export type Handler<E = never> = (request: ServerRequest) => Effect.Effect<ServerResponse, E>;

/** Options of {@link serve}. */
export interface ServeOptions<E = never> {
  /** Answers each request. */
  readonly handler: Handler<E>;
  /** Interface; default `127.0.0.1`. */
  readonly hostname?: string;
  /** Port; default 0 (any free port). */
  readonly port?: number;
  /**
   * TLS certificate and key (PEM): HTTPS with ALPN h2. Without: cleartext h2c, by prior
   * knowledge or HTTP/1.1 Upgrade (other HTTP/1.1 requests get 505).
   */
  readonly tls?: TlsServerOptions;
  /** How long in-flight streams may run after shutdown begins; default 10,000 ms. */
  readonly drainTimeoutMs?: number;
  /** How long a TLS client may take to complete its handshake; default 10,000 ms. */
  readonly handshakeTimeoutMs?: number;
  /**
   * Close a connection that has had no open stream for this long: GOAWAY(NO_ERROR) with the
   * last stream it processed, then close once the GOAWAY is out (a request crossing it is
   * refused as retryable). Default 300,000 ms (5 minutes, as h2o and nginx's HTTP/2 idle timeouts
   * are of that order); 0 disables it. A client's keepalive PINGs do not count as activity.
   */
  readonly idleTimeoutMs?: number;
  /** HTTP/2 settings and limits (role is fixed to server). */
  readonly connection?: Omit<H2ConnectionOptions, "role">;
  /** Where refused handshakes and handler failures are reported; default `Effect.logWarning`. */
  readonly onError?: (message: string, error: unknown) => void;
}

/** A running server. */
export interface H2Server {
  /** The bound port. */
  readonly port: number;
  /** The bound address. */
  readonly hostname: string;
  /** Whether it speaks TLS. */
  readonly secure: boolean;
  /** Base URL, e.g. `https://127.0.0.1:8443`. */
  readonly url: string;
  /** Open connections right now. */
  readonly connections: number;
}

/** Window defaults: larger than the RFC's 64 KiB so a single stream can fill a fast link. */
const DEFAULT_SERVER_CONNECTION: Omit<H2ConnectionOptions, "role"> = {
  initialWindowSize: 1024 * 1024,
  connectionWindowSize: 4 * 1024 * 1024,
  maxConcurrentStreams: 128,
};

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);
const SWITCHING = encoder.encode(
  "HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: h2c\r\n\r\n",
);
const NOT_SUPPORTED = encoder.encode(
  "HTTP/1.1 505 HTTP Version Not Supported\r\nconnection: close\r\ncontent-type: text/plain\r\n" +
    "content-length: 38\r\n\r\nThis server speaks HTTP/2 (h2c) only.\n",
);
/** Fields of an HTTP/1.1 request that do not carry over to HTTP/2 (RFC 9113 §8.2.2). */
const HOP_BY_HOP = new Set([
  "connection",
  "upgrade",
  "http2-settings",
  "host",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
]);

function upgradeRequest(head: Http1Head): HeaderField[] {
  let authority = "";
  for (const [name, value] of head.fields) if (name === "host") authority = value;
  const fields: HeaderField[] = [
    { name: ":method", value: head.method },
    { name: ":scheme", value: "http" },
    { name: ":authority", value: authority },
    { name: ":path", value: head.target },
  ];
  for (const [name, value] of head.fields) {
    if (!HOP_BY_HOP.has(name)) fields.push({ name, value });
  }
  return fields;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

function safeClose(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/**
 * Starts an HTTP/2 server for the lifetime of the current scope. Closing the scope stops
 * accepting, sends GOAWAY(2^31-1) + PING, then GOAWAY(last id) once the PING returns, lets live
 * streams finish within `drainTimeoutMs`, and closes every connection.
 *
 * @param options Handler, address, TLS and limits.
 * @returns The running server's address.
 */
export function serve<E>(options: ServeOptions<E>): Effect.Effect<H2Server, never, Scope.Scope> {
  return Effect.acquireRelease(
    Effect.sync(() => new ServerImpl(options, listenH2(options))),
    (server) => Effect.promise(() => server.shutdown()),
  ).pipe(Effect.map((server) => server.info));
}

class ServerImpl<E> {
  readonly #options: ServeOptions<E>;
  readonly #listener: H2Listener;
  readonly #sessions = new Set<H2Session>();
  readonly #connectionOptions: H2ConnectionOptions;
  readonly #onError: (message: string, error: unknown) => void;
  #stopping = false;
  readonly #acceptDone: Promise<void>;
  readonly info: H2Server;

  constructor(options: ServeOptions<E>, listener: H2Listener) {
    this.#options = options;
    this.#listener = listener;
    this.#connectionOptions = {
      ...DEFAULT_SERVER_CONNECTION,
      ...options.connection,
      role: "server",
    };
    this.#onError = options.onError ??
      ((message, error) => Effect.runFork(Effect.logWarning(message, error)));
    const sessions = this.#sessions;
    const scheme = listener.secure ? "https" : "http";
    this.info = {
      port: listener.port,
      hostname: listener.hostname,
      secure: listener.secure,
      url: `${scheme}://${listener.hostname}:${listener.port}`,
      get connections() {
        return sessions.size;
      },
    };
    this.#acceptDone = this.#acceptLoop();
  }

  async #acceptLoop(): Promise<void> {
    const listener = this.#listener.listener;
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (!this.#stopping) this.#onError("Stopped accepting HTTP/2 connections", error);
        return;
      }
      this.#setUp(conn);
    }
  }

  async #setUp(conn: Deno.Conn): Promise<void> {
    try {
      await prepareAccepted(conn, this.#options.handshakeTimeoutMs);
    } catch (error) {
      // A client that does not speak h2 (or a broken handshake) is refused and logged; the
      // server carries on.
      this.#onError(
        error instanceof HandshakeRefused ? error.message : "Refused a connection",
        error,
      );
      return;
    }
    let initial: Uint8Array | undefined;
    let upgrade: { settings: string; request: HeaderField[] } | undefined;
    if (!this.#listener.secure) {
      // Cleartext: h2c by prior knowledge, or an HTTP/1.1 request asking to upgrade.
      const opening = await this.#sniff(conn);
      if (opening === undefined) return;
      initial = opening.initial;
      upgrade = opening.upgrade;
    }
    if (this.#stopping) {
      conn.close();
      return;
    }
    const session: H2Session = new H2Session(conn, {
      connection: this.#connectionOptions,
      idleTimeoutMs: this.#options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      hooks: {
        onRequest: (s, headers) => this.#onRequest(session, s, headers),
        onIdle: () => void this.#closeIdle(session),
        onClose: (error) => {
          this.#sessions.delete(session);
          // A connection error we detected (GOAWAY sent): worth an operator's attention,
          // unlike a peer that merely went away.
          if (error instanceof ProtocolViolationError) {
            this.#onError("Closed a connection after a connection error", error);
          }
        },
      },
    });
    this.#sessions.add(session);
    try {
      session.start(initial, upgrade);
    } catch (error) {
      // A malformed HTTP2-Settings value: refuse the connection.
      this.#onError("Refused an h2c upgrade", error);
      session.close();
    }
  }

  async #sniff(
    conn: Deno.Conn,
  ): Promise<
    { initial: Uint8Array; upgrade?: { settings: string; request: HeaderField[] } } | undefined
  > {
    const timeoutMs = this.#options.handshakeTimeoutMs ?? 10_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let opening: Opening;
    try {
      opening = await Promise.race([
        sniffOpening(conn),
        new Promise<Opening>((resolve) =>
          timer = setTimeout(
            () => resolve({ kind: "invalid", reason: `no request within ${timeoutMs} ms` }),
            timeoutMs,
          )
        ),
      ]);
    } catch (error) {
      opening = { kind: "invalid", reason: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
    if (opening.kind === "h2") return { initial: opening.bytes };
    if (opening.kind === "h1") {
      const head = opening.head;
      const settings = head.version === "HTTP/1.1" ? upgradeSettings(head) : undefined;
      if (settings !== undefined) {
        try {
          await writeAll(conn, SWITCHING);
        } catch {
          safeClose(conn);
          return undefined;
        }
        return { initial: opening.rest, upgrade: { settings, request: upgradeRequest(head) } };
      }
      // Plain HTTP/1.1 is not served here: say so in HTTP/1.1 and close.
      await writeAll(conn, NOT_SUPPORTED).catch(() => {});
      safeClose(conn);
      this.#onError(`Refused an HTTP/1.1 request without h2c upgrade: ${head.method}`, head.target);
      return undefined;
    }
    safeClose(conn);
    this.#onError(`Refused a cleartext connection: ${opening.reason}`, undefined);
    return undefined;
  }

  #onRequest(session: H2Session, s: SessionStream, headers: HeaderField[]): void {
    const req = new RequestImpl(session, s, headers, this as ServerImpl<unknown>);
    let fiber: Fiber.Fiber<ServerResponse, E>;
    try {
      fiber = Effect.runFork(this.#options.handler(req));
    } catch (error) {
      this.respondFailure(session, s, Cause.die(error));
      return;
    }
    const exit = fiber.pollUnsafe();
    if (exit !== undefined) {
      // The handler finished synchronously (the common case for simple routes): no observer.
      this.#settle(session, s, exit);
      return;
    }
    // A client reset interrupts the handler; its body stream fails with the reset error.
    s.onFail = () => fiber.interruptUnsafe();
    fiber.addObserver((exit) => this.#settle(session, s, exit));
    // Reset in the read batch that opened it (before the handler started): stop it now.
    if (s.closed) fiber.interruptUnsafe();
  }

  #settle(session: H2Session, s: SessionStream, exit: Exit.Exit<ServerResponse, E>): void {
    if (s.closed) return;
    s.onFail = undefined;
    if (Exit.isSuccess(exit)) this.respond(session, s, exit.value);
    else this.respondFailure(session, s, exit.cause);
  }

  /** Sends `res` on stream `s` (a request stream or a pushed one). */
  respond(session: H2Session, s: SessionStream, res: ServerResponse): void {
    if (s.closed) return;
    let fields: HeaderField[];
    try {
      fields = responseFields(statusText(res.status ?? 200), res.headers);
      const body = res.body;
      const trailers = res.trailers;
      if (
        (body === undefined || typeof body === "string" || body instanceof Uint8Array) &&
        (trailers === undefined || !Effect.isEffect(trailers))
      ) {
        const bytes = body === undefined
          ? EMPTY
          : typeof body === "string"
          ? encoder.encode(body)
          : body;
        const trailerFields = trailers === undefined
          ? undefined
          : sharedFields(trailers as HeadersInput) ?? appendFields(trailers as HeadersInput, []);
        // A whole body's length is known: say so (clients size buffers and progress by it),
        // unless trailers follow. A message with trailers is a protocol's framing (gRPC),
        // whose readers go by END_STREAM and never look at content-length (RFC 9113 §8.1.1
        // makes it optional), so it would be bytes and work for nothing.
        if (
          (trailerFields === undefined || trailerFields.length === 0) && s.inbound !== undefined &&
          getHeader(fields, "content-length") === undefined
        ) {
          if (Object.isFrozen(fields)) fields = [...fields];
          fields.push({ name: "content-length", value: String(bytes.length) });
        }
        s.onLocalEnd = () => this.#finishRequest(session, s);
        session.sendWhole(s, fields, bytes, trailerFields);
        return;
      }
    } catch (error) {
      this.respondFailure(session, s, Cause.die(error));
      return;
    }
    const pump = Effect.runFork(
      session.sendStreaming(s, fields, res.body, res.trailers),
    );
    if (pump.pollUnsafe() !== undefined) {
      this.#finishRequest(session, s);
      return;
    }
    s.onFail = () => pump.interruptUnsafe();
    pump.addObserver((exit) => {
      s.onFail = undefined;
      if (Exit.isSuccess(exit)) this.#finishRequest(session, s);
      else if (!s.closed) session.reset(s, ErrorCode.INTERNAL_ERROR, "local");
    });
  }

  /** The response is complete: an unread request body is cut short with RST_STREAM(NO_ERROR). */
  #finishRequest(session: H2Session, s: SessionStream): void {
    // RFC 9113 §8.1: a server may answer before the request ends and then reset with NO_ERROR
    // so the client stops sending a body nobody reads; the session waits until the response's
    // last frame is written (a reset would drop DATA still waiting for the client's window).
    session.finishEarly(s);
  }

  /** The handler failed: 500 when no headers went out, else RST_STREAM(INTERNAL_ERROR). */
  respondFailure(session: H2Session, s: SessionStream, cause: Cause.Cause<unknown>): void {
    if (s.closed) return;
    if (Cause.hasInterruptsOnly(cause)) {
      session.reset(s, ErrorCode.CANCEL, "local");
      return;
    }
    this.#onError(`Handler failed for stream ${s.id}`, Cause.squash(cause));
    try {
      session.sendWhole(
        s,
        [{ name: ":status", value: "500" }, {
          name: "content-length",
          value: "0",
        }],
        undefined,
        undefined,
      );
      this.#finishRequest(session, s);
    } catch {
      session.reset(s, ErrorCode.INTERNAL_ERROR, "local");
    }
  }

  /**
   * Ends a connection that went idle: the two-phase GOAWAY of a graceful shutdown (so a request
   * already on the wire is still served), bounded by the drain timeout in case the client never
   * answers its PING.
   */
  async #closeIdle(session: H2Session): Promise<void> {
    const drainMs = this.#options.drainTimeoutMs ?? 10_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => timer = setTimeout(resolve, drainMs));
    try {
      await Promise.race([
        session.shutdownGracefully().then(() => session.whenEmpty()),
        deadline,
      ]);
    } finally {
      clearTimeout(timer);
    }
    session.terminate(ErrorCode.NO_ERROR);
  }

  /** Graceful shutdown; see {@link serve}. */
  async shutdown(): Promise<void> {
    this.#stopping = true;
    try {
      this.#listener.listener.close();
    } catch {
      // Already closed.
    }
    await this.#acceptDone;
    const sessions = [...this.#sessions];
    const drainMs = this.#options.drainTimeoutMs ?? 10_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => timer = setTimeout(resolve, drainMs));
    try {
      await Promise.race([
        Promise.all(sessions.map(async (session) => {
          await session.shutdownGracefully();
          await session.whenEmpty();
          await session.socket.idle();
        })),
        deadline,
      ]);
    } finally {
      clearTimeout(timer);
    }
    for (const session of sessions) session.terminate(ErrorCode.NO_ERROR);
    await Promise.all(sessions.map((s) => s.socket.idle()));
    for (const session of sessions) session.close();
  }
}

class RequestImpl implements ServerRequest {
  readonly streamId: number;
  readonly method: string = "";
  readonly scheme: string = "";
  readonly authority: string = "";
  readonly path: string = "";
  readonly headers: HeaderField[];
  readonly #session: H2Session;
  readonly #stream: SessionStream;
  readonly #server: ServerImpl<unknown>;

  constructor(
    session: H2Session,
    s: SessionStream,
    fields: HeaderField[],
    server: ServerImpl<unknown>,
  ) {
    this.streamId = s.id;
    this.#session = session;
    this.#stream = s;
    this.#server = server;
    let i = 0;
    for (; i < fields.length; i++) {
      const f = fields[i];
      if (f.name.charCodeAt(0) !== 0x3a) break;
      switch (f.name) {
        case ":method":
          this.method = f.value;
          break;
        case ":scheme":
          this.scheme = f.value;
          break;
        case ":authority":
          this.authority = f.value;
          break;
        case ":path":
          this.path = f.value;
          break;
      }
    }
    this.headers = i === 0 ? fields : fields.slice(i);
    if (this.authority === "") this.authority = getHeader(this.headers, "host") ?? "";
  }

  header(name: string): string | undefined {
    return getHeader(this.headers, name);
  }

  get signal(): AbortSignal {
    const s = this.#stream;
    if (s.abort === undefined) {
      s.abort = new AbortController();
      if (s.error !== undefined) s.abort.abort(s.error);
    }
    return s.abort.signal;
  }

  get body(): Stream.Stream<Uint8Array, NetError> {
    return this.#stream.inbound!.stream();
  }

  get bytes(): Effect.Effect<Uint8Array, NetError> {
    return this.#stream.inbound!.all;
  }

  bodyIfComplete(): Uint8Array | undefined {
    return this.#stream.inbound!.takeComplete();
  }

  bodyPull(): BodyPull {
    const inbound = this.#stream.inbound!;
    return { pull: inbound.pull, release: () => inbound.release() };
  }

  get trailers(): Effect.Effect<ReadonlyArray<HeaderField>, NetError> {
    return this.#stream.inbound!.trailers;
  }

  push(options: PushOptions): Effect.Effect<boolean, NetError> {
    return Effect.sync(() => {
      const session = this.#session;
      const parent = this.#stream;
      if (
        parent.closed || session.closed || session.goingAway || session.conn.isClosed ||
        !session.conn.remoteSettings.enablePush
      ) {
        return false;
      }
      const fields: HeaderField[] = [
        { name: ":method", value: "GET" },
        { name: ":scheme", value: this.scheme },
        { name: ":authority", value: this.authority },
        { name: ":path", value: options.path },
      ];
      appendFields(options.headers, fields);
      const id = session.conn.pushStream(parent.id, fields);
      const pushed = new SessionStream(id);
      pushed.remoteEnded = true;
      session.addStream(pushed);
      this.#server.respond(session, pushed, options.response);
      return true;
    });
  }

  informational(status: number, headers?: HeadersInput): Effect.Effect<void, NetError> {
    return Effect.sync(() => {
      if (status < 100 || status > 199) {
        throw new RangeError(`Cannot send informational response: status ${status} is not 1xx`);
      }
      const s = this.#stream;
      if (s.closed) return;
      const fields: HeaderField[] = [{ name: ":status", value: String(status) }];
      appendFields(headers, fields);
      this.#session.conn.sendHeaders(s.id, fields);
      this.#session.socket.flush();
    });
  }
}

// Field lists built from headers the application shares between responses (frozen, like rpc's
// constant gRPC headers and trailers): built, lowercased and frozen once per input, so neither
// this layer nor core's validation (which remembers immutable lists it has checked) repeats the
// work on every response. `status` is the ":status" put in front, "" for trailers.
const sharedFieldLists = new WeakMap<object, { status: string; fields: HeaderField[] }>();

/** The response's field list: ":status" then the application's headers, lowercased. */
function responseFields(status: string, headers: HeadersInput | undefined): HeaderField[] {
  if (headers === undefined) return [{ name: ":status", value: status }];
  return sharedFields(headers, status) ??
    appendFields(headers, [{ name: ":status", value: status }]);
}

/**
 * The frozen field list for `input` (after a ":status" field when `status` is not empty),
 * built once per input and status, when `input` can never change; `undefined` otherwise.
 */
function sharedFields(input: HeadersInput, status = ""): HeaderField[] | undefined {
  if (!Object.isFrozen(input)) return undefined;
  const known = sharedFieldLists.get(input);
  if (known !== undefined && known.status === status) return known.fields;
  // An entry for another status already proved `input` immutable.
  if (known === undefined && !isDeeplyFrozen(input)) return undefined;
  const fields = appendFields(input, status === "" ? [] : [{ name: ":status", value: status }]);
  for (let i = 0; i < fields.length; i++) Object.freeze(fields[i]);
  Object.freeze(fields);
  sharedFieldLists.set(input, { status, fields });
  return fields;
}

/**
 * Whether frozen `input` holds only frozen items made of data properties (an accessor survives
 * freezing and could answer differently each time), so a list built from it stays right.
 */
function isDeeplyFrozen(input: HeadersInput): boolean {
  if (!hasOnlyDataProperties(input)) return false;
  if (!Array.isArray(input)) return true;
  for (let i = 0; i < input.length; i++) {
    const item: unknown = input[i];
    if (typeof item !== "object" || item === null || !Object.isFrozen(item)) return false;
    if (!hasOnlyDataProperties(item)) return false;
  }
  return true;
}

function hasOnlyDataProperties(o: object): boolean {
  const descriptors = Object.getOwnPropertyDescriptors(o);
  for (const key in descriptors) {
    if (!("value" in descriptors[key as keyof typeof descriptors])) return false;
  }
  return true;
}

function statusText(status: number): string {
  return status === 200 ? "200" : String(status);
}

/**
 * Collects a byte stream into one array.
 *
 * @param body The stream.
 * @returns The concatenated bytes.
 */
export function collectBytes<E>(body: Stream.Stream<Uint8Array, E>): Effect.Effect<Uint8Array, E> {
  return Effect.map(Stream.runCollect(body), (chunks) => {
    const list = Array.from(chunks);
    if (list.length === 1) return list[0];
    let n = 0;
    for (const c of list) n += c.length;
    const out = new Uint8Array(n);
    let at = 0;
    for (const c of list) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  });
}
