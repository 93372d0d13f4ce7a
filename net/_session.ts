/**
 * One HTTP/2 connection over one socket, for either role: the synchronous
 * driver between {@link H2Socket} and the sans-I/O {@link H2Connection}.
 *
 * The hot path (bytes read -> `receive` -> events dispatched to per-stream
 * records -> one batched write) is plain TypeScript with no Effect, Promise
 * or copy per frame. Effects appear only at lifetimes: a request, a body
 * pump waiting for flow-control room, a shutdown.
 *
 * @module
 */

import { Effect, Exit, Stream } from "effect";
import {
  type ConnectionTerminated,
  ErrorCode,
  errorCodeName,
  H2Connection,
  type H2ConnectionOptions,
  type H2Event,
  type HeaderField,
  StreamState,
} from "../core/mod.ts";
import { InboundBody } from "./_inbound_body.ts";
import {
  ConnectionLostError,
  GoAwayError,
  type NetError,
  ProtocolViolationError,
  streamReset,
} from "./errors.ts";
import { appendFields, type HeadersInput } from "./headers.ts";
import { type ByteConn, H2Socket } from "./socket.ts";

/**
 * A message body to send: bytes, text (UTF-8), or a stream pulled as flow control allows.
 */
export type BodyInput = Uint8Array | string | Stream.Stream<Uint8Array, unknown>;

/** Trailers to send: fields now, or an Effect computed once the body has been sent. */
export type TrailersInput = HeadersInput | Effect.Effect<HeadersInput, unknown>;

/**
 * A body to send read as a pull, without the Stream machinery: each run of `pull` yields the
 * next batch of chunks (waiting for at least one), or `undefined` at the end. `stopped` runs
 * when the sender gives up before the end (the stream was reset, the pump interrupted, or
 * `pull` failed), so the source can release what it holds. Register it on the body stream
 * with {@link withSendPull}.
 */
export interface SendPull {
  /** The next batch, or `undefined` once the body has ended. */
  readonly pull: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, unknown>;
  /** Runs when sending stopped before the end. */
  readonly stopped: Effect.Effect<void>;
}

// Registered per body stream object under a private symbol (a property, not a WeakMap entry:
// every streamed response may register one). A wrapper stream is a new object without it, so
// the pull can never bypass a wrapper.
const SEND_PULL: unique symbol = Symbol("h2kit/net/sendPull");

/**
 * Registers a pull that sends `body` exactly as running it would (same chunks, same failures),
 * for a sender to use instead of the Stream (one Effect per batch). A frozen stream gets none.
 *
 * @param body The body stream handed to the sender.
 * @param source The equivalent pull.
 * @returns `body` itself.
 */
export function withSendPull<S extends Stream.Stream<Uint8Array, unknown>>(
  body: S,
  source: SendPull,
): S {
  if (Object.isExtensible(body)) {
    (body as unknown as { [SEND_PULL]?: SendPull })[SEND_PULL] = source;
  }
  return body;
}

/**
 * The pull registered on a body stream with {@link withSendPull}, if any.
 *
 * @param body The body stream.
 * @returns Its pull, or `undefined`.
 */
export function sendPullOf(body: Stream.Stream<Uint8Array, unknown>): SendPull | undefined {
  return Object.hasOwn(body, SEND_PULL)
    ? (body as unknown as { [SEND_PULL]: SendPull })[SEND_PULL]
    : undefined;
}

/**
 * Keep at most this much of a stream's body queued in the connection beyond what the window
 * lets out, so a body is pulled only as fast as the peer takes it.
 */
const SEND_LOW_WATER = 64 * 1024;

/** Byte bodies above this size are handed to the connection in slices of this size. */
const WHOLE_BODY_SLICE = 64 * 1024;

const encoder = new TextEncoder();

