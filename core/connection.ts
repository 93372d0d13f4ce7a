/**
 * The sans-I/O HTTP/2 connection (RFC 9113): bytes in, typed events out;
 * commands in, bytes to send out.
 *
 * Modelled on hyper-h2's `H2Connection`, with the operational hardening of
 * nghttp2 and hyperium h2: every flood the CVE list knows about hits a
 * configurable limit ({@link H2ConnectionOptions}) and ends in
 * GOAWAY(ENHANCE_YOUR_CALM) or a stream reset.
 *
 * @module
 */

import { ByteWriter } from "./byte_writer.ts";
import {
  type DataScheduler,
  type H2Config,
  type H2ConnectionOptions,
  resolveConfig,
} from "./config.ts";
import { ErrorCode } from "./error_code.ts";
import {
  DenialOfServiceError,
  FlowControlError,
  H2Error,
  ProtocolError,
  RefusedStreamError,
  StreamClosedError,
  UsageError,
} from "./errors.ts";
import {
  AlternativeServiceAvailable,
  ConnectionTerminated,
  DataReceived,
  type H2Event,
  InformationalResponseReceived,
  PingAckReceived,
  PingReceived,
  PriorityUpdated,
  PushedStreamReceived,
  RemoteSettingsChanged,
  RequestReceived,
  ResponseReceived,
  SettingsAcknowledged,
  StreamEnded,
  StreamReset,
  TrailersReceived,
  UnknownFrameReceived,
  WindowUpdated,
} from "./events.ts";
import {
  checkFieldSection,
  checkFieldSectionOnce,
  FieldFacts,
  FieldSection,
} from "./field_validation.ts";
import { InboundWindow, MAX_WINDOW_SIZE } from "./flow_window.ts";
import {
  type AltSvcFrame,
  type ContinuationFrame,
  type DataFrame,
  encodeFrame,
  type Frame,
  FrameReader,
  FrameType,
  GoAwayFrame,
  HeadersFrame,
  PingFrame,
  type PriorityFrame,
  PriorityUpdateFrame,
  type PushPromiseFrame,
  RstStreamFrame,
  SettingsFrame,
  UnknownFrame,
  WindowUpdateFrame,
  writeDataFrameHeader,
  writeFieldBlock,
  writePushPromise,
} from "./frame/mod.ts";
import type { HeaderField } from "./hpack/header_field.ts";
import { HpackDecoder } from "./hpack/decoder.ts";
import { HpackEncoder } from "./hpack/encoder.ts";
import type { PrioritySpec } from "./frame/priority_spec.ts";
import { parsePriorityField, serializePriorityField } from "./priority/priority_field.ts";
import { PriorityScheduler, type StreamPriorityInit } from "./priority/priority_scheduler.ts";
import { decodeBase64Url, encodeBase64Url } from "./_base64url.ts";
import {
  applySetting,
  type ChangedSetting,
  DEFAULT_SETTINGS,
  LocalSettings,
  SettingCode,
  type Settings,
  settingValue,
  validateSetting,
} from "./settings.ts";
import { ClosedReason, H2Stream, MessagePhase } from "./stream.ts";
import {
  StreamInput,
  StreamState,
  streamStateName,
  transition,
  TransitionError,
} from "./stream_state.ts";
import { TokenBucket } from "./token_bucket.ts";

/** The client connection preface (RFC 9113 §3.4). */
export const CONNECTION_PREFACE: Uint8Array = Uint8Array.from(
  "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
  (c) => c.charCodeAt(0),
);

/** Largest stream identifier, 2^31-1; the last-stream-id of a graceful-shutdown notice. */
export const MAX_STREAM_ID = 0x7fff_ffff;

/** Options of {@link H2Connection.sendHeaders}. */
export interface SendHeadersOptions {
  /** Set END_STREAM: no body (or no more body) follows. */
  readonly endStream?: boolean;
}

/** Options of {@link H2Connection.sendData} and {@link H2Connection.enqueueData}. */
export interface SendDataOptions {
  /** Set END_STREAM on the last frame. */
  readonly endStream?: boolean;
}

/** Options of {@link H2Connection.closeConnection}. */
export interface CloseOptions {
  /** The GOAWAY's last-stream-id; defaults to the highest stream the peer opened. */
  readonly lastStreamId?: number;
  /** Opaque debug data for the GOAWAY. */
  readonly debugData?: Uint8Array;
}

/** The SETTINGS a caller may change with {@link H2Connection.updateSettings}. */
export interface SettingsUpdate {
  /** SETTINGS_HEADER_TABLE_SIZE. */
  readonly headerTableSize?: number;
  /** SETTINGS_ENABLE_PUSH (clients only). */
  readonly enablePush?: boolean;
  /** SETTINGS_MAX_CONCURRENT_STREAMS. */
  readonly maxConcurrentStreams?: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE. */
  readonly initialWindowSize?: number;
  /** SETTINGS_MAX_FRAME_SIZE. */
  readonly maxFrameSize?: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE. */
  readonly maxHeaderListSize?: number;
  /** SETTINGS_ENABLE_CONNECT_PROTOCOL (servers only, RFC 8441). */
  readonly enableConnectProtocol?: boolean;
}

const EMPTY = new Uint8Array(0);
const NO_EVENTS: H2Event[] = [];
const MAX_SETTINGS_ENTRIES = 32;
const SMALL_OUTPUT = 16_384;
/** Largest buffer {@link H2Connection.dataToSendView} keeps once bursts are small again. */
const IDLE_OUTPUT_CAPACITY = 64 * 1024;
/** How many small batches in a row count as quiet traffic, for {@link IDLE_OUTPUT_CAPACITY}. */
const QUIET_BATCHES = 32;

// A field block being assembled from HEADERS/PUSH_PROMISE + CONTINUATION frames.
interface PendingBlock {
  readonly streamId: number;
  readonly endStream: boolean;
  /** Promised stream id for PUSH_PROMISE, else 0. */
  readonly promisedId: number;
  readonly fragments: Uint8Array[];
  size: number;
  frames: number;
  /** A stream error the frame layer raised for the HEADERS frame, applied after decoding. */
  readonly error: H2Error | undefined;
  /** The HEADERS frame's RFC 7540 priority block, when it had the PRIORITY flag. */
  readonly priority: PrioritySpec | undefined;
}

/**
 * A sans-I/O HTTP/2 connection for either role.
 *
 * Commands (`sendHeaders`, `sendData`, `ping`, ...) only queue bytes; call
 * {@link dataToSend} to take them as one array and write it to the socket.
 * Feed everything read from the socket to {@link receive}, which returns the
 * events it caused and never throws for anything the peer does: a connection
 * error queues GOAWAY and returns a {@link ConnectionTerminated} event; a
 * stream error queues RST_STREAM and returns a {@link StreamReset}. Misuse of
 * the API throws {@link UsageError} and sends nothing.
 *
 * Bytes given to `receive` are referenced, not copied (DATA payloads are
 * views into them), so do not reuse such a buffer afterwards.
 *
 * @example A request and its response, in memory
 * ```ts
 * import { H2Connection } from "./connection.ts";
 *
 * const client = new H2Connection({ role: "client" });
 * const server = new H2Connection({ role: "server" });
 * client.initiateConnection();
 * server.initiateConnection();
 * const id = client.getNextAvailableStreamId();
 * client.sendHeaders(id, [
 *   { name: ":method", value: "GET" },
 *   { name: ":scheme", value: "https" },
 *   { name: ":authority", value: "example.com" },
 *   { name: ":path", value: "/" },
 * ], { endStream: true });
 * const request = server.receive(client.dataToSend()).find((e) => e.type === "request_received");
 * if (request === undefined) throw new Error("the server saw no request");
 * server.sendHeaders(id, [{ name: ":status", value: "200" }]);
 * server.sendData(id, new TextEncoder().encode("hi"), { endStream: true });
 * const events = client.receive(server.dataToSend());
 * if (!events.some((e) => e.type === "data_received")) throw new Error("no response body");
 * ```
 */
export class H2Connection {
  /** The resolved configuration. */
  readonly config: H2Config;
  readonly #client: boolean;
  #out = new ByteWriter(16_384);
  /** The other half of the double buffer behind {@link dataToSendView}. */
  #spare: ByteWriter | undefined;
  /** Consecutive small batches handed out by {@link dataToSendView} (capped). */
  #smallBatches = 0;
  readonly #scratch = new ByteWriter(1024);
  readonly #reader: FrameReader;
  readonly #decoder: HpackDecoder;
  readonly #encoder = new HpackEncoder();
  readonly #scheduler: DataScheduler;
  readonly #facts = new FieldFacts();

  readonly #streams = new Map<number, H2Stream>();
  readonly #closed = new Map<number, ClosedReason>();
  // Insertion order of #closed as a ring, so eviction is O(1) (iterating a Map that churns
  // skips its deleted entries and dominated the profile).
  readonly #closedRing: Int32Array;
  #closedAt = 0;
  readonly #local: LocalSettings;
  #remote: Settings = DEFAULT_SETTINGS;

  #sendWindow = 65_535;
  readonly #recvWindow: InboundWindow;

  #started = false;
  #terminated = false;
  #prefaceLeft: number;
  #sawSettings = false;
  #block: PendingBlock | undefined;
  #events: H2Event[] = NO_EVENTS;
  #now: number | undefined;

  #nextStreamId: number;
  #highestInbound = 0;
  #openLocal = 0;
  #openRemote = 0;
  #goawaySent = -1;
  #goawayReceived = -1;
  #goawayReceivedCode: number = ErrorCode.NO_ERROR;

  readonly #resetBucket: TokenBucket;
  readonly #localResetBucket: TokenBucket;
  readonly #controlBucket: TokenBucket;
  #queuedControl = 0;
  #emptyFrames = 0;
  #wuCredit: number;

  /**
   * Creates a connection; nothing is queued until `initiateConnection`.
   *
   * @param options Role, advertised settings and limits.
   * @throws {RangeError} An option is out of range.
   */
  constructor(options: H2ConnectionOptions) {
    const c = resolveConfig(options);
    this.config = c;
    this.#client = c.role === "client";
    this.#nextStreamId = this.#client ? 1 : 2;
    this.#prefaceLeft = this.#client ? 0 : CONNECTION_PREFACE.length;
    this.#reader = new FrameReader();
    this.#decoder = new HpackDecoder({ maxHeaderListSize: c.maxHeaderListSize });
    const scheduler = options.scheduler;
    this.#scheduler = typeof scheduler === "function"
      ? scheduler()
      : scheduler ?? new PriorityScheduler({
        maxConcurrentStreams: c.maxConcurrentStreams,
        noRfc7540Priorities: !c.rfc7540Priorities,
      });
    this.#local = new LocalSettings(DEFAULT_SETTINGS);
    this.#recvWindow = new InboundWindow(65_535, c.connectionWindowSize);
    this.#resetBucket = new TokenBucket(c.resetRate.burst, c.resetRate.perSecond);
    this.#localResetBucket = new TokenBucket(c.localResetRate.burst, c.localResetRate.perSecond);
    this.#controlBucket = new TokenBucket(c.controlFrameRate.burst, c.controlFrameRate.perSecond);
    this.#wuCredit = c.maxWindowUpdateCredit;
    this.#closedRing = new Int32Array(Math.max(1, c.maxClosedStreams));
  }

