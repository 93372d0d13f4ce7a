/**
 * Configuration of an {@link H2Connection}: its role, the SETTINGS it
 * advertises, and every denial-of-service limit, each with a safe default.
 *
 * Defaults follow the hardened implementations (nghttp2, hyperium h2, Go);
 * see the limits table in the project's notes. Every limit ends in
 * GOAWAY(ENHANCE_YOUR_CALM), a stream reset, or REFUSED_STREAM — never in
 * unbounded memory or CPU.
 *
 * @module
 */

import type { PrioritySpec } from "./frame/priority_spec.ts";
import type { StreamPriorityInit } from "./priority/priority_scheduler.ts";

/** Which side of the connection this endpoint is (RFC 9113 §3.4, §5.1.1). */
export type Role = "client" | "server";

/** A rate limit: `burst` events at once, refilled at `perSecond` (needs `now` in `receive`). */
export interface RateLimit {
  /** Events allowed back to back. */
  readonly burst: number;
  /** Events per second added back, given `now` timestamps. */
  readonly perSecond: number;
}

/**
 * The scheduler the connection asks which stream's buffered DATA to send next
 * (the `SendScheduler` shape of docs/ARCHITECTURE.md). It never sees bytes.
 *
 * The default is `core/priority`'s `PriorityScheduler` (RFC 9218 extensible
 * priorities, or the RFC 7540 tree when configured for it and the peer did not
 * disable it); `RoundRobinScheduler` ignores priorities. The optional members
 * receive the peer's priority signals; a scheduler without them ignores those signals.
 */
export interface DataScheduler {
  /**
   * A stream opened that may carry data, with the priority signals its HEADERS carried: the
   * `priority` field (RFC 9218 §5) and the RFC 7540 priority block (RFC 9113 §6.2).
   */
  add(streamId: number, priority?: StreamPriorityInit): void;
  /** The stream closed. */
  remove(streamId: number): void;
  /**
   * The application's own choice for a stream (RFC 9218 §8 server-side override), which wins
   * over the peer's later signals.
   */
  setPriority(streamId: number, priority: { urgency: number; incremental: boolean }): void;
  /** Optional: a received PRIORITY_UPDATE frame (RFC 9218 §7.1), for an open or idle stream. */
  priorityUpdate?(prioritizedStreamId: number, fieldValue: string): void;
  /**
   * Optional: a received PRIORITY frame, or the priority block of HEADERS on an open stream
   * (RFC 9113 §5.3, §6.3); may throw a stream-scoped `ProtocolError` for a self-dependency.
   */
  priorityFrame?(streamId: number, spec: PrioritySpec): void;
  /**
   * Optional: called once per non-ACK SETTINGS frame from the peer with its
   * SETTINGS_NO_RFC7540_PRIORITIES value, or `undefined` when absent (RFC 9218 §2.1); may throw
   * a `ProtocolError` (connection error).
   */
  applyPeerSettings?(noRfc7540Priorities: number | undefined): void;
  /**
   * Optional: the SETTINGS_NO_RFC7540_PRIORITIES value our first SETTINGS frame carries
   * (RFC 9218 §2.1); left out of SETTINGS when undefined.
   */
  readonly localSetting?: 0 | 1;
  /** The stream has buffered data and window (`true`) or not. */
  setReady(streamId: number, ready: boolean): void;
  /** The ready stream to serve next, or `undefined` when none is ready. */
  next(): number | undefined;
  /** `bytes` were just sent on `streamId`. */
  charge(streamId: number, bytes: number): void;
}

/** Options for {@link H2Connection}; everything but `role` has a safe default. */
export interface H2ConnectionOptions {
  /** Client or server. */
  readonly role: Role;

  // ---- SETTINGS we advertise (RFC 9113 §6.5.2) ----
  /** SETTINGS_HEADER_TABLE_SIZE for our HPACK decoder. Default 4096. */
  readonly headerTableSize?: number;
  /** Client only: accept server push (SETTINGS_ENABLE_PUSH). Default `false`. */
  readonly enablePush?: boolean;
  /** SETTINGS_MAX_CONCURRENT_STREAMS the peer may open. Default 100. */
  readonly maxConcurrentStreams?: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE: our per-stream receive window. Default 65,535. */
  readonly initialWindowSize?: number;
  /** Our connection receive window (raised with a WINDOW_UPDATE at start). Default 65,535. */
  readonly connectionWindowSize?: number;
  /** SETTINGS_MAX_FRAME_SIZE we accept. Default 16,384. */
  readonly maxFrameSize?: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE, enforced by the HPACK decoder. Default 65,536. */
  readonly maxHeaderListSize?: number;
  /** Server only: SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441). Default `false`. */
  readonly enableConnectProtocol?: boolean;