/** A live stream as the net layer tracks it. */
export class SessionStream {
  /** Receive side; undefined when nothing will be received (e.g. our own push). */
  inbound: InboundBody | undefined;
  /** We handed END_STREAM (or a reset) to the connection. */
  localEnded = false;
  /** The peer ended its side. */
  remoteEnded = false;
  /** Removed from the session. */
  closed = false;
  /** Failure that closed the stream, if any. */
  error: NetError | undefined;
  /** A body pump waiting for flow-control room. */
  roomWaiter: (() => void) | undefined;
  /** Called once if the stream fails (reset, GOAWAY, connection loss). */
  onFail: ((error: NetError) => void) | undefined;
  /** Client: the final response headers arrived. */
  onResponse: ((headers: HeaderField[]) => void) | undefined;
  /** Client: a 1xx response arrived. */
  onInformational: ((headers: HeaderField[]) => void) | undefined;
  /** Aborted with the stream's error if it fails (created on demand for `signal` users). */
  abort: AbortController | undefined;
  /** Called once when our side has ended (END_STREAM handed to the connection). */
  onLocalEnd: (() => void) | undefined;
  /** Called once when the stream leaves the session. */
  onClosed: (() => void) | undefined;
  /** Client: the server promised a push on this stream. */
  onPush: ((pushed: SessionStream, headers: HeaderField[]) => void) | undefined;

  /**
   * @param id The stream id.
   * @param local Whether we opened it as a request (counts against the peer's concurrency limit).
   */
  constructor(readonly id: number, readonly local = false) {}
}

/** Callbacks from a session to the client or server that owns it. */
export interface SessionHooks {
  /**
   * Server: a request opened stream `s` (`s.inbound` holds its body). Called once the read batch
   * holding its HEADERS was dispatched, so the body that came with them is buffered already (and
   * `s` may be closed, by a reset in the same batch).
   */
  onRequest?(s: SessionStream, headers: HeaderField[]): void;
  /** A stream left the session (slots for MAX_CONCURRENT_STREAMS). */
  onStreamClosed?(s: SessionStream): void;
  /** The peer's SETTINGS changed (client: concurrency limit). */
  onSettings?(): void;
  /** The peer sent GOAWAY. */
  onGoAway?(event: ConnectionTerminated): void;
  /** No stream has been open for `idleTimeoutMs` (see {@link SessionOptions}). */
  onIdle?(): void;
  /** The session is closed; `error` is undefined for an orderly close. */
  onClose?(error: NetError | undefined): void;
}

/** Options of {@link H2Session}. */
export interface SessionOptions {
  /** Passed to {@link H2Connection} (role included). */
  readonly connection: H2ConnectionOptions;
  /** Callbacks. */
  readonly hooks: SessionHooks;
  /**
   * Calls `hooks.onIdle` once no stream has been open for this long (ms); 0 or absent: never.
   * The owner decides what idle means to it (the server sends GOAWAY and closes).
   */
  readonly idleTimeoutMs?: number;
}

/**
 * Drives one {@link H2Connection} over one socket. Internal to `net/`; the server and client
 * build their APIs on it.
 */
export class H2Session {
  /** The sans-I/O connection. */
  readonly conn: H2Connection;
  /** The socket pump. */
  readonly socket: H2Socket;
  /** Live streams by id. */
  readonly streams: Map<number, SessionStream> = new Map();
  /** Set once the socket closed. */
  closed = false;
  /** Why the session closed (undefined when orderly). */
  closeError: NetError | undefined;
  /** The peer sent GOAWAY: open no new streams. */
  goingAway = false;
  /** Requests we opened that are still live. */
  localOpen = 0;
  /** The peer's first SETTINGS arrived (its concurrency limit is known). */
  settingsReceived = false;
  readonly #hooks: SessionHooks;
  readonly #roomWaiters = new Set<SessionStream>();
  /** Streams to reset with NO_ERROR once our END_STREAM is written ({@link finishEarly}). */
  readonly #finishing = new Set<SessionStream>();
  #emptyWaiters: Array<() => void> = [];
  #pingWaiters: Array<() => void> = [];
  #closeWhenIdle = false;
  #receiving = false;
  #deferred: Array<() => void> = [];
  /** Requests opened in the read batch being dispatched, started once it is all dispatched. */
  #opened: SessionStream[] = [];
  #openedHeaders: HeaderField[][] = [];
  /** The peer's GOAWAY, once it sent one. */
  #peerGoAway: ConnectionTerminated | undefined;
  readonly #idleTimeoutMs: number;
  /** When the last stream closed (ms since the epoch); meaningful while no stream is open. */
  #idleSince = 0;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #defer = (wake: () => void): void => {
    if (this.#receiving) this.#deferred.push(wake);
    else wake();
  };