  // ---------------------------------------------------------------- accessors

  /**
   * The outbound DATA scheduler (the one given in the options, or the default
   * `PriorityScheduler`), for inspecting which priority scheme is in use (RFC 9218 §2.1).
   */
  get scheduler(): DataScheduler {
    return this.#scheduler;
  }

  /** This endpoint's role. */
  get role(): "client" | "server" {
    return this.config.role;
  }

  /** Our settings in force (acknowledged by the peer, RFC 9113 §6.5.3). */
  get localSettings(): Settings {
    return this.#local.current;
  }

  /** Our settings once every SETTINGS frame in flight is acknowledged. */
  get pendingLocalSettings(): Settings {
    return this.#local.effective;
  }

  /**
   * Number of our SETTINGS frames the peer has not acknowledged yet; a caller enforcing
   * SETTINGS_TIMEOUT (RFC 9113 §6.5.3) checks it after its own timer fires.
   */
  get settingsAwaitingAck(): number {
    return this.#local.pendingCount;
  }

  /** The peer's settings, as last received. */
  get remoteSettings(): Settings {
    return this.#remote;
  }

  /** Whether the connection ended (GOAWAY sent after an error or by `closeConnection`). */
  get isClosed(): boolean {
    return this.#terminated;
  }

  /** Streams we opened that are open or half-closed (count against the peer's limit). */
  get openOutboundStreams(): number {
    return this.#openLocal;
  }

  /** Streams the peer opened that are open or half-closed (count against our limit). */
  get openInboundStreams(): number {
    return this.#openRemote;
  }

  /** The highest stream id the peer initiated so far. */
  get highestInboundStreamId(): number {
    return this.#highestInbound;
  }

  /** The last-stream-id of the peer's GOAWAY, or -1 when none arrived. */
  get remoteGoAwayLastStreamId(): number {
    return this.#goawayReceived;
  }

  /**
   * The error code of the peer's latest GOAWAY (NO_ERROR when none arrived). Known before the
   * `StreamReset` events of the streams that GOAWAY refused, which come ahead of its
   * `ConnectionTerminated`.
   */
  get remoteGoAwayErrorCode(): number {
    return this.#goawayReceivedCode;
  }

  /**
   * The id the next locally-initiated stream should use (RFC 9113 §5.1.1).
   *
   * @throws {UsageError} When the identifier space is exhausted.
   */
  getNextAvailableStreamId(): number {
    if (this.#nextStreamId > MAX_STREAM_ID) {
      throw new UsageError("Cannot open a stream: stream identifiers are exhausted");
    }
    return this.#nextStreamId;
  }