  // ---- Denial-of-service limits ----
  /** CONTINUATION frames allowed after one HEADERS/PUSH_PROMISE. Default 16. */
  readonly maxContinuationFrames?: number;
  /** Bytes of one compressed field block (HEADERS + CONTINUATION). Default 2 × maxHeaderListSize. */
  readonly maxHeaderBlockSize?: number;
  /** RST_STREAM frames received (Rapid Reset, CVE-2023-44487). Default 1000 burst, 33/s. */
  readonly resetRate?: RateLimit;
  /** Streams we reset because of the peer's errors (MadeYouReset, CVE-2025-8671). Default 1000, 33/s. */
  readonly localResetRate?: RateLimit;
  /**
   * PING, SETTINGS (and their ACKs), PRIORITY, PRIORITY_UPDATE, ALTSVC, ORIGIN and unknown frames.
   * Default 10,000 burst, 1000/s.
   */
  readonly controlFrameRate?: RateLimit;
  /** ACKs and resets queued but not drained by `dataToSend` (ping/settings floods). Default 1000. */
  readonly maxQueuedControlFrames?: number;
  /**
   * Empty DATA, HEADERS and CONTINUATION frames without END_STREAM in a row, i.e. with no DATA
   * payload in between (CVE-2019-9518). Default 100.
   */
  readonly maxEmptyFrames?: number;
  /** WINDOW_UPDATE frames beyond what our sending earns them (storms). Default 1000. */
  readonly maxWindowUpdateCredit?: number;
  /** Closed streams remembered for late frames (§5.1 closed). Default 1024. */
  readonly maxClosedStreams?: number;

  // ---- Behaviour ----
  /**
   * Treat RST_STREAM on an idle stream the peer would open (its parity, above every id it used)
   * as the connection error RFC 9113 §5.1 and §6.4 prescribe (PROTOCOL_ERROR). Default `false`:
   * the frame is ignored, though it still spends a `resetRate` token, because gRPC C-core clients
   * (grpcio, grpc++, Ruby, PHP) send one whenever a call is cancelled between taking its stream
   * id and writing its HEADERS (grpc/grpc#19655, #38758), and a GOAWAY then fails every other call
   * on the connection. RST_STREAM on an idle stream of our own numbering is always an error.
   */
  readonly rejectIdleStreamReset?: boolean;
  /** Validate received fields (RFC 9113 §8.2-8.3). Default `true`. */
  readonly validateInboundHeaders?: boolean;
  /** Validate fields given to send commands (UsageError). Default `true`. */
  readonly validateOutboundHeaders?: boolean;
  /**
   * Which priority signals the default scheduler follows (RFC 9218 §2.1). `false` (the default):
   * SETTINGS_NO_RFC7540_PRIORITIES = 1 goes out in our first SETTINGS and RFC 9218 extensible
   * priorities apply (`priority` fields, PRIORITY_UPDATE frames). `true`: we send 0 and follow
   * RFC 7540 PRIORITY frames and HEADERS priority blocks (the dependency tree with weights) unless
   * the peer sends SETTINGS_NO_RFC7540_PRIORITIES = 1, in which case RFC 9218 applies. Ignored
   * when `scheduler` is given.
   */
  readonly rfc7540Priorities?: boolean;
  /**
   * Outbound DATA scheduler for `enqueueData`, or a function creating one (use a function in
   * options shared by several connections: a scheduler belongs to one connection). Default
   * `new PriorityScheduler({ maxConcurrentStreams, noRfc7540Priorities: !rfc7540Priorities })`
   * from `core/priority`; `new RoundRobinScheduler()` ignores priorities.
   */
  readonly scheduler?: DataScheduler | (() => DataScheduler);
}

