/**
 * The per-stream record an {@link H2Connection} keeps: state, both
 * flow-control windows, message progress and the buffered outbound body.
 *
 * @module
 */

import type { HeaderField } from "./hpack/header_field.ts";
import { InboundWindow } from "./flow_window.ts";
import { StreamState } from "./stream_state.ts";

/** How a stream reached the closed state; decides what late frames mean (RFC 9113 §5.1). */
export const ClosedReason = {
  /** We sent RST_STREAM: frames in flight are ignored (flow control still counted). */
  LOCAL_RESET: 1,
  /** The peer sent RST_STREAM: further frames are a stream error STREAM_CLOSED. */
  REMOTE_RESET: 2,
  /** Both sides ended with END_STREAM: more HEADERS/DATA is a connection error STREAM_CLOSED. */
  END_STREAM: 3,
} as const;

/** One of the {@link ClosedReason} values. */
export type ClosedReason = typeof ClosedReason[keyof typeof ClosedReason];

/** Message progress in one direction. */
export const MessagePhase = {
  /** Nothing yet. */
  NONE: 0,
  /** One or more 1xx informational responses. */
  INFORMATIONAL: 1,
  /** The request or final response headers. */
  FINAL: 2,
  /** Trailers. */
  TRAILERS: 3,
} as const;

/** One of the {@link MessagePhase} values. */
export type MessagePhase = typeof MessagePhase[keyof typeof MessagePhase];

/**
 * A live (not closed) stream. Internal to the connection: callers use stream ids and the
 * connection's accessors.
 */
export class H2Stream {
  /** The stream identifier. */
  readonly id: number;
  /** Whether we initiated it (our request, or our push). */
  readonly local: boolean;
  /** Current state (RFC 9113 §5.1). */
  state: StreamState = StreamState.IDLE;
  /** Whether it counts toward a SETTINGS_MAX_CONCURRENT_STREAMS limit now. */
  counted = false;
  /** Octets we may still send on it (may be negative, §6.9.2). */
  sendWindow: number;
  /** What the peer may still send, and the window-update policy. */
  readonly recv: InboundWindow;
  /** Progress of the message we send. */
  sendPhase: MessagePhase = MessagePhase.NONE;
  /** Progress of the message we receive. */
  recvPhase: MessagePhase = MessagePhase.NONE;
  /** The content-length the peer declared, or -1. */
  expectedLength: number = -1;
  /** Flow-controlled octets received and not yet acknowledged by the application. */
  unacked = 0;
  /** Most body octets we may send: our declared content-length, 0 for HEAD/204/304, else Infinity. */
  sendMax: number = Infinity;
  /** Body octets we must send in total (our content-length), or -1 when not declared. */
  sendExact = -1;
  /** Body octets sent or enqueued so far. */
  sentBody = 0;
  /** Body octets received so far. */
  receivedLength = 0;
  /** The request method (client: ours, server: the peer's); responses to HEAD have no body. */
  method = "";
  /** Buffered outbound body chunks (`enqueueData`). */
  chunks: Uint8Array[] = [];
  /** Offset into `chunks[0]` already sent. */
  chunkOffset = 0;
  /** Buffered octets not yet sent. */
  pendingBytes = 0;
  /** END_STREAM after the buffered data. */
  pendingEnd = false;
  /** Trailers to send after the buffered data. */
  pendingTrailers: HeaderField[] | undefined = undefined;

  /**
   * Creates the record of a stream that is about to open or be reserved.
   *
   * @param id The stream id.
   * @param local Whether we initiated it.
   * @param sendWindow The peer's SETTINGS_INITIAL_WINDOW_SIZE.
   * @param recvWindow Our SETTINGS_INITIAL_WINDOW_SIZE in force.
   */
  constructor(id: number, local: boolean, sendWindow: number, recvWindow: number) {
    this.id = id;
    this.local = local;
    this.sendWindow = sendWindow;
    this.recv = new InboundWindow(recvWindow);
  }

  /** Whether buffered data, END_STREAM or trailers are waiting to be written. */
  get hasPending(): boolean {
    return this.pendingBytes > 0 || this.pendingEnd || this.pendingTrailers !== undefined;
  }
}