  /**
   * Runs `fn` now, or after the events of the read batch being dispatched, so a fiber resumed
   * by an event sees the rest of the batch (e.g. a response's body after its headers).
   */
  defer(fn: () => void): void {
    this.#defer(fn);
  }

  /**
   * @param raw The connected socket.
   * @param options Connection options and hooks.
   */
  constructor(raw: ByteConn, options: SessionOptions) {
    this.conn = new H2Connection(options.connection);
    this.#hooks = options.hooks;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 0;
    this.socket = new H2Socket(raw, {
      onData: (chunk) => this.#onData(chunk),
      // Lent bytes: the socket writes one batch completely before it pulls the next.
      pull: () => this.conn.dataToSendView(),
      onClose: (error) => this.#onSocketClose(error),
      onDrain: () => this.#onDrain(),
    });
  }

  /**
   * Sends the preface/SETTINGS and starts reading.
   *
   * @param initial Bytes already read from the socket (a server that sniffed the opening).
   * @param upgrade Server only: the connection was upgraded from HTTP/1.1 (RFC 7540 §3.2);
   *   `request` is the upgrading request, answered on stream 1.
   */
  start(
    initial?: Uint8Array,
    upgrade?: { readonly settings: string; readonly request: HeaderField[] },
  ): void {
    if (upgrade === undefined) this.conn.initiateConnection();
    else this.conn.initiateUpgradeConnection(upgrade.settings);
    this.socket.start();
    if (this.#idleTimeoutMs > 0) {
      this.#idleSince = Date.now();
      this.#armIdleTimer(this.#idleTimeoutMs);
    }
    if (upgrade !== undefined) {
      const s = new SessionStream(1);
      s.inbound = this.newInbound(s, false);
      s.remoteEnded = true;
      s.inbound.end();
      this.streams.set(1, s);
      this.#hooks.onRequest?.(s, upgrade.request);
    }
    if (initial !== undefined && initial.length > 0) this.#onData(initial);
    this.socket.flush();
  }

  /** Whether new streams may be opened here. */
  get usable(): boolean {
    return !this.closed && !this.goingAway && !this.conn.isClosed;
  }

  // ------------------------------------------------------------------ receiving