  /**
   * The state of a stream (RFC 9113 §5.1). Streams never used are idle; streams that ended or
   * were forgotten are closed.
   */
  streamState(streamId: number): StreamState {
    const s = this.#streams.get(streamId);
    if (s !== undefined) return s.state;
    if (streamId === 0) return StreamState.IDLE;
    const ours = (streamId & 1) === (this.#client ? 1 : 0);
    if (ours) return streamId < this.#nextStreamId ? StreamState.CLOSED : StreamState.IDLE;
    return streamId <= this.#highestInbound ? StreamState.CLOSED : StreamState.IDLE;
  }

  /**
   * How many DATA octets {@link sendData} may send on a stream right now: the smaller of the
   * connection and stream send windows (RFC 9113 §6.9). 0 for streams that cannot send.
   * With `streamId` 0, the connection window alone.
   */
  localFlowControlWindow(streamId: number): number {
    if (streamId === 0) return this.#sendWindow;
    const s = this.#streams.get(streamId);
    if (s === undefined) return 0;
    const w = Math.min(this.#sendWindow, s.sendWindow);
    return w > 0 ? w : 0;
  }

  /**
   * How many octets the peer may still send us on a stream (or the connection, for 0) before we
   * return capacity (RFC 9113 §6.9).
   */
  remoteFlowControlWindow(streamId: number): number {
    if (streamId === 0) return this.#recvWindow.size;
    return this.#streams.get(streamId)?.recv.size ?? 0;
  }

  /** The largest DATA payload we may put in one frame: the peer's SETTINGS_MAX_FRAME_SIZE. */
  get maxOutboundFrameSize(): number {
    return this.#remote.maxFrameSize;
  }

  /** Octets buffered by {@link enqueueData} and not yet written on a stream. */
  bufferedAmount(streamId: number): number {
    return this.#streams.get(streamId)?.pendingBytes ?? 0;
  }

  // ---------------------------------------------------------------- commands: connection

  /**
   * Starts the connection: the client preface and our SETTINGS (client), or our SETTINGS
   * (server), plus a connection WINDOW_UPDATE when a larger connection window is configured
   * (RFC 9113 §3.4).
   *
   * @throws {UsageError} When already started.
   */
  initiateConnection(): void {
    if (this.#started) throw new UsageError("Cannot initiate the connection: already started");
    this.#started = true;
    if (this.#client) this.#out.bytes(CONNECTION_PREFACE);
    this.#writeInitialSettings();
  }

  /**
   * Starts an h2c connection upgraded from HTTP/1.1 (RFC 7540 §3.2).
   *
   * Client: returns the `HTTP2-Settings` header value for the Upgrade request and reserves
   * stream 1 as half-closed (local) for that request's response; send the returned value,
   * and after `101 Switching Protocols` write {@link dataToSend} (preface + SETTINGS).
   *
   * Server: pass the request's `HTTP2-Settings` value; it is applied as the client's settings,
   * stream 1 becomes half-closed (remote) for the response, and our SETTINGS are queued (send
   * them right after the 101 response). The client's preface is still expected.
   *
   * @param http2Settings Server only: the client's `HTTP2-Settings` header value.
   * @returns Client: the header value to send. Server: `undefined`.
   * @throws {UsageError} Already started, or (server) a malformed header value.
   */
  initiateUpgradeConnection(http2Settings?: string): string | undefined {
    if (this.#started) throw new UsageError("Cannot upgrade the connection: already started");
    if (this.#client) {
      this.#started = true;
      this.#out.bytes(CONNECTION_PREFACE);
      const entries = this.#writeInitialSettings();
      // The 101 response acknowledges the header's settings implicitly (RFC 7540 §3.2.1), so the
      // server may use them before it ACKs the SETTINGS frame: apply them now. The frame stays
      // pending; its ACK then changes nothing.
      this.#applyLocal(this.#local.acknowledge()!);
      this.#local.push(entries);
      const payload = new Uint8Array(entries.length * 6);
      entries.forEach(([id, v], i) => {
        const at = i * 6;
        payload[at] = id >>> 8;
        payload[at + 1] = id;
        payload[at + 2] = v >>> 24;
        payload[at + 3] = v >>> 16;
        payload[at + 4] = v >>> 8;
        payload[at + 5] = v;
      });
      const s = this.#newStream(1, true);
      this.#streams.set(1, s);
      this.#enter(s, StreamState.HALF_CLOSED_LOCAL);
      s.sendPhase = MessagePhase.FINAL;
      this.#nextStreamId = 3;
      return encodeBase64Url(payload);
    }
    const bytes = http2Settings === undefined ? undefined : decodeBase64Url(http2Settings);
    if (bytes === undefined || bytes.length % 6 !== 0) {
      throw new UsageError(`Cannot upgrade the connection: HTTP2-Settings is not valid base64url`);
    }
    let remote = this.#remote;
    for (let at = 0; at < bytes.length; at += 6) {
      const id = (bytes[at] << 8) | bytes[at + 1];
      const v = ((bytes[at + 2] << 24) | (bytes[at + 3] << 16) | (bytes[at + 4] << 8) |
        bytes[at + 5]) >>> 0;
      try {
        validateSetting(id, v);
      } catch (e) {
        throw new UsageError(`Cannot upgrade the connection: ${(e as Error).message}`);
      }
      remote = applySetting(remote, id, v);
    }
    this.#started = true;
    this.#remote = remote;
    this.#encoder.setPeerMaxTableSize(remote.headerTableSize);
    this.#writeInitialSettings();
    const s = this.#newStream(1, false);
    this.#streams.set(1, s);
    this.#enter(s, StreamState.HALF_CLOSED_REMOTE);
    s.recvPhase = MessagePhase.FINAL;
    this.#highestInbound = 1;
    return undefined;
  }

  /**
   * Sends a PING (RFC 9113 §6.7); its ACK arrives as {@link PingAckReceived}.
   *
   * @param data Exactly 8 opaque octets; zeros by default.
   */
  ping(data: Uint8Array = new Uint8Array(8)): void {
    this.#assertUsable("send a PING");
    if (data.length !== 8) {
      throw new UsageError(`Cannot send a PING: data has ${data.length} octets, not 8`);
    }
    encodeFrame(new PingFrame({ data }), this.#out);
  }

  /**
   * Sends a SETTINGS frame with new values; they take effect for the peer when it acknowledges
   * them ({@link SettingsAcknowledged}, RFC 9113 §6.5.3).
   *
   * @param update The settings to change.
   * @throws {UsageError} A value out of range, or a setting the role may not send.
   */
  updateSettings(update: SettingsUpdate): void {
    this.#assertUsable("update settings");
    const entries: [number, number][] = [];
    const add = (id: number, v: number | boolean | undefined) => {
      if (v === undefined) return;
      const n = typeof v === "boolean" ? (v ? 1 : 0) : v;
      if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) {
        throw new UsageError(
          `Cannot update settings: value ${v} of 0x${id.toString(16)} is invalid`,
        );
      }
      try {
        validateSetting(id, n);
      } catch (e) {
        throw new UsageError(`Cannot update settings: ${(e as Error).message}`);
      }
      entries.push([id, n]);
    };
    if (update.enablePush === true && !this.#client) {
      throw new UsageError("Cannot update settings: a server must not enable push");
    }
    if (update.enableConnectProtocol !== undefined && this.#client) {
      throw new UsageError("Cannot update settings: only a server sends ENABLE_CONNECT_PROTOCOL");
    }
    if (
      update.enableConnectProtocol === false && this.#local.effective.enableConnectProtocol
    ) {
      throw new UsageError("Cannot update settings: ENABLE_CONNECT_PROTOCOL cannot be turned off");
    }
    add(SettingCode.HEADER_TABLE_SIZE, update.headerTableSize);
    add(SettingCode.ENABLE_PUSH, update.enablePush);
    add(SettingCode.MAX_CONCURRENT_STREAMS, update.maxConcurrentStreams);
    add(SettingCode.INITIAL_WINDOW_SIZE, update.initialWindowSize);
    add(SettingCode.MAX_FRAME_SIZE, update.maxFrameSize);
    add(SettingCode.MAX_HEADER_LIST_SIZE, update.maxHeaderListSize);
    add(SettingCode.ENABLE_CONNECT_PROTOCOL, update.enableConnectProtocol);
    this.#writeSettings(entries);
  }

  /**
   * Sends GOAWAY and ends the connection: nothing but {@link dataToSend} works afterwards
   * (RFC 9113 §6.8). For a graceful close that lets streams finish, use
   * {@link startGracefulShutdown} and {@link finishGracefulShutdown}.
   *
   * @param errorCode The GOAWAY code; NO_ERROR by default.
   * @param options Last-stream-id and debug data.
   */
  closeConnection(errorCode: number = ErrorCode.NO_ERROR, options: CloseOptions = {}): void {
    this.#assertUsable("close the connection");
    this.#pump(); // buffered DATA the windows allow goes out before the GOAWAY
    const last = options.lastStreamId ?? this.#highestInbound;
    this.#writeGoAway(last, errorCode, options.debugData ?? EMPTY);
    this.#terminated = true;
  }

  /**
   * Phase one of a graceful shutdown: GOAWAY with last-stream-id 2^31-1 and NO_ERROR, telling the
   * peer to open no new streams while those in flight still arrive (RFC 9113 §6.8). Send a PING
   * too and call {@link finishGracefulShutdown} when its ACK arrives (one round trip later).
   */
  startGracefulShutdown(): void {
    this.#assertUsable("shut down");
    this.#writeGoAway(MAX_STREAM_ID, ErrorCode.NO_ERROR, EMPTY);
  }

  /**
   * Phase two of a graceful shutdown: GOAWAY with the last stream the peer opened. Later
   * streams are ignored; open ones run to completion (RFC 9113 §6.8).
   */
  finishGracefulShutdown(): void {
    this.#assertUsable("shut down");
    this.#writeGoAway(this.#highestInbound, ErrorCode.NO_ERROR, EMPTY);
  }

  /**
   * Returns everything queued for the peer as one array (possibly empty) and resets the queue.
   * Buffered data from {@link enqueueData} is written first, as far as the windows allow.
   */
  dataToSend(): Uint8Array {
    if (!this.#terminated) this.#pump();
    this.#queuedControl = 0;
    const out = this.#out;
    // Small bursts are copied out so the writer keeps its buffer: allocating a fresh, zeroed
    // buffer as large as the last one (what take() does) costs more than copying a few KiB.
    if (out.length <= SMALL_OUTPUT) {
      const bytes = out.toBytes();
      out.clear();
      return bytes;
    }
    return out.take();
  }

  /**
   * Like {@link dataToSend}, but the returned array is lent, not given: it stays valid until
   * the next call of this method, so write it completely before asking again. Two buffers
   * take turns (one being written to the socket, one collecting new frames), so a bulk
   * transfer neither allocates nor regrows an output buffer per write. Use it from an I/O loop
   * that writes one batch at a time; use {@link dataToSend} when the bytes are kept.
   *
   * @returns A view of everything queued for the peer (possibly empty).
   */
  dataToSendView(): Uint8Array {
    if (!this.#terminated) this.#pump();
    this.#queuedControl = 0;
    const out = this.#out;
    const view = out.buffer.subarray(0, out.length);
    const next = this.#spare ?? new ByteWriter(SMALL_OUTPUT);
    // The spare's bytes were written by the caller since the previous call: reuse its memory,
    // but give a bulk-sized buffer back once traffic is quiet again. Quiet means a run of small
    // batches, not one: bulk traffic interleaves small batches (WINDOW_UPDATEs, HEADERS) with
    // large ones, and shrinking on each of those made the next large batch regrow the buffer
    // by doubling and copying (the largest cost of a streaming server, by profile).
    if (view.length <= SMALL_OUTPUT) {
      if (this.#smallBatches < QUIET_BATCHES) this.#smallBatches++;
    } else {
      this.#smallBatches = 0;
    }
    next.clear(this.#smallBatches >= QUIET_BATCHES ? IDLE_OUTPUT_CAPACITY : Infinity);
    this.#spare = out;
    this.#out = next;
    return view;
  }

  // ---------------------------------------------------------------- commands: streams

  /**
   * Sends a field section on a stream: a request (client, opening the stream), a response or a
   * 1xx informational response (server), or trailers (with `endStream`). RFC 9113 §8.1.
   *
   * Trailers given while {@link enqueueData} data is still buffered are sent after it.
   *
   * @param streamId The stream; for a new request, {@link getNextAvailableStreamId}.
   * @param headers The fields, pseudo-headers first.
   * @param options END_STREAM.
   * @throws {UsageError} Invalid fields, or a stream that cannot send headers now.
   */
  sendHeaders(streamId: number, headers: HeaderField[], options: SendHeadersOptions = {}): void {
    this.#assertUsable("send headers");
    const endStream = options.endStream === true;
    let s = this.#streams.get(streamId);
    if (s === undefined) {
      s = this.#openLocalStream(streamId);
    }
    // A client sends a request then trailers; a server (on requests and on its pushes) sends
    // 1xx responses, the final response, then trailers.
    const section = this.#client
      ? (s.sendPhase === MessagePhase.NONE ? FieldSection.REQUEST : FieldSection.TRAILERS)
      : (s.sendPhase >= MessagePhase.FINAL ? FieldSection.TRAILERS : FieldSection.RESPONSE);
    if (section === FieldSection.TRAILERS && !endStream) {
      throw new UsageError(`Cannot send trailers on stream ${streamId} without END_STREAM`);
    }
    const facts = this.#facts;
    if (this.config.validateOutboundHeaders) {
      // Shared immutable lists (a server's constant response headers) are checked once.
      const why = checkFieldSectionOnce(
        headers,
        section,
        this.#remote.enableConnectProtocol,
        facts,
      );
      if (why !== undefined) {
        throw new UsageError(`Cannot send headers on stream ${streamId}: ${why}`);
      }
    } else {
      facts.reset();
      if (section === FieldSection.RESPONSE) {
        const st = headers.find((h) => h.name === ":status")?.value;
        facts.status = st === undefined ? 200 : Number(st);
      }
    }
    const peerLimit = this.#remote.maxHeaderListSize;
    if (peerLimit !== Infinity) {
      let size = 0;
      for (let i = 0; i < headers.length; i++) {
        size += headers[i].name.length + headers[i].value.length + 32;
      }
      if (size > peerLimit) {
        throw new UsageError(
          `Cannot send headers on stream ${streamId}: ${size} octets exceed the peer's SETTINGS_MAX_HEADER_LIST_SIZE ${peerLimit}`,
        );
      }
    }
    const informational = section === FieldSection.RESPONSE && facts.status < 200;
    if (informational && endStream) {
      throw new UsageError(`Cannot end stream ${streamId} with a 1xx informational response`);
    }
    const next = transition(s.state, StreamInput.SEND_HEADERS);
    if (next < 0) throw this.#sendError(s, "send headers");
    let sendMax = s.sendMax;
    let sendExact = s.sendExact;
    if (section === FieldSection.REQUEST || (section === FieldSection.RESPONSE && !informational)) {
      // What our own content-length promises (RFC 9110 §8.6); HEAD, 204 and 304 responses carry
      // no content whatever it says (§6.4.1).
      const st = facts.status;
      if (!this.#client && (s.method === "HEAD" || st === 204 || st === 304)) {
        sendMax = 0;
        sendExact = -1;
      } else {
        sendExact = facts.contentLength;
        sendMax = sendExact < 0 ? Infinity : sendExact;
      }
      if (endStream && sendExact > 0) {
        throw new UsageError(
          `Cannot end stream ${streamId}: content-length ${sendExact} promises a body`,
        );
      }
    } else if (endStream) {
      this.#checkSentLength(s);
    }
    if (endStream && s.hasPending) {
      if (section !== FieldSection.TRAILERS || s.pendingEnd || s.pendingTrailers) {
        throw new UsageError(`Cannot send headers on stream ${streamId}: data is still buffered`);
      }
      s.pendingTrailers = headers;
      s.pendingEnd = false;
      this.#updateReady(s);
      return;
    }
    if (endStream && transition(next as StreamState, StreamInput.SEND_END_STREAM) < 0) {
      throw this.#sendError(s, "end the stream");
    }
    if (s.state === StreamState.IDLE) {
      if (this.#openLocal >= this.#remote.maxConcurrentStreams) {
        throw new UsageError(
          `Cannot open stream ${streamId}: the peer allows ${this.#remote.maxConcurrentStreams} concurrent streams`,
        );
      }
      s.method = facts.method;
    } else if (s.state === StreamState.RESERVED_LOCAL) {
      if (this.#openLocal >= this.#remote.maxConcurrentStreams) {
        throw new UsageError(`Cannot start pushed stream ${streamId}: too many concurrent streams`);
      }
    }
    // Encoding may still throw (a non-octet code unit); nothing has changed until it succeeded.
    this.#writeHeaders(s, headers, endStream);
    if (s.state === StreamState.IDLE) {
      this.#nextStreamId = streamId + 2;
      this.#streams.set(streamId, s);
    }
    s.sendMax = sendMax;
    s.sendExact = sendExact;
    s.sendPhase = informational
      ? MessagePhase.INFORMATIONAL
      : section === FieldSection.TRAILERS
      ? MessagePhase.TRAILERS
      : MessagePhase.FINAL;
    // A client's own `priority` field orders its request bodies (RFC 9218 §5).
    this.#enter(
      s,
      next as StreamState,
      section === FieldSection.REQUEST ? priorityInit(headers, undefined) : undefined,
    );
    if (endStream) this.#enter(s, transition(s.state, StreamInput.SEND_END_STREAM) as StreamState);
  }

  /**
   * Sends DATA now, split into frames of at most the peer's max frame size (RFC 9113 §6.1).
   * Never exceeds the flow-control windows: check {@link localFlowControlWindow} first, or use
   * {@link enqueueData} to let the connection send as windows open.
   *
   * @param streamId The stream.
   * @param data The body octets (copied into the output).
   * @param options END_STREAM.
   * @throws {UsageError} The stream cannot send, data is buffered, or the window is too small.
   */
  sendData(streamId: number, data: Uint8Array, options: SendDataOptions = {}): void {
    this.#assertUsable("send data");
    const s = this.#liveStream(streamId, "send data");
    const endStream = options.endStream === true;
    if (transition(s.state, StreamInput.SEND_DATA) < 0) throw this.#sendError(s, "send data");
    if (s.sendPhase !== MessagePhase.FINAL) {
      throw new UsageError(`Cannot send data on stream ${streamId}: send the final headers first`);
    }
    if (s.hasPending) {
      throw new UsageError(
        `Cannot send data on stream ${streamId}: enqueued data is still pending`,
      );
    }
    const n = data.length;
    this.#checkBody(s, n, endStream);
    const window = Math.min(this.#sendWindow, s.sendWindow);
    if (n > 0 && n > window) {
      throw new UsageError(
        `Cannot send ${n} octets on stream ${streamId}: the flow-control window is ${
          window < 0 ? 0 : window
        }`,
      );
    }
    s.sentBody += n;
    const max = this.#remote.maxFrameSize;
    const out = this.#out;
    if (n === 0) {
      writeDataFrameHeader(out, streamId, 0, endStream);
    } else {
      for (let at = 0; at < n; at += max) {
        const len = Math.min(max, n - at);
        writeDataFrameHeader(out, streamId, len, endStream && at + len === n);
        out.bytes(at === 0 && len === n ? data : data.subarray(at, at + len));
        this.#earnWindowUpdates(2);
      }
      this.#sendWindow -= n;
      s.sendWindow -= n;
    }
    if (endStream) this.#enter(s, transition(s.state, StreamInput.SEND_END_STREAM) as StreamState);
  }

  /**
   * Buffers DATA to be written by {@link dataToSend} as flow control allows, streams taking
   * turns through the scheduler (RFC 9113 §5.3, RFC 9218). The array is kept, not copied.
   *
   * @param streamId The stream.
   * @param data Body octets.
   * @param options END_STREAM after this data.
   * @throws {UsageError} The stream cannot send data.
   */
  enqueueData(streamId: number, data: Uint8Array, options: SendDataOptions = {}): void {
    this.#assertUsable("enqueue data");
    const s = this.#liveStream(streamId, "enqueue data");
    if (transition(s.state, StreamInput.SEND_DATA) < 0 || s.pendingEnd || s.pendingTrailers) {
      throw this.#sendError(s, "enqueue data");
    }
    if (s.sendPhase !== MessagePhase.FINAL) {
      throw new UsageError(`Cannot send data on stream ${streamId}: send the final headers first`);
    }
    this.#checkBody(s, data.length, options.endStream === true);
    s.sentBody += data.length;
    if (data.length > 0) {
      s.chunks.push(data);
      s.pendingBytes += data.length;
    }
    if (options.endStream === true) s.pendingEnd = true;
    this.#updateReady(s);
  }

  /**
   * Ends our side of a stream with an empty DATA frame carrying END_STREAM (after any buffered
   * data).
   *
   * @param streamId The stream.
   */
  endStream(streamId: number): void {
    this.#assertUsable("end a stream");
    const s = this.#liveStream(streamId, "end the stream");
    if (s.hasPending) {
      if (s.pendingEnd || s.pendingTrailers) throw this.#sendError(s, "end the stream");
      this.#checkSentLength(s);
      s.pendingEnd = true;
      this.#updateReady(s);
      return;
    }
    this.sendData(streamId, EMPTY, { endStream: true });
  }

  /**
   * Resets a stream with RST_STREAM (RFC 9113 §6.4). Frames the peer already sent on it are
   * ignored. Resetting a closed stream does nothing.
   *
   * @param streamId The stream.
   * @param errorCode The code; CANCEL by default.
   */
  resetStream(streamId: number, errorCode: number = ErrorCode.CANCEL): void {
    this.#assertUsable("reset a stream");
    const s = this.#streams.get(streamId);
    if (s === undefined) {
      if (this.streamState(streamId) === StreamState.CLOSED) return;
      throw new UsageError(`Cannot reset stream ${streamId}: it is idle`);
    }
    encodeFrame(new RstStreamFrame({ streamId, errorCode }), this.#out);
    this.#close(s, ClosedReason.LOCAL_RESET);
  }

  /**
   * Server push (RFC 9113 §8.4): sends PUSH_PROMISE on `parentStreamId` reserving a new stream
   * for the promised request; answer on the returned id with {@link sendHeaders}.
   *
   * @param parentStreamId The client request the push belongs to.
   * @param requestHeaders The promised request (GET or HEAD, no body).
   * @returns The promised stream id.
   * @throws {UsageError} Client role, push disabled by the peer, or a bad parent or request.
   */
  pushStream(parentStreamId: number, requestHeaders: HeaderField[]): number {
    this.#assertUsable("push a stream");
    if (this.#client) throw new UsageError("Cannot push a stream: only servers push");
    if (!this.#remote.enablePush) {
      throw new UsageError("Cannot push a stream: the peer disabled push");
    }
    if (this.#goawayReceived >= 0) {
      throw new UsageError("Cannot push a stream: the peer sent GOAWAY");
    }
    const parent = this.#liveStream(parentStreamId, "push a stream");
    if (
      parent.local ||
      (parent.state !== StreamState.OPEN && parent.state !== StreamState.HALF_CLOSED_REMOTE)
    ) {
      throw new UsageError(`Cannot push on stream ${parentStreamId}: it is not an open request`);
    }
    const why = checkFieldSection(requestHeaders, FieldSection.PUSH_REQUEST, false, this.#facts);
    if (why !== undefined) throw new UsageError(`Cannot push a stream: ${why}`);
    const id = this.getNextAvailableStreamId();
    const s = this.#newStream(id, true);
    s.method = this.#facts.method;
    this.#nextStreamId = id + 2;
    const block = this.#encodeBlock(requestHeaders);
    writePushPromise(this.#out, {
      streamId: parentStreamId,
      promisedStreamId: id,
      block,
      maxFrameSize: this.#remote.maxFrameSize,
    });
    this.#scratch.clear();
    this.#streams.set(id, s);
    this.#enter(s, StreamState.RESERVED_LOCAL);
    return id;
  }

  /**
   * Tells the connection the application consumed `length` octets of DATA on a stream (use each
   * {@link DataReceived}'s `flowControlledLength`). WINDOW_UPDATEs go out in batches once enough
   * is consumed (RFC 9113 §6.9), so a slow reader holds the peer back.
   *
   * When a stream closes, whatever it received and was not yet acknowledged is returned to the
   * connection window automatically (a reset stream's data may never be read), and later calls
   * for that stream do nothing; so the connection window can never leak.
   *
   * @param streamId The stream (its window is skipped once the peer cannot send on it).
   * @param length Octets consumed.
   */
  acknowledgeReceivedData(streamId: number, length: number): void {
    if (this.#terminated) return;
    if (!Number.isInteger(length) || length < 0) {
      throw new UsageError(`Cannot acknowledge ${length} octets: not a non-negative integer`);
    }
    const s = this.#streams.get(streamId);
    // A closed stream's unacknowledged octets went back to the connection when it closed.
    if (s === undefined) return;
    const n = length < s.unacked ? length : s.unacked;
    if (n === 0) return;
    s.unacked -= n;
    const inc = this.#recvWindow.consume(n);
    if (inc > 0) this.#writeWindowUpdate(0, inc);
    if (s.state === StreamState.OPEN || s.state === StreamState.HALF_CLOSED_LOCAL) {
      const sinc = s.recv.consume(n);
      if (sinc > 0) this.#writeWindowUpdate(streamId, sinc);
    }
  }

  /**
   * Opens a receive window by `increment` beyond what was consumed: a manual WINDOW_UPDATE
   * (RFC 9113 §6.9).
   *
   * @param increment 1..2^31-1 octets.
   * @param streamId The stream, or 0 (default) for the connection.
   */
  incrementFlowControlWindow(increment: number, streamId = 0): void {
    this.#assertUsable("update a window");
    if (!Number.isInteger(increment) || increment < 1 || increment > MAX_WINDOW_SIZE) {
      throw new UsageError(`Cannot send WINDOW_UPDATE: increment ${increment} is out of range`);
    }
    if (streamId === 0) {
      this.#recvWindow.grow(increment, 0);
    } else {
      const s = this.#liveStream(streamId, "update the window");
      s.recv.grow(increment, streamId);
    }
    this.#writeWindowUpdate(streamId, increment);
  }

  /**
   * Signals RFC 9218 priority for a stream: a client sends PRIORITY_UPDATE (§7.1); a server
   * re-prioritizes its own sending through the scheduler.
   *
   * @param streamId The request stream.
   * @param priority Urgency 0..7 and incremental.
   */
  prioritize(streamId: number, priority: { urgency: number; incremental: boolean }): void {
    this.#assertUsable("prioritize a stream");
    const { urgency, incremental } = priority;
    if (!Number.isInteger(urgency) || urgency < 0 || urgency > 7) {
      throw new UsageError(`Cannot prioritize stream ${streamId}: urgency ${urgency} is not 0..7`);
    }
    if (this.#client) {
      if ((streamId & 1) === 0 || streamId <= 0) {
        throw new UsageError(`Cannot prioritize stream ${streamId}: not a request stream`);
      }
      encodeFrame(
        new PriorityUpdateFrame({
          prioritizedStreamId: streamId,
          fieldValue: serializePriorityField({ urgency, incremental }),
        }),
        this.#out,
      );
    } else if (this.#streams.has(streamId)) {
      this.#scheduler.setPriority(streamId, { urgency, incremental });
    }
  }

  // ---------------------------------------------------------------- receiving

  /**
   * Processes bytes from the peer, split anywhere, and returns the events they caused.
   *
   * Never throws because of what the peer sent: errors become RST_STREAM ({@link StreamReset})
   * or GOAWAY ({@link ConnectionTerminated}); after the latter, further input is ignored.
   *
   * @param data Received bytes; kept by reference (DATA events are views into them).
   * @param now Current time in milliseconds (any monotonic origin) for the rate limits; without
   *   it the limits do not refill over time and act as plain budgets.
   * @returns The events, in order.
   */
  receive(data: Uint8Array, now?: number): H2Event[] {
    if (this.#terminated) return [];
    if (!this.#started) throw new UsageError("Cannot receive: call initiateConnection first");
    const events: H2Event[] = [];
    this.#events = events;
    if (now !== undefined) this.#now = now;
    let bytes = data;
    if (this.#prefaceLeft > 0) {
      const start = CONNECTION_PREFACE.length - this.#prefaceLeft;
      const n = Math.min(this.#prefaceLeft, bytes.length);
      for (let i = 0; i < n; i++) {
        if (bytes[i] !== CONNECTION_PREFACE[start + i]) {
          this.#terminate(new ProtocolError("Cannot start the connection: invalid client preface"));
          return events;
        }
      }
      this.#prefaceLeft -= n;
      bytes = bytes.subarray(n);
    }
    this.#reader.push(bytes);
    for (;;) {
      try {
        const frame = this.#reader.next();
        if (frame === undefined) break;
        this.#handle(frame);
      } catch (e) {
        if (!this.#onError(e)) break;
      }
      if (this.#terminated) break;
    }
    this.#events = NO_EVENTS;
    return events;
  }

  // ---------------------------------------------------------------- frame handlers

  #handle(f: Frame): void {
    if (!this.#sawSettings) {
      // The peer's preface is a SETTINGS frame (RFC 9113 §3.4).
      if (f.type !== FrameType.SETTINGS || (f as SettingsFrame).ack) {
        throw new ProtocolError("Cannot start the connection: the first frame is not SETTINGS");
      }
      this.#sawSettings = true;
    }
    if (f instanceof UnknownFrame) {
      if (this.#block !== undefined) this.#expectedContinuation();
      this.#spendControl("unknown");
      this.#events.push(new UnknownFrameReceived(f.type, f.streamId, f.flags, f.payload));
      return;
    }
    if (this.#block !== undefined && f.type !== FrameType.CONTINUATION) {
      this.#expectedContinuation();
    }
    switch (f.type) {
      case FrameType.DATA:
        return this.#onData(f);
      case FrameType.HEADERS:
        return this.#onHeaders(f, undefined);
      case FrameType.PRIORITY:
        return this.#onPriority(f);
      case FrameType.RST_STREAM:
        return this.#onRstStream(f);
      case FrameType.SETTINGS:
        return this.#onSettings(f);
      case FrameType.PUSH_PROMISE:
        return this.#onPushPromise(f);
      case FrameType.PING:
        return this.#onPing(f);
      case FrameType.GOAWAY:
        return this.#onGoAway(f);
      case FrameType.WINDOW_UPDATE:
        return this.#onWindowUpdate(f);
      case FrameType.CONTINUATION:
        return this.#onContinuation(f);
      case FrameType.PRIORITY_UPDATE:
        return this.#onPriorityUpdate(f);
      case FrameType.ALTSVC:
        return this.#onAltSvc(f);
      case FrameType.ORIGIN:
        // RFC 8336 is advisory; the connection has no use for it (ignored like unknown frames).
        this.#spendControl("ORIGIN");
        return;
    }
  }

  #expectedContinuation(): never {
    throw new ProtocolError(
      `Cannot accept frame: a CONTINUATION for stream ${this.#block!.streamId} was expected`,
    );
  }

  #onData(f: DataFrame): void {
    const id = f.streamId;
    const len = f.flowControlledLength;
    // Connection-level accounting comes first and always (§6.9): even DATA we discard used it.
    this.#recvWindow.receive(len, 0);
    const s = this.#streams.get(id);
    const outcome = s === undefined
      ? this.#unknownStreamOutcome(id)
      : transition(s.state, StreamInput.RECV_DATA);
    if (outcome < 0 || s === undefined) {
      this.#releaseConnection(len);
      return this.#recvRejected(id, outcome, "DATA");
    }
    const data = f.data;
    const endStream = f.endStream;
    try {
      if (s.recvPhase !== MessagePhase.FINAL) {
        throw new ProtocolError(`Cannot accept DATA on stream ${id}: no final headers received`, {
          scope: "stream",
          streamId: id,
        });
      }
      s.recv.receive(len, id);
      s.receivedLength += data.length;
      if (s.expectedLength >= 0 && s.receivedLength > s.expectedLength) {
        throw new ProtocolError(
          `Cannot accept DATA on stream ${id}: more than content-length ${s.expectedLength}`,
          { scope: "stream", streamId: id },
        );
      }
      if (endStream) this.#checkLength(s);
    } catch (e) {
      this.#releaseConnection(len);
      throw e;
    }
    if (data.length === 0) {
      if (!endStream) this.#countEmpty("DATA");
    } else {
      // The limit is on empty frames in a row: real data in between is progress.
      this.#emptyFrames = 0;
    }
    const ended = endStream ? new StreamEnded(id) : undefined;
    if (len > 0) {
      s.unacked += len;
      this.#events.push(new DataReceived(id, data, len, ended));
    }
    if (ended !== undefined) {
      this.#enter(s, transition(s.state, StreamInput.RECV_END_STREAM) as StreamState);
      this.#events.push(ended);
    }
  }

  #checkLength(s: H2Stream): void {
    if (s.expectedLength >= 0 && s.receivedLength !== s.expectedLength) {
      throw new ProtocolError(
        `Cannot end stream ${s.id}: received ${s.receivedLength} octets, content-length is ${s.expectedLength}`,
        { scope: "stream", streamId: s.id },
      );
    }
  }

  #onHeaders(f: HeadersFrame, error: H2Error | undefined): void {
    if (f.endHeaders) {
      // The common case, a whole block in one frame: no assembly state at all.
      if (f.fragment.length > this.config.maxHeaderBlockSize) this.#blockTooLarge(f.streamId);
      return this.#onBlock(f.streamId, f.fragment, f.endStream, 0, error, f.priority);
    }
    if (f.fragment.length === 0 && !f.endStream) this.#countEmpty("HEADERS");
    const block: PendingBlock = {
      streamId: f.streamId,
      endStream: f.endStream,
      promisedId: 0,
      fragments: [f.fragment],
      size: f.fragment.length,
      frames: 0,
      error,
      priority: f.priority,
    };
    this.#checkBlockSize(block);
    this.#block = block;
  }

  #onPushPromise(f: PushPromiseFrame): void {
    if (!this.#client) {
      throw new ProtocolError("Cannot accept PUSH_PROMISE: clients do not push");
    }
    if (f.endHeaders) {
      if (f.fragment.length > this.config.maxHeaderBlockSize) this.#blockTooLarge(f.streamId);
      return this.#onBlock(f.streamId, f.fragment, false, f.promisedStreamId, undefined, undefined);
    }
    const block: PendingBlock = {
      streamId: f.streamId,
      endStream: false,
      promisedId: f.promisedStreamId,
      fragments: [f.fragment],
      size: f.fragment.length,
      frames: 0,
      error: undefined,
      priority: undefined,
    };
    this.#checkBlockSize(block);
    this.#block = block;
  }

  #onContinuation(f: ContinuationFrame): void {
    const b = this.#block;
    if (b === undefined || b.streamId !== f.streamId) {
      throw new ProtocolError(`Cannot accept CONTINUATION on stream ${f.streamId}: none expected`);
    }
    b.frames++;
    if (b.frames > this.config.maxContinuationFrames) {
      throw new DenialOfServiceError(
        `Cannot accept CONTINUATION on stream ${f.streamId}: more than ${this.config.maxContinuationFrames} frames`,
      );
    }
    if (f.fragment.length === 0 && !f.endHeaders) this.#countEmpty("CONTINUATION");
    b.fragments.push(f.fragment);
    b.size += f.fragment.length;
    this.#checkBlockSize(b);
    if (f.endHeaders) {
      this.#block = undefined;
      const block = new Uint8Array(b.size);
      let at = 0;
      for (const frag of b.fragments) {
        block.set(frag, at);
        at += frag.length;
      }
      this.#onBlock(b.streamId, block, b.endStream, b.promisedId, b.error, b.priority);
    }
  }

  #checkBlockSize(b: PendingBlock): void {
    if (b.size > this.config.maxHeaderBlockSize) this.#blockTooLarge(b.streamId);
  }

  #blockTooLarge(streamId: number): never {
    throw new DenialOfServiceError(
      `Cannot accept field block on stream ${streamId}: more than ${this.config.maxHeaderBlockSize} octets`,
    );
  }

  /**
   * Decodes a complete field block and applies it to its stream (`promisedId` non-zero for
   * PUSH_PROMISE; `error` a frame-layer stream error to apply once the block is decoded;
   * `priority` the HEADERS frame's RFC 7540 priority block).
   */
  #onBlock(
    id: number,
    block: Uint8Array,
    endStream: boolean,
    promisedId: number,
    error: H2Error | undefined,
    priority: PrioritySpec | undefined,
  ): void {
    // Decode first, whatever happens to the stream: the HPACK context is shared by the whole
    // connection and skipping a block would desynchronise it (RFC 9113 §4.3).
    let fields: HeaderField[] | undefined;
    let decodeError: H2Error | undefined;
    try {
      fields = this.#decoder.decode(block);
    } catch (e) {
      if (!(e instanceof H2Error) || e.scope === "connection") throw e;
      decodeError = e;
    }
    if (promisedId !== 0) return this.#onPromise(id, promisedId, fields, decodeError);
    let s = this.#streams.get(id);
    if (s === undefined) {
      const outcome = this.#unknownStreamOutcome(id);
      if (outcome === TransitionError.CLOSED && !this.#closed.has(id)) {
        // Never opened (skipped) or long forgotten: a new stream id must increase (§5.1.1).
        throw new ProtocolError(`Cannot accept HEADERS on stream ${id}: the id is not increasing`);
      }
      if (outcome !== StreamState.IDLE) return this.#recvRejected(id, outcome, "HEADERS");
      // A new stream from the peer (RFC 9113 §5.1.1).
      this.#highestInbound = id;
      this.#earnWindowUpdates(2);
      if (this.#goawaySent >= 0 && id > this.#goawaySent) {
        // After our final GOAWAY new streams are ignored (§6.8): remember it as reset by us.
        this.#remember(id, ClosedReason.LOCAL_RESET);
        return;
      }
      if (this.#openRemote >= this.#local.effective.maxConcurrentStreams) {
        this.#remember(id, ClosedReason.LOCAL_RESET);
        throw new RefusedStreamError(
          `Cannot open stream ${id}: ${this.#openRemote} streams are already open`,
          { streamId: id },
        );
      }
      s = this.#newStream(id, false);
      this.#streams.set(id, s);
    }
    const next = transition(s.state, StreamInput.RECV_HEADERS);
    if (next < 0) return this.#recvRejected(id, next as TransitionError, "HEADERS");
    if (error !== undefined) {
      // The frame layer rejected the HEADERS frame (a self-dependency): no priority to apply.
      this.#enter(s, next as StreamState);
    } else if (s.state === StreamState.IDLE) {
      // A request opens: the scheduler learns its `priority` field and its RFC 7540 block at once
      // (RFC 9218 §5, RFC 9113 §5.3).
      this.#enter(
        s,
        next as StreamState,
        this.#client ? undefined : priorityInit(fields, priority),
      );
    } else {
      // HEADERS with a priority block on an open stream reprioritizes it (RFC 7540 §5.3.3).
      if (priority !== undefined) this.#scheduler.priorityFrame?.(id, priority);
      this.#enter(s, next as StreamState);
    }
    if (error !== undefined) {
      // Re-raised without the frame as cause, so it is not mistaken for a fresh frame error.
      throw new H2Error(error.code, error.message, { scope: "stream", streamId: id });
    }
    if (decodeError !== undefined) {
      // The decoder does not know the stream; the error is scoped to this one.
      throw new H2Error(decodeError.code, decodeError.message, {
        scope: "stream",
        streamId: id,
        cause: decodeError,
      });
    }
    this.#applyHeaders(s, fields!, endStream);
  }

  #applyHeaders(s: H2Stream, fields: HeaderField[], endStream: boolean): void {
    const id = s.id;
    const facts = this.#facts;
    let section: FieldSection;
    if (s.recvPhase === MessagePhase.FINAL) {
      section = FieldSection.TRAILERS;
      if (!endStream) {
        throw new ProtocolError(`Cannot accept trailers on stream ${id} without END_STREAM`, {
          scope: "stream",
          streamId: id,
        });
      }
    } else {
      section = this.#client ? FieldSection.RESPONSE : FieldSection.REQUEST;
    }
    if (this.config.validateInboundHeaders) {
      const why = checkFieldSection(
        fields,
        section,
        this.#local.effective.enableConnectProtocol,
        facts,
      );
      if (why !== undefined) {
        throw new ProtocolError(`Malformed headers on stream ${id}: ${why}`, {
          scope: "stream",
          streamId: id,
        });
      }
    } else {
      facts.reset();
      if (section === FieldSection.RESPONSE) {
        const st = fields.find((h) => h.name === ":status")?.value;
        facts.status = st === undefined ? 200 : Number(st) | 0;
      }
    }
    const ended = endStream ? new StreamEnded(id) : undefined;
    let event: H2Event;
    if (section === FieldSection.TRAILERS) {
      s.recvPhase = MessagePhase.TRAILERS;
      this.#checkLength(s);
      event = new TrailersReceived(id, fields, ended);
    } else if (section === FieldSection.REQUEST) {
      s.recvPhase = MessagePhase.FINAL;
      s.method = facts.method;
      s.expectedLength = facts.contentLength;
      if (endStream) this.#checkLength(s);
      event = new RequestReceived(id, fields, ended);
    } else if (facts.status < 200) {
      if (endStream) {
        throw new ProtocolError(`Cannot end stream ${id} with a 1xx response`, {
          scope: "stream",
          streamId: id,
        });
      }
      s.recvPhase = MessagePhase.INFORMATIONAL;
      event = new InformationalResponseReceived(id, fields);
    } else {
      s.recvPhase = MessagePhase.FINAL;
      // Responses to HEAD and 204/304 carry no content whatever content-length says (§8.1.1).
      const status = facts.status;
      s.expectedLength = s.method === "HEAD" || status === 204 || status === 304
        ? 0
        : facts.contentLength;
      if (endStream) this.#checkLength(s);
      event = new ResponseReceived(id, fields, ended);
    }
    this.#events.push(event);
    if (ended !== undefined) {
      this.#enter(s, transition(s.state, StreamInput.RECV_END_STREAM) as StreamState);
      this.#events.push(ended);
    }
  }

  #onPromise(
    parentId: number,
    id: number,
    fields: HeaderField[] | undefined,
    err: H2Error | undefined,
  ): void {
    if (!this.#local.effective.enablePush) {
      throw new ProtocolError("Cannot accept PUSH_PROMISE: push is disabled");
    }
    if ((id & 1) !== 0 || id <= this.#highestInbound) {
      throw new ProtocolError(
        `Cannot accept PUSH_PROMISE: promised stream ${id} is not a new even id`,
      );
    }
    this.#highestInbound = id;
    const parent = this.#streams.get(parentId);
    if (parent === undefined) {
      const outcome = this.#unknownStreamOutcome(parentId);
      if (outcome === StreamState.IDLE || outcome === TransitionError.PROTOCOL) {
        throw new ProtocolError(`Cannot accept PUSH_PROMISE on idle stream ${parentId}`);
      }
      // The parent is closed: reserve and refuse the promised stream at once.
      this.#remember(id, ClosedReason.LOCAL_RESET);
      if (this.#closed.get(parentId) === ClosedReason.LOCAL_RESET) {
        encodeFrame(new RstStreamFrame({ streamId: id, errorCode: ErrorCode.CANCEL }), this.#out);
        this.#queueControl();
        return;
      }
      throw new StreamClosedError(`Cannot accept PUSH_PROMISE on closed stream ${parentId}`);
    }
    if (
      !parent.local ||
      (parent.state !== StreamState.OPEN && parent.state !== StreamState.HALF_CLOSED_LOCAL)
    ) {
      throw new ProtocolError(`Cannot accept PUSH_PROMISE on stream ${parentId} in this state`);
    }
    const s = this.#newStream(id, false);
    this.#streams.set(id, s);
    this.#enter(s, StreamState.RESERVED_REMOTE);
    if (err !== undefined) {
      throw new H2Error(err.code, err.message, { scope: "stream", streamId: id });
    }
    let reserved = 0;
    for (const t of this.#streams.values()) if (t.state === StreamState.RESERVED_REMOTE) reserved++;
    if (reserved > this.#local.effective.maxConcurrentStreams) {
      throw new RefusedStreamError(`Cannot accept pushed stream ${id}: too many reserved`, {
        streamId: id,
      });
    }
    if (this.config.validateInboundHeaders) {
      const why = checkFieldSection(fields!, FieldSection.PUSH_REQUEST, false, this.#facts);
      if (why !== undefined) {
        throw new ProtocolError(`Malformed pushed request on stream ${id}: ${why}`, {
          scope: "stream",
          streamId: id,
        });
      }
    }
    s.method = this.#facts.method;
    this.#events.push(new PushedStreamReceived(id, parentId, fields!));
  }

  #onRstStream(f: RstStreamFrame): void {
    const id = f.streamId;
    const s = this.#streams.get(id);
    if (s === undefined) {
      if (this.#isIdle(id)) this.#onIdleReset(id);
      return; // closed: nothing to do (§5.1)
    }
    if (!this.#resetBucket.take(this.#now)) {
      throw new DenialOfServiceError("Too many streams reset by the peer (rapid reset)");
    }
    this.#close(s, ClosedReason.REMOTE_RESET);
    this.#events.push(new StreamReset(id, f.errorCode, true, undefined));
  }

  /**
   * RST_STREAM on an idle stream: a connection error by RFC 9113 §6.4, and always one for ids of
   * our own numbering. For an id the peer would open it is ignored by default, because gRPC
   * C-core takes a call's stream id when the call starts but writes its HEADERS later; a call
   * cancelled in between (a 1 ms deadline, say) is reset on a stream we never saw
   * (grpc/grpc#19655), and a GOAWAY would fail every other call on the connection. The stream
   * stays idle rather than opened-and-closed: C-core writes queued resets ahead of the HEADERS
   * of other new streams, so a lower id may still legitimately open after this one. Each such
   * reset costs a rapid-reset token, so a flood still ends in ENHANCE_YOUR_CALM.
   */
  #onIdleReset(id: number): void {
    const theirs = (id & 1) !== (this.#client ? 1 : 0);
    if (!theirs || this.config.rejectIdleStreamReset) {
      throw new ProtocolError(`Cannot accept RST_STREAM on idle stream ${id}`);
    }
    if (!this.#resetBucket.take(this.#now)) {
      throw new DenialOfServiceError("Too many streams reset by the peer (rapid reset)");
    }
  }

  #onSettings(f: SettingsFrame): void {
    this.#spendControl("SETTINGS");
    if (f.ack) {
      const changed = this.#local.acknowledge();
      if (changed === undefined) return; // unsolicited ACK: nothing to apply
      this.#applyLocal(changed);
      this.#events.push(new SettingsAcknowledged(changed));
      return;
    }
    const entries = f.settings;
    if (entries.length > MAX_SETTINGS_ENTRIES) {
      throw new DenialOfServiceError(`Cannot accept SETTINGS with ${entries.length} entries`);
    }
    let remote = this.#remote;
    const changed: ChangedSetting[] = [];
    let noRfc7540: number | undefined;
    for (const [id, value] of entries) {
      validateSetting(id, value);
      if (id === SettingCode.NO_RFC7540_PRIORITIES) noRfc7540 = value;
      if (id === SettingCode.ENABLE_PUSH && value === 1 && this.#client) {
        throw new ProtocolError("Cannot accept SETTINGS_ENABLE_PUSH=1 from a server");
      }
      if (
        id === SettingCode.ENABLE_CONNECT_PROTOCOL && value === 0 && remote.enableConnectProtocol
      ) {
        throw new ProtocolError("Cannot accept SETTINGS_ENABLE_CONNECT_PROTOCOL going back to 0");
      }
      const oldValue = settingValue(remote, id);
      if (id === SettingCode.INITIAL_WINDOW_SIZE) {
        const delta = value - remote.initialWindowSize;
        if (delta !== 0) {
          for (const s of this.#streams.values()) {
            if (s.sendWindow + delta > MAX_WINDOW_SIZE) {
              throw new FlowControlError(
                `Cannot apply SETTINGS_INITIAL_WINDOW_SIZE ${value}: stream ${s.id} window overflows`,
              );
            }
            s.sendWindow += delta;
            this.#updateReady(s);
          }
        }
      }
      remote = applySetting(remote, id, value);
      changed.push({ id, oldValue, newValue: value });
    }
    // The first SETTINGS fixes the peer's choice of priority scheme; a change later is a
    // connection error (RFC 9218 §2.1).
    this.#scheduler.applyPeerSettings?.(noRfc7540);
    const tableChanged = remote.headerTableSize !== this.#remote.headerTableSize;
    this.#remote = remote;
    if (tableChanged) this.#encoder.setPeerMaxTableSize(remote.headerTableSize);
    encodeFrame(new SettingsFrame({ ack: true }), this.#out);
    this.#queueControl();
    this.#events.push(new RemoteSettingsChanged(changed));
  }

  #applyLocal(changed: readonly ChangedSetting[]): void {
    for (const c of changed) {
      switch (c.id) {
        case SettingCode.INITIAL_WINDOW_SIZE: {
          const delta = c.newValue - (c.oldValue ?? 65_535);
          for (const s of this.#streams.values()) {
            s.recv.size += delta;
            s.recv.target = c.newValue;
            // Consumed octets held back for batching may now be all that stands between the
            // peer and a shrunken (even negative) window: re-run the policy or both sides stall.
            if (s.state === StreamState.OPEN || s.state === StreamState.HALF_CLOSED_LOCAL) {
              const inc = s.recv.consume(0);
              if (inc > 0) this.#writeWindowUpdate(s.id, inc);
            }
          }
          break;
        }
        case SettingCode.HEADER_TABLE_SIZE:
          this.#decoder.setMaxAllowedTableSize(c.newValue);
          break;
        case SettingCode.MAX_FRAME_SIZE:
          this.#reader.maxFrameSize = c.newValue;
          break;
        case SettingCode.MAX_HEADER_LIST_SIZE:
          this.#decoder.maxHeaderListSize = c.newValue;
          break;
      }
    }
  }

  #onPing(f: PingFrame): void {
    this.#spendControl("PING");
    if (f.ack) {
      this.#events.push(new PingAckReceived(f.data));
      return;
    }
    encodeFrame(new PingFrame({ ack: true, data: f.data }), this.#out);
    this.#queueControl();
    this.#events.push(new PingReceived(f.data));
  }

  #onGoAway(f: GoAwayFrame): void {
    const last = this.#goawayReceived < 0
      ? f.lastStreamId
      : Math.min(this.#goawayReceived, f.lastStreamId);
    this.#goawayReceived = last;
    this.#goawayReceivedCode = f.errorCode;
    // Our streams above last-stream-id were never processed: safe to retry elsewhere (§6.8).
    for (const s of [...this.#streams.values()]) {
      if (s.local && s.id > last) {
        this.#close(s, ClosedReason.REMOTE_RESET);
        this.#events.push(new StreamReset(s.id, ErrorCode.REFUSED_STREAM, true, undefined));
      }
    }
    this.#events.push(
      new ConnectionTerminated(f.errorCode, f.lastStreamId, f.debugData, true, undefined),
    );
  }

  #onWindowUpdate(f: WindowUpdateFrame): void {
    if (--this.#wuCredit < 0) {
      throw new DenialOfServiceError("Too many WINDOW_UPDATE frames for the data sent");
    }
    const id = f.streamId;
    if (id === 0) {
      if (this.#sendWindow + f.increment > MAX_WINDOW_SIZE) {
        throw new FlowControlError("Cannot grow the connection send window past 2^31-1");
      }
      this.#sendWindow += f.increment;
    } else {
      const s = this.#streams.get(id);
      if (s === undefined) {
        if (this.#isIdle(id)) {
          throw new ProtocolError(`Cannot accept WINDOW_UPDATE on idle stream ${id}`);
        }
        return; // closed: a late update (§5.1)
      }
      if (s.sendWindow + f.increment > MAX_WINDOW_SIZE) {
        throw new FlowControlError(`Cannot grow the send window of stream ${id} past 2^31-1`, {
          scope: "stream",
          streamId: id,
        });
      }
      s.sendWindow += f.increment;
      this.#updateReady(s);
    }
    this.#events.push(new WindowUpdated(id, f.increment));
  }

  #onPriorityUpdate(f: PriorityUpdateFrame): void {
    if (this.#client) throw new ProtocolError("Cannot accept PRIORITY_UPDATE from a server");
    this.#spendControl("PRIORITY_UPDATE");
    const id = f.prioritizedStreamId;
    if ((id & 1) === 0) {
      throw new ProtocolError(`Cannot accept PRIORITY_UPDATE for stream ${id}: not a request`);
    }
    const p = parsePriorityField(f.fieldValue);
    if (p === undefined) return; // RFC 9218 §7: an unparsable value may be ignored
    // The scheduler tells the client's signal from the application's override (which wins) and
    // buffers updates for idle streams itself, bounded by SETTINGS_MAX_CONCURRENT_STREAMS
    // (RFC 9218 §7.1); exceeding that bound throws a connection error.
    this.#scheduler.priorityUpdate?.(id, f.fieldValue);
    this.#events.push(new PriorityUpdated(id, p.urgency, p.incremental, f.fieldValue));
  }

  #onPriority(f: PriorityFrame): void {
    this.#spendControl("PRIORITY");
    // RFC 7540 signals feed the dependency tree; a scheduler in RFC 9218 mode ignores them but
    // still rejects a self-dependency (stream error, RFC 9113 §5.3.1). Idle and closed streams
    // are legal targets (§6.3): the tree bounds the nodes it keeps for them.
    this.#scheduler.priorityFrame?.(f.streamId, f.priority);
  }

  #onAltSvc(f: AltSvcFrame): void {
    this.#spendControl("ALTSVC");
    if (!this.#client || !f.valid) return; // RFC 7838 §4: servers and invalid frames ignore it
    this.#events.push(new AlternativeServiceAvailable(f.streamId, f.origin, f.fieldValue));
  }

  // ---------------------------------------------------------------- errors

  /** Handles an error thrown while processing input. Returns whether to keep reading. */
  #onError(e: unknown): boolean {
    if (e instanceof H2Error && e.scope === "stream" && e.streamId > 0) {
      if (e.cause instanceof HeadersFrame && e.cause.streamId === e.streamId) {
        // The frame layer rejected a HEADERS frame (self-dependency) but its field block must
        // still be decoded to keep HPACK in sync; the error is applied afterwards.
        try {
          this.#onHeaders(e.cause, e);
          return true;
        } catch (inner) {
          return this.#onError(inner);
        }
      }
      this.#resetForError(e);
      return !this.#terminated;
    }
    const err = e instanceof H2Error
      ? e
      : new H2Error(ErrorCode.INTERNAL_ERROR, "Internal error while processing input", {
        cause: e,
      });
    this.#terminate(err);
    return false;
  }

  #resetForError(e: H2Error): void {
    const id = e.streamId;
    if (!this.#localResetBucket.take(this.#now)) {
      this.#terminate(
        new DenialOfServiceError("Too many streams reset for peer errors", { cause: e }),
      );
      return;
    }
    encodeFrame(new RstStreamFrame({ streamId: id, errorCode: e.code }), this.#out);
    const s = this.#streams.get(id);
    if (s !== undefined) this.#close(s, ClosedReason.LOCAL_RESET);
    else this.#remember(id, ClosedReason.LOCAL_RESET);
    this.#events.push(new StreamReset(id, e.code, false, e));
    this.#queueControl();
  }

  #terminate(e: H2Error): void {
    if (this.#terminated) return;
    const debug = new Uint8Array(Math.min(e.message.length, 256));
    for (let i = 0; i < debug.length; i++) debug[i] = e.message.charCodeAt(i) & 0x7f;
    const last = this.#highestInbound;
    this.#writeGoAway(last, e.code, debug);
    this.#terminated = true;
    this.#block = undefined;
    this.#events.push(new ConnectionTerminated(e.code, last, debug, false, e));
  }

  /**
   * What a frame on a stream absent from the live map means: IDLE when the id is new (and
   * legal to open for a HEADERS from the peer), otherwise an error outcome.
   */
  #unknownStreamOutcome(id: number): StreamState | TransitionError {
    const ours = (id & 1) === (this.#client ? 1 : 0);
    if (ours) {
      if (id >= this.#nextStreamId) return TransitionError.PROTOCOL; // idle stream of ours
    } else if (id > this.#highestInbound) {
      // The peer's idle stream: only a client's HEADERS may open one (a server's arrive via push).
      return this.#client ? TransitionError.PROTOCOL : StreamState.IDLE;
    }
    return TransitionError.CLOSED;
  }

  /** Whether a stream absent from the live map was never used (RFC 9113 §5.1 idle). */
  #isIdle(id: number): boolean {
    return (id & 1) === (this.#client ? 1 : 0)
      ? id >= this.#nextStreamId
      : id > this.#highestInbound;
  }

  /** Raises the error a received frame earns on a stream it may not touch. */
  #recvRejected(id: number, outcome: number, what: string): void {
    if (outcome === TransitionError.STREAM_CLOSED) {
      throw new StreamClosedError(`Cannot accept ${what} on stream ${id}: it is half-closed`, {
        scope: "stream",
        streamId: id,
      });
    }
    if (outcome === TransitionError.CLOSED) {
      const reason = this.#closed.get(id);
      if (reason === ClosedReason.LOCAL_RESET) return; // in flight when we reset it (§5.1)
      if (reason === ClosedReason.END_STREAM) {
        throw new StreamClosedError(`Cannot accept ${what} on stream ${id}: it is closed`);
      }
      throw new StreamClosedError(`Cannot accept ${what} on closed stream ${id}`, {
        scope: "stream",
        streamId: id,
      });
    }
    const state = this.#streams.get(id)?.state ?? StreamState.IDLE;
    throw new ProtocolError(
      `Cannot accept ${what} on stream ${id} in state ${streamStateName(state)}`,
    );
  }

  #spendControl(what: string): void {
    if (!this.#controlBucket.take(this.#now)) {
      throw new DenialOfServiceError(`Too many control frames (${what})`);
    }
  }

  #queueControl(): void {
    if (++this.#queuedControl > this.config.maxQueuedControlFrames) {
      throw new DenialOfServiceError(
        "Too many control frames queued: the peer is not reading our responses",
      );
    }
  }

  #countEmpty(what: string): void {
    if (++this.#emptyFrames > this.config.maxEmptyFrames) {
      throw new DenialOfServiceError(`Too many empty ${what} frames`);
    }
  }