/** {@link H2ConnectionOptions} with every default filled in. */
export interface H2Config {
  /** Resolved `role` (see {@link H2ConnectionOptions}). */
  readonly role: Role;
  /** Resolved `headerTableSize` (see {@link H2ConnectionOptions}). */
  readonly headerTableSize: number;
  /** Resolved `enablePush` (see {@link H2ConnectionOptions}). */
  readonly enablePush: boolean;
  /** Resolved `maxConcurrentStreams` (see {@link H2ConnectionOptions}). */
  readonly maxConcurrentStreams: number;
  /** Resolved `initialWindowSize` (see {@link H2ConnectionOptions}). */
  readonly initialWindowSize: number;
  /** Resolved `connectionWindowSize` (see {@link H2ConnectionOptions}). */
  readonly connectionWindowSize: number;
  /** Resolved `maxFrameSize` (see {@link H2ConnectionOptions}). */
  readonly maxFrameSize: number;
  /** Resolved `maxHeaderListSize` (see {@link H2ConnectionOptions}). */
  readonly maxHeaderListSize: number;
  /** Resolved `enableConnectProtocol` (see {@link H2ConnectionOptions}). */
  readonly enableConnectProtocol: boolean;
  /** Resolved `maxContinuationFrames` (see {@link H2ConnectionOptions}). */
  readonly maxContinuationFrames: number;
  /** Resolved `maxHeaderBlockSize` (see {@link H2ConnectionOptions}). */
  readonly maxHeaderBlockSize: number;
  /** Resolved `resetRate` (see {@link H2ConnectionOptions}). */
  readonly resetRate: RateLimit;
  /** Resolved `localResetRate` (see {@link H2ConnectionOptions}). */
  readonly localResetRate: RateLimit;
  /** Resolved `controlFrameRate` (see {@link H2ConnectionOptions}). */
  readonly controlFrameRate: RateLimit;
  /** Resolved `maxQueuedControlFrames` (see {@link H2ConnectionOptions}). */
  readonly maxQueuedControlFrames: number;
  /** Resolved `maxEmptyFrames` (see {@link H2ConnectionOptions}). */
  readonly maxEmptyFrames: number;
  /** Resolved `maxWindowUpdateCredit` (see {@link H2ConnectionOptions}). */
  readonly maxWindowUpdateCredit: number;
  /** Resolved `maxClosedStreams` (see {@link H2ConnectionOptions}). */
  readonly maxClosedStreams: number;
  /** Resolved `rejectIdleStreamReset` (see {@link H2ConnectionOptions}). */
  readonly rejectIdleStreamReset: boolean;
  /** Resolved `validateInboundHeaders` (see {@link H2ConnectionOptions}). */
  readonly validateInboundHeaders: boolean;
  /** Resolved `validateOutboundHeaders` (see {@link H2ConnectionOptions}). */
  readonly validateOutboundHeaders: boolean;
  /** Resolved `rfc7540Priorities` (see {@link H2ConnectionOptions}). */
  readonly rfc7540Priorities: boolean;
}

function positive(name: string, v: number, max = 0xffff_ffff): number {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new RangeError(`Cannot configure the connection: "${name}" is ${v}, outside 0..${max}`);
  }
  return v;
}

/**
 * Fills in defaults and checks ranges.
 *
 * @param o The caller's options.
 * @returns The complete configuration.
 * @throws {RangeError} An option is out of range.
 */
export function resolveConfig(o: H2ConnectionOptions): H2Config {
  if (o.role !== "client" && o.role !== "server") {
    throw new RangeError(
      `Cannot configure the connection: role "${o.role}" is not client or server`,
    );
  }
  const maxHeaderListSize = positive("maxHeaderListSize", o.maxHeaderListSize ?? 65_536);
  const maxFrameSize = positive("maxFrameSize", o.maxFrameSize ?? 16_384, 16_777_215);
  if (maxFrameSize < 16_384) {
    throw new RangeError(
      `Cannot configure the connection: "maxFrameSize" ${maxFrameSize} is below 16384`,
    );
  }
  return {
    role: o.role,
    headerTableSize: positive("headerTableSize", o.headerTableSize ?? 4096),
    enablePush: o.role === "client" && (o.enablePush ?? false),
    maxConcurrentStreams: positive("maxConcurrentStreams", o.maxConcurrentStreams ?? 100),
    initialWindowSize: positive("initialWindowSize", o.initialWindowSize ?? 65_535, 0x7fff_ffff),
    connectionWindowSize: Math.max(
      65_535,
      positive("connectionWindowSize", o.connectionWindowSize ?? 65_535, 0x7fff_ffff),
    ),
    maxFrameSize,
    maxHeaderListSize,
    enableConnectProtocol: o.role === "server" && (o.enableConnectProtocol ?? false),
    maxContinuationFrames: positive("maxContinuationFrames", o.maxContinuationFrames ?? 16),
    maxHeaderBlockSize: positive(
      "maxHeaderBlockSize",
      o.maxHeaderBlockSize ?? Math.max(2 * maxHeaderListSize, 16_384),
    ),
    resetRate: o.resetRate ?? { burst: 1000, perSecond: 33 },
    localResetRate: o.localResetRate ?? { burst: 1000, perSecond: 33 },
    controlFrameRate: o.controlFrameRate ?? { burst: 10_000, perSecond: 1000 },
    maxQueuedControlFrames: positive("maxQueuedControlFrames", o.maxQueuedControlFrames ?? 1000),
    maxEmptyFrames: positive("maxEmptyFrames", o.maxEmptyFrames ?? 100),
    maxWindowUpdateCredit: positive("maxWindowUpdateCredit", o.maxWindowUpdateCredit ?? 1000),
    maxClosedStreams: positive("maxClosedStreams", o.maxClosedStreams ?? 1024),
    rejectIdleStreamReset: o.rejectIdleStreamReset ?? false,
    validateInboundHeaders: o.validateInboundHeaders ?? true,
    validateOutboundHeaders: o.validateOutboundHeaders ?? true,
    rfc7540Priorities: o.rfc7540Priorities ?? false,
  };
}