  #onData(chunk: Uint8Array): void {
    const events = this.conn.receive(chunk, performance.now());
    this.#receiving = true;
    try {
      for (let i = 0; i < events.length; i++) this.#dispatch(events[i]);
    } finally {
      this.#receiving = false;
    }
    // Requests start after the whole batch was dispatched: a unary request's DATA and END_STREAM
    // usually arrive in the same read as its HEADERS, so its handler finds the body complete and
    // can answer at once, without waiting for data (and many answers share one write).
    const opened = this.#opened;
    if (opened.length > 0) {
      const headers = this.#openedHeaders;
      this.#opened = [];
      this.#openedHeaders = [];
      for (let i = 0; i < opened.length; i++) this.#hooks.onRequest?.(opened[i], headers[i]);
    }
    // Consumers resume once per read batch: every fiber resumption costs an async-context
    // allocation in Effect on Deno, so per-frame wake-ups would dominate the receive path.
    const deferred = this.#deferred;
    if (deferred.length > 0) {
      this.#deferred = [];
      for (let i = 0; i < deferred.length; i++) deferred[i]();
    }
    this.socket.flush();
  }

  #dispatch(ev: H2Event): void {
    switch (ev.type) {
      case "data_received": {
        const s = this.streams.get(ev.streamId);
        if (s?.inbound !== undefined) s.inbound.push(ev.data, ev.flowControlledLength);
        else this.conn.acknowledgeReceivedData(ev.streamId, ev.flowControlledLength);
        return;
      }
      case "request_received": {
        const s = new SessionStream(ev.streamId);
        s.inbound = this.newInbound(s, false);
        this.streams.set(s.id, s);
        if (ev.streamEnded !== undefined) {
          s.remoteEnded = true;
          s.inbound.end();
        }
        this.#opened.push(s);
        this.#openedHeaders.push(ev.headers);
        return;
      }
      case "response_received": {
        const s = this.streams.get(ev.streamId);
        s?.onResponse?.(ev.headers);
        return;
      }
      case "informational_response_received":
        this.streams.get(ev.streamId)?.onInformational?.(ev.headers);
        return;
      case "trailers_received":
        this.streams.get(ev.streamId)?.inbound?.end(ev.headers);
        return;
      case "stream_ended": {
        const s = this.streams.get(ev.streamId);
        if (s === undefined) return;
        s.remoteEnded = true;
        s.inbound?.end();
        this.#maybeRemove(s);
        return;
      }
      case "stream_reset": {
        const s = this.streams.get(ev.streamId);
        if (s === undefined) return;
        const goAwayLast = this.conn.remoteGoAwayLastStreamId;
        const error: NetError = ev.remoteReset && goAwayLast >= 0 && ev.streamId > goAwayLast
          ? new GoAwayError({
            reason: `Stream ${ev.streamId} was not processed: the peer sent ${
              describeGoAway(this.conn.remoteGoAwayErrorCode, undefined, goAwayLast)
            }`,
            initiator: "remote",
            code: this.conn.remoteGoAwayErrorCode,
            lastStreamId: goAwayLast,
            retryable: true,
          })
          : streamReset(ev.streamId, ev.errorCode, ev.remoteReset ? "remote" : "local");
        this.failStream(s, error, false);
        return;
      }
      case "pushed_stream_received": {
        const parent = this.streams.get(ev.parentStreamId);
        if (parent?.onPush === undefined) {
          // Nobody can take it: refuse it rather than buffer it.
          this.conn.resetStream(ev.pushedStreamId, ErrorCode.CANCEL);
          return;
        }
        const s = new SessionStream(ev.pushedStreamId);
        s.localEnded = true;
        s.inbound = this.newInbound(s);
        this.streams.set(s.id, s);
        parent.onPush(s, ev.headers);
        return;
      }
      case "window_updated":
        if (this.#roomWaiters.size > 0) this.checkRoom();
        return;
      case "remote_settings_changed":
        this.settingsReceived = true;
        if (this.#roomWaiters.size > 0) this.checkRoom();
        this.#hooks.onSettings?.();
        return;
      case "ping_ack_received": {
        const w = this.#pingWaiters.shift();
        w?.();
        return;
      }
      case "connection_terminated":
        this.#onTerminated(ev);
        return;
      default:
        return;
    }
  }

  /**
   * A receive buffer for `s` that acknowledges data on this connection as it is pulled.
   *
   * @param s The stream.
   * @param cancelOnRelease Reset with CANCEL when the reader stops early (a client dropping a
   *   response). A server passes false: it may still answer a request it stopped reading (a
   *   gRPC error status while the client streams), so the stream stays open, later DATA is
   *   discarded with its credit returned, and {@link finishEarly} resets it with NO_ERROR
   *   once the response is out (RFC 9113 §8.1).
   */
  newInbound(s: SessionStream, cancelOnRelease = true): InboundBody {
    return new InboundBody(
      (length) => {
        if (this.closed || this.conn.isClosed) return;
        this.conn.acknowledgeReceivedData(s.id, length);
        this.socket.flush();
      },
      cancelOnRelease ? () => this.reset(s, ErrorCode.CANCEL, "user") : () => {},
      this.#defer,
    );
  }

  #onTerminated(ev: ConnectionTerminated): void {
    if (ev.remote) {
      this.goingAway = true;
      this.#peerGoAway = ev;
      this.#hooks.onGoAway?.(ev);
      if (ev.errorCode !== ErrorCode.NO_ERROR) {
        // An error GOAWAY: the peer will close; streams it did process may still finish, but
        // fail what it refused (already reset by the core) and close when idle.
        this.#closeWhenIdle = true;
      }
      if (this.streams.size === 0) this.closeAfterFlush();
      return;
    }
    // We detected a connection error: GOAWAY is queued, everything fails.
    const error = new ProtocolViolationError({
      reason: ev.error?.message ?? `Connection error ${errorCodeName(ev.errorCode)}`,
      initiator: "remote",
      code: ev.errorCode,
    });
    this.#failAll(error);
    this.closeAfterFlush(error);
  }

  // ------------------------------------------------------------------ streams

  /** Registers a locally opened stream (client request). */
  addStream(s: SessionStream): void {
    this.streams.set(s.id, s);
    if (s.local) this.localOpen++;
  }

  #maybeRemove(s: SessionStream): void {
    if (s.localEnded && s.remoteEnded && !s.closed) this.#remove(s);
  }

  #remove(s: SessionStream): void {
    s.closed = true;
    this.streams.delete(s.id);
    if (s.local) this.localOpen--;
    const onClosed = s.onClosed;
    s.onClosed = undefined;
    onClosed?.();
    if (s.roomWaiter !== undefined) {
      this.#roomWaiters.delete(s);
      const w = s.roomWaiter;
      s.roomWaiter = undefined;
      w();
    }
    this.#hooks.onStreamClosed?.(s);
    if (this.streams.size === 0) {
      if (this.#idleTimeoutMs > 0) this.#idleSince = Date.now();
      const ws = this.#emptyWaiters;
      this.#emptyWaiters = [];
      for (const w of ws) w();
      if (this.goingAway || this.#closeWhenIdle) this.closeAfterFlush();
    }
  }

  /** Marks our side of `s` ended (END_STREAM handed to the connection). */
  localEnd(s: SessionStream): void {
    s.localEnded = true;
    const cb = s.onLocalEnd;
    s.onLocalEnd = undefined;
    cb?.();
    this.#maybeRemove(s);
  }

  /** Fails a stream: its body and waiters see `error`; optionally resets it on the wire. */
  failStream(
    s: SessionStream,
    error: NetError,
    sendReset: boolean,
    code: number = ErrorCode.CANCEL,
  ): void {
    if (s.closed) return;
    if (sendReset && !this.closed && !this.conn.isClosed) {
      try {
        this.conn.resetStream(s.id, code);
        this.socket.flush();
      } catch {
        // The stream never opened on the wire (its HEADERS were refused): nothing to reset.
      }
    }
    s.error = error;
    s.localEnded = true;
    s.remoteEnded = true;
    const onFail = s.onFail;
    s.onFail = undefined;
    // Closed first, then the reader woken: a handler resuming on the body's error (or on the
    // signal) must find the stream closed, not try to answer on a reset stream.
    this.#remove(s);
    s.inbound?.fail(error);
    s.abort?.abort(error);
    // After any reader wake-ups queued in this read batch, so readers see data, then the error.
    if (onFail !== undefined) this.#defer(() => onFail(error));
  }

  /**
   * Our side of `s` is complete but the peer is still sending (a response before the end of its
   * request): once every frame of ours is written, reset with NO_ERROR so the peer stops sending
   * (RFC 9113 §8.1). Waiting matters: RST_STREAM discards DATA still queued for flow control.
   */
  finishEarly(s: SessionStream): void {
    if (s.closed || s.remoteEnded) return;
    if (this.#sentEnd(s)) {
      this.reset(s, ErrorCode.NO_ERROR, "local");
      return;
    }
    this.#finishing.add(s);
  }

  /** Whether our END_STREAM for `s` is in the connection's output (not waiting for a window). */
  #sentEnd(s: SessionStream): boolean {
    return this.conn.streamState(s.id) !== StreamState.OPEN;
  }

  #checkFinishing(): void {
    for (const s of this.#finishing) {
      if (s.closed || s.remoteEnded) this.#finishing.delete(s);
      else if (this.#sentEnd(s)) {
        this.#finishing.delete(s);
        this.reset(s, ErrorCode.NO_ERROR, "local");
      }
    }
  }

  /** Resets `s` with `code` (RST_STREAM) on behalf of `initiator`. */
  reset(s: SessionStream, code: number, initiator: "local" | "user"): void {
    this.failStream(s, streamReset(s.id, code, initiator), true, code);
  }

  #failAll(error: NetError): void {
    for (const s of [...this.streams.values()]) this.failStream(s, error, false);
  }

  // ------------------------------------------------------------------ sending

  /** Whether `s` may queue more body now (window open and little queued). */
  hasRoom(s: SessionStream): boolean {
    const buffered = this.conn.bufferedAmount(s.id);
    return buffered < SEND_LOW_WATER && this.conn.localFlowControlWindow(s.id) > buffered;
  }

  /** Wakes body pumps whose stream has room again. */
  checkRoom(): void {
    for (const s of this.#roomWaiters) {
      if (s.closed || this.hasRoom(s)) {
        this.#roomWaiters.delete(s);
        const w = s.roomWaiter;
        s.roomWaiter = undefined;
        w?.();
      }
    }
  }

  #onDrain(): void {
    if (this.#roomWaiters.size > 0) this.checkRoom();
    if (this.#finishing.size > 0) this.#checkFinishing();
  }

  /** Waits until `s` has room for more body, or fails with the stream's error. */
  waitRoom(s: SessionStream): Effect.Effect<void, NetError> {
    return Effect.suspend(() => {
      if (s.closed) return Effect.fail(s.error ?? this.#lostError());
      if (this.hasRoom(s)) return Effect.void;
      return Effect.callback<void, NetError>((resume) => {
        s.roomWaiter = () => resume(this.waitRoom(s));
        this.#roomWaiters.add(s);
        return Effect.sync(() => {
          s.roomWaiter = undefined;
          this.#roomWaiters.delete(s);
        });
      });
    });
  }

  /**
   * Sends a message synchronously when its body is bytes and trailers are fields: headers,
   * body and trailers are queued at once and written in the next batch.
   *
   * @throws {UsageError} Invalid fields (the caller turns this into a reset or 500).
   */
  sendWhole(
    s: SessionStream,
    headers: HeaderField[],
    body: Uint8Array | undefined,
    trailers: HeaderField[] | undefined,
  ): void {
    const conn = this.conn;
    const hasBody = body !== undefined && body.length > 0;
    const hasTrailers = trailers !== undefined && trailers.length > 0;
    if (hasBody && body.length > WHOLE_BODY_SLICE) {
      this.#sendSliced(s, headers, body, hasTrailers ? trailers : undefined);
      return;
    }
    conn.sendHeaders(s.id, headers, { endStream: !hasBody && !hasTrailers });
    if (hasBody) conn.enqueueData(s.id, body, { endStream: !hasTrailers });
    if (hasTrailers) conn.sendHeaders(s.id, trailers, { endStream: true });
    this.socket.flush();
    this.localEnd(s);
  }

  /**
   * A large byte body goes to the connection a slice at a time as the previous one is written,
   * so each batch the socket pulls stays bounded (the connection copies what it sends into its
   * reused output buffers) and the body is queued only as fast as the peer takes it.
   */
  #sendSliced(
    s: SessionStream,
    headers: HeaderField[],
    body: Uint8Array,
    trailers: HeaderField[] | undefined,
  ): void {
    const conn = this.conn;
    conn.sendHeaders(s.id, headers);
    let off = 0;
    const feed = (): void => {
      if (s.closed || this.closed || conn.isClosed) return;
      while (off < body.length && this.hasRoom(s)) {
        const end = Math.min(off + WHOLE_BODY_SLICE, body.length);
        const last = end === body.length;
        conn.enqueueData(s.id, body.subarray(off, end), {
          endStream: last && trailers === undefined,
        });
        off = end;
      }
      if (off < body.length) {
        s.roomWaiter = feed;
        this.#roomWaiters.add(s);
      } else {
        if (trailers !== undefined) conn.sendHeaders(s.id, trailers, { endStream: true });
        this.localEnd(s);
      }
      this.socket.flush();
    };
    feed();
  }

  /**
   * Sends a message whose body or trailers are effects: headers now, then the body pulled as
   * flow control allows, then trailers or END_STREAM. Fails with the stream's error if it is
   * reset meanwhile; a failing body stream resets the stream with INTERNAL_ERROR. A body stream
   * that carries a {@link SendPull} (see {@link withSendPull}) is read through it, with no
   * Stream machinery. Plain Effect chains, no generator: every streamed response runs this.
   */
  sendStreaming(
    s: SessionStream,
    headers: HeaderField[] | undefined,
    body: BodyInput | undefined,
    trailers: TrailersInput | undefined,
  ): Effect.Effect<void, NetError> {
    return Effect.suspend(() => {
      if (s.closed) return Effect.fail(s.error ?? this.#lostError());
      if (headers !== undefined) {
        this.conn.sendHeaders(s.id, headers);
        this.socket.flush();
      }
      let sending: Effect.Effect<void, NetError> | undefined;
      if (body !== undefined) {
        if (body instanceof Uint8Array || typeof body === "string") {
          const bytes = typeof body === "string" ? encoder.encode(body) : body;
          if (bytes.length > 0) this.conn.enqueueData(s.id, bytes);
          this.socket.flush();
        } else {
          sending = this.#sendBody(s, body);
        }
      }
      return sending === undefined
        ? this.#sendEnd(s, trailers)
        : Effect.flatMap(sending, () => this.#sendEnd(s, trailers));
    });
  }

  // Pulls a body stream into the connection as flow control allows.
  #sendBody(s: SessionStream, body: Stream.Stream<Uint8Array, unknown>): Effect.Effect<
    void,
    NetError
  > {
    const bodyFailed = (e: unknown): Effect.Effect<never, NetError> => {
      if (isNetError(e)) return Effect.fail(e);
      // The application's body failed: the peer must not take a truncated body as whole.
      this.reset(s, ErrorCode.INTERNAL_ERROR, "local");
      return Effect.fail(s.error ?? this.#lostError());
    };
    // Queues a batch; false when the stream is gone.
    const enqueue = (chunks: ReadonlyArray<Uint8Array>): boolean => {
      if (s.closed) return false;
      for (let i = 0; i < chunks.length; i++) {
        if (chunks[i].length > 0) this.conn.enqueueData(s.id, chunks[i]);
      }
      this.socket.flush();
      return true;
    };
    const source = sendPullOf(body);
    if (source === undefined) {
      return Stream.runForEachArray(
        body,
        (chunks) =>
          Effect.suspend(() =>
            enqueue(chunks) ? this.waitRoom(s) : Effect.fail(s.error ?? this.#lostError())
          ),
      ).pipe(Effect.catch(bodyFailed));
    }
    // The registered pull: one Effect per batch, waiting for room only when there is none.
    const pull = source.pull;
    const onBatch = (
      chunks: ReadonlyArray<Uint8Array> | undefined,
    ): Effect.Effect<void, unknown> => {
      if (chunks === undefined) return Effect.void;
      if (!enqueue(chunks)) return Effect.fail(s.error ?? this.#lostError());
      return this.hasRoom(s) ? loop : Effect.flatMap(this.waitRoom(s), () => loop);
    };
    const loop: Effect.Effect<void, unknown> = Effect.flatMap(pull, onBatch);
    return loop.pipe(
      Effect.catch(bodyFailed),
      // Stopped early (reset, interruption, failure): the source releases what it holds.
      Effect.onExit((exit) => Exit.isFailure(exit) ? source.stopped : Effect.void),
    );
  }

  // Trailers (or a bare END_STREAM) once the body is out.
  #sendEnd(s: SessionStream, trailers: TrailersInput | undefined): Effect.Effect<void, NetError> {
    if (trailers !== undefined && Effect.isEffect(trailers)) {
      return Effect.flatMap(
        (trailers as Effect.Effect<HeadersInput, unknown>).pipe(
          Effect.catch(() => {
            this.reset(s, ErrorCode.INTERNAL_ERROR, "local");
            return Effect.fail(s.error ?? this.#lostError());
          }),
        ),
        (input) => this.#sendTrailers(s, appendFields(input, [])),
      );
    }
    return Effect.suspend(() =>
      this.#sendTrailers(
        s,
        trailers === undefined ? undefined : appendFields(trailers as HeadersInput, []),
      )
    );
  }

  #sendTrailers(
    s: SessionStream,
    fields: HeaderField[] | undefined,
  ): Effect.Effect<void, NetError> {
    if (s.closed) return Effect.fail(s.error ?? this.#lostError());
    if (fields !== undefined && fields.length > 0) {
      this.conn.sendHeaders(s.id, fields, { endStream: true });
    } else {
      this.conn.endStream(s.id);
    }
    this.socket.flush();
    this.localEnd(s);
    return Effect.void;
  }

  #lostError(): NetError {
    return this.closeError ?? new ConnectionLostError({
      reason: "The connection is closed",
      initiator: "local",
    });
  }

  // ------------------------------------------------------------------ lifetime

  /** Sends a PING and resolves when its ACK arrives (or the session closes). */
  ping(): Promise<void> {
    if (this.closed || this.conn.isClosed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#pingWaiters.push(resolve);
      this.conn.ping();
      this.socket.flush();
    });
  }

  /** Resolves when no stream is live (or the session closed). */
  whenEmpty(): Promise<void> {
    if (this.streams.size === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.#emptyWaiters.push(resolve));
  }

  /**
   * Graceful shutdown (server): GOAWAY(2^31-1), a PING round trip so requests already in flight
   * arrive, then GOAWAY(last stream id); live streams then run to completion.
   */
  async shutdownGracefully(): Promise<void> {
    if (this.closed || this.conn.isClosed) return;
    this.conn.startGracefulShutdown();
    await this.ping();
    if (this.closed || this.conn.isClosed) return;
    this.conn.finishGracefulShutdown();
    this.socket.flush();
    this.#closeWhenIdle = true;
    if (this.streams.size === 0) this.closeAfterFlush();
  }

  /** Writes what is queued, then closes the socket. */
  closeAfterFlush(error?: NetError): void {
    if (this.closed) return;
    this.socket.flush();
    this.socket.idle().then(() => this.close(error));
  }

  /** Closes the socket now; live streams fail with `error` (or a connection-lost error). */
  close(error?: NetError): void {
    if (this.closed) return;
    this.closeError = error;
    this.socket.close(error);
  }

  /** Closes with GOAWAY(code) written first (best effort). */
  terminate(code: number = ErrorCode.NO_ERROR): void {
    if (this.closed) return;
    if (!this.conn.isClosed) this.conn.closeConnection(code);
    this.closeAfterFlush();
  }

  // ------------------------------------------------------------------ idle timeout

  #armIdleTimer(ms: number): void {
    this.#idleTimer = setTimeout(this.#onIdleTimer, ms);
  }

  // One timer per idle period rather than one per stream: opening and closing streams only
  // records a timestamp, and the timer re-arms itself for whatever remains.
  readonly #onIdleTimer = (): void => {
    this.#idleTimer = undefined;
    if (this.closed) return;
    if (this.streams.size > 0) return this.#armIdleTimer(this.#idleTimeoutMs);
    const left = this.#idleSince + this.#idleTimeoutMs - Date.now();
    if (left > 0) return this.#armIdleTimer(left);
    this.#hooks.onIdle?.();
  };

  /**
   * Why the connection ended when the peer's GOAWAY carried an error code: streams still live
   * when it closes were cut off by that GOAWAY (not retryable: the peer may have processed them).
   */
  #peerGoAwayError(): GoAwayError | undefined {
    const ev = this.#peerGoAway;
    if (ev === undefined || ev.errorCode === ErrorCode.NO_ERROR) return undefined;
    return new GoAwayError({
      reason: `The peer ended the connection with ${
        describeGoAway(ev.errorCode, ev.additionalData, ev.lastStreamId)
      }`,
      initiator: "remote",
      code: ev.errorCode,
      lastStreamId: ev.lastStreamId,
      retryable: false,
    });
  }

  #onSocketClose(error: unknown): void {
    this.closed = true;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    const netError = this.closeError ?? this.#peerGoAwayError() ??
      (error === undefined
        ? new ConnectionLostError({ reason: "The peer closed the connection", initiator: "remote" })
        : isNetError(error)
        ? error
        : new ConnectionLostError({
          reason: `The connection failed: ${
            error instanceof Error ? error.message : String(error)
          }`,
          initiator: "local",
          cause: error,
        }));
    this.closeError = netError;
    this.#failAll(netError);
    const pings = this.#pingWaiters;
    this.#pingWaiters = [];
    for (const w of pings) w();
    const empties = this.#emptyWaiters;
    this.#emptyWaiters = [];
    for (const w of empties) w();
    this.#hooks.onClose?.(error === undefined && this.streams.size === 0 ? undefined : netError);
  }
}

/** "GOAWAY(CODE, last stream N): debug text" for error messages; debug data is cut at 200 bytes. */
function describeGoAway(
  code: number,
  debugData: Uint8Array | undefined,
  lastStreamId: number,
): string {
  const debug = debugData !== undefined && debugData.length > 0
    ? `: ${new TextDecoder().decode(debugData.subarray(0, 200))}`
    : "";
  return `GOAWAY(${errorCodeName(code)}, last stream ${lastStreamId})${debug}`;
}

/** Whether `e` is one of the net layer's tagged errors. */
export function isNetError(e: unknown): e is NetError {
  if (typeof e !== "object" || e === null) return false;
  const tag = (e as { _tag?: unknown })._tag;
  return tag === "ConnectionLost" || tag === "StreamReset" || tag === "GoAway" ||
    tag === "ProtocolError" || tag === "Timeout";
}