  #earnWindowUpdates(n: number): void {
    const c = this.#wuCredit + n;
    this.#wuCredit = c > this.config.maxWindowUpdateCredit ? this.config.maxWindowUpdateCredit : c;
  }

  #releaseConnection(len: number): void {
    if (len === 0) return;
    const inc = this.#recvWindow.consume(len);
    if (inc > 0) this.#writeWindowUpdate(0, inc);
  }

  // ---------------------------------------------------------------- stream bookkeeping

  #newStream(id: number, local: boolean): H2Stream {
    return new H2Stream(
      id,
      local,
      this.#remote.initialWindowSize,
      this.#local.current.initialWindowSize,
    );
  }

  #openLocalStream(id: number): H2Stream {
    if (!this.#client) {
      throw new UsageError(
        `Cannot send headers on stream ${id}: it is ${streamStateName(this.streamState(id))}`,
      );
    }
    if (!Number.isInteger(id) || (id & 1) === 0 || id < this.#nextStreamId || id > MAX_STREAM_ID) {
      throw new UsageError(
        `Cannot open stream ${id}: the next available stream id is ${this.#nextStreamId}`,
      );
    }
    if (this.#goawayReceived >= 0) {
      throw new UsageError(`Cannot open stream ${id}: the peer sent GOAWAY`);
    }
    return this.#newStream(id, true);
  }

  /** Our own body must not exceed, and at its end must match, our content-length. */
  #checkBody(s: H2Stream, n: number, end: boolean): void {
    if (s.sentBody + n > s.sendMax) {
      throw new UsageError(
        `Cannot send ${n} more octets on stream ${s.id}: the message allows ${
          s.sendMax - s.sentBody
        }`,
      );
    }
    if (end && s.sendExact >= 0 && s.sentBody + n !== s.sendExact) {
      throw new UsageError(
        `Cannot end stream ${s.id}: ${
          s.sentBody + n
        } octets sent, content-length is ${s.sendExact}`,
      );
    }
  }

  #checkSentLength(s: H2Stream): void {
    this.#checkBody(s, 0, true);
  }

  #liveStream(id: number, what: string): H2Stream {
    const s = this.#streams.get(id);
    if (s === undefined) {
      throw new UsageError(
        `Cannot ${what} on stream ${id}: it is ${streamStateName(this.streamState(id))}`,
      );
    }
    return s;
  }

  #sendError(s: H2Stream, what: string): UsageError {
    return new UsageError(
      `Cannot ${what} on stream ${s.id}: it is ${streamStateName(s.state)}`,
    );
  }

  /**
   * Moves a stream to `state`, keeping the concurrency counts and the closed-stream memory; a
   * stream becoming active joins the scheduler with `init`, its priority signals.
   */
  #enter(s: H2Stream, state: StreamState, init?: StreamPriorityInit): void {
    if (state === StreamState.CLOSED) return this.#close(s, ClosedReason.END_STREAM);
    const active = state === StreamState.OPEN || state === StreamState.HALF_CLOSED_LOCAL ||
      state === StreamState.HALF_CLOSED_REMOTE;
    if (active && !s.counted) {
      s.counted = true;
      if (s.local) this.#openLocal++;
      else this.#openRemote++;
      this.#scheduler.add(s.id, init);
    }
    s.state = state;
  }

  #close(s: H2Stream, reason: ClosedReason): void {
    if (s.state === StreamState.CLOSED) return;
    s.state = StreamState.CLOSED;
    if (s.unacked > 0 && !this.#terminated) {
      this.#releaseConnection(s.unacked);
      s.unacked = 0;
    }
    if (s.counted) {
      s.counted = false;
      if (s.local) this.#openLocal--;
      else this.#openRemote--;
    }
    this.#scheduler.remove(s.id);
    this.#streams.delete(s.id);
    s.chunks.length = 0;
    s.pendingBytes = 0;
    s.pendingEnd = false;
    s.pendingTrailers = undefined;
    this.#remember(s.id, reason);
  }

  #remember(id: number, reason: ClosedReason): void {
    const closed = this.#closed;
    if (closed.has(id)) {
      closed.set(id, reason);
      return;
    }
    const ring = this.#closedRing;
    const at = this.#closedAt;
    if (closed.size >= ring.length) closed.delete(ring[at]); // forget the oldest
    ring[at] = id;
    this.#closedAt = at + 1 === ring.length ? 0 : at + 1;
    closed.set(id, reason);
  }

  #updateReady(s: H2Stream): void {
    const ready = (s.pendingBytes > 0 && s.sendWindow > 0) ||
      (s.pendingBytes === 0 && (s.pendingEnd || s.pendingTrailers !== undefined));
    if (s.counted) this.#scheduler.setReady(s.id, ready);
  }

  // ---------------------------------------------------------------- writing

  #assertUsable(what: string): void {
    if (this.#terminated) throw new UsageError(`Cannot ${what}: the connection is closed`);
    if (!this.#started) throw new UsageError(`Cannot ${what}: call initiateConnection first`);
  }

  #writeInitialSettings(): [number, number][] {
    const c = this.config;
    const entries: [number, number][] = [];
    const d = DEFAULT_SETTINGS;
    if (c.headerTableSize !== d.headerTableSize) {
      entries.push([SettingCode.HEADER_TABLE_SIZE, c.headerTableSize]);
    }
    if (this.#client) entries.push([SettingCode.ENABLE_PUSH, c.enablePush ? 1 : 0]);
    entries.push([SettingCode.MAX_CONCURRENT_STREAMS, c.maxConcurrentStreams]);
    if (c.initialWindowSize !== d.initialWindowSize) {
      entries.push([SettingCode.INITIAL_WINDOW_SIZE, c.initialWindowSize]);
    }
    if (c.maxFrameSize !== d.maxFrameSize) {
      entries.push([SettingCode.MAX_FRAME_SIZE, c.maxFrameSize]);
    }
    entries.push([SettingCode.MAX_HEADER_LIST_SIZE, c.maxHeaderListSize]);
    if (c.enableConnectProtocol) entries.push([SettingCode.ENABLE_CONNECT_PROTOCOL, 1]);
    // RFC 9218 §2.1: sent in the first SETTINGS frame or never.
    const noRfc7540 = this.#scheduler.localSetting;
    if (noRfc7540 !== undefined) entries.push([SettingCode.NO_RFC7540_PRIORITIES, noRfc7540]);
    this.#writeSettings(entries);
    if (c.connectionWindowSize > 65_535) {
      const inc = c.connectionWindowSize - 65_535;
      this.#recvWindow.grow(inc, 0);
      this.#writeWindowUpdate(0, inc);
    }
    return entries;
  }

  #writeSettings(entries: [number, number][]): void {
    encodeFrame(new SettingsFrame({ settings: entries }), this.#out);
    this.#local.push(entries);
  }

  #writeGoAway(lastStreamId: number, errorCode: number, debugData: Uint8Array): void {
    if (lastStreamId < MAX_STREAM_ID) {
      this.#goawaySent = this.#goawaySent < 0
        ? lastStreamId
        : Math.min(this.#goawaySent, lastStreamId);
    }
    encodeFrame(new GoAwayFrame({ lastStreamId, errorCode, debugData }), this.#out);
  }

  #writeWindowUpdate(streamId: number, increment: number): void {
    encodeFrame(new WindowUpdateFrame({ streamId, increment }), this.#out);
  }

  #encodeBlock(headers: HeaderField[]): Uint8Array {
    const w = this.#scratch;
    w.clear();
    this.#encoder.encode(headers, w);
    return w.buffer.subarray(0, w.length);
  }

  #writeHeaders(s: H2Stream, headers: HeaderField[], endStream: boolean): void {
    const block = this.#encodeBlock(headers);
    writeFieldBlock(this.#out, {
      streamId: s.id,
      block,
      endStream,
      maxFrameSize: this.#remote.maxFrameSize,
    });
    this.#scratch.clear();
  }

  /** Writes buffered DATA while windows allow, asking the scheduler which stream goes next. */
  #pump(): void {
    const sched = this.#scheduler;
    const out = this.#out;
    const max = this.#remote.maxFrameSize;
    // Every iteration either writes a frame or marks a stream not ready, so this terminates;
    // the guard only protects against a scheduler that ignores setReady.
    for (let guard = 0; guard < 1_000_000; guard++) {
      const id = sched.next();
      if (id === undefined) return;
      const s = this.#streams.get(id);
      if (s === undefined) {
        sched.remove(id); // a scheduler that still lists a closed stream
        continue;
      }
      let n = s.pendingBytes;
      if (n > 0) {
        const window = Math.min(this.#sendWindow, s.sendWindow);
        if (window <= 0) {
          if (this.#sendWindow <= 0) return; // the connection is blocked: nothing can go
          sched.setReady(id, false);
          continue;
        }
        if (n > window) n = window;
        if (n > max) n = max;
      }
      const last = n === s.pendingBytes;
      const endStream = last && s.pendingEnd && s.pendingTrailers === undefined;
      if (n > 0 || endStream) {
        writeDataFrameHeader(out, id, n, endStream);
        let left = n;
        while (left > 0) {
          const c = s.chunks[0];
          const avail = c.length - s.chunkOffset;
          if (avail <= left) {
            out.bytes(s.chunkOffset === 0 ? c : c.subarray(s.chunkOffset));
            left -= avail;
            s.chunks.shift();
            s.chunkOffset = 0;
          } else {
            out.bytes(c.subarray(s.chunkOffset, s.chunkOffset + left));
            s.chunkOffset += left;
            left = 0;
          }
        }
        s.pendingBytes -= n;
        s.sendWindow -= n;
        this.#sendWindow -= n;
        this.#earnWindowUpdates(2);
      }
      sched.charge(id, n);
      if (s.pendingBytes === 0) {
        if (s.pendingTrailers !== undefined) {
          const trailers = s.pendingTrailers;
          s.pendingTrailers = undefined;
          this.#writeHeaders(s, trailers, true);
          s.sendPhase = MessagePhase.TRAILERS;
          this.#enter(s, transition(s.state, StreamInput.SEND_END_STREAM) as StreamState);
        } else if (endStream) {
          s.pendingEnd = false;
          this.#enter(s, transition(s.state, StreamInput.SEND_END_STREAM) as StreamState);
        }
      }
      if (s.state !== StreamState.CLOSED) this.#updateReady(s);
    }
  }
}

const NO_PRIORITY_INIT: StreamPriorityInit = Object.freeze({});

/**
 * A stream's priority signals from its request: the `priority` field lines joined with ", "
 * (RFC 9218 §5, like any list-valued field) and the HEADERS priority block.
 */
function priorityInit(
  fields: HeaderField[] | undefined,
  spec: PrioritySpec | undefined,
): StreamPriorityInit {
  let field: string | undefined;
  if (fields !== undefined) {
    for (let i = 0; i < fields.length; i++) {
      if (fields[i].name === "priority") {
        field = field === undefined ? fields[i].value : field + ", " + fields[i].value;
      }
    }
  }
  if (field === undefined && spec === undefined) return NO_PRIORITY_INIT;
  return { field, spec };
}
