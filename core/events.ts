/**
 * The events {@link H2Connection.receive} returns: one immutable class per
 * kind, each with a literal `type` and documentation of when it fires.
 *
 * A frame that does two things yields linked events, as in hyper-h2: HEADERS
 * with END_STREAM gives a {@link RequestReceived} whose `streamEnded` is the
 * {@link StreamEnded} event that also follows it in the list.
 *
 * @module
 */

import type { ErrorCode } from "./error_code.ts";
import type { H2Error } from "./errors.ts";
import type { HeaderField } from "./hpack/header_field.ts";
import type { ChangedSetting } from "./settings.ts";

/**
 * Fires on the server when a client's HEADERS (and CONTINUATIONs) open a stream with a valid
 * request (RFC 9113 §8.3.1).
 */
export class RequestReceived {
  /** Discriminant. */
  readonly type = "request_received" as const;
  /** The new stream. */
  readonly streamId: number;
  /** The request fields, pseudo-headers first. */
  readonly headers: HeaderField[];
  /** Set when the HEADERS carried END_STREAM (no body follows). */
  readonly streamEnded: StreamEnded | undefined;

  /**
   * Creates the event (the connection does; applications only read events).
   *
   * @param streamId The new stream.
   * @param headers The request fields, pseudo-headers first.
   * @param streamEnded Set when the HEADERS carried END_STREAM (no body follows).
   */
  constructor(streamId: number, headers: HeaderField[], streamEnded: StreamEnded | undefined) {
    this.streamId = streamId;
    this.headers = headers;
    this.streamEnded = streamEnded;
  }
}

/** Fires on the client when the final (non-1xx) response headers arrive (RFC 9113 §8.3.2). */
export class ResponseReceived {
  /** Discriminant. */
  readonly type = "response_received" as const;
  /** The request's stream. */
  readonly streamId: number;
  /** The response fields, `:status` first. */
  readonly headers: HeaderField[];
  /** Set when the HEADERS carried END_STREAM. */
  readonly streamEnded: StreamEnded | undefined;

  /**
   * Creates the event (the connection does; applications only read events).
   *
   * @param streamId The request's stream.
   * @param headers The response fields, `:status` first.
   * @param streamEnded Set when the HEADERS carried END_STREAM.
   */
  constructor(streamId: number, headers: HeaderField[], streamEnded: StreamEnded | undefined) {
    this.streamId = streamId;
    this.headers = headers;
    this.streamEnded = streamEnded;
  }
}

/** Fires on the client for each 1xx informational response before the final one (RFC 9113 §8.1). */
export class InformationalResponseReceived {
  /** Discriminant. */
  readonly type = "informational_response_received" as const;
  /** The request's stream. */
  readonly streamId: number;
  /** The fields, `:status` (1xx) first. */
  readonly headers: HeaderField[];

  /**
   * Creates the event (the connection does; applications only read events).
   *
   * @param streamId The request's stream.
   * @param headers The fields, `:status` (1xx) first.
   */
  constructor(streamId: number, headers: HeaderField[]) {
    this.streamId = streamId;
    this.headers = headers;
  }
}

/** Fires when a trailing field section (HEADERS with END_STREAM after the message) arrives (§8.1). */
export class TrailersReceived {
  /** Discriminant. */
  readonly type = "trailers_received" as const;
  /** The stream. */
  readonly streamId: number;
  /** The trailer fields. */
  readonly headers: HeaderField[];
  /** The linked END_STREAM event (trailers always end the stream). */
  readonly streamEnded: StreamEnded | undefined;

  /**
   * Creates the event (the connection does; applications only read events).
   *
   * @param streamId The stream.
   * @param headers The trailer fields.
   * @param streamEnded The linked END_STREAM event (trailers always end the stream).
   */
  constructor(streamId: number, headers: HeaderField[], streamEnded: StreamEnded | undefined) {
    this.streamId = streamId;
    this.headers = headers;
    this.streamEnded = streamEnded;
  }
}

/**
 * Fires for each DATA frame with a payload (RFC 9113 §6.1). Pass `flowControlledLength` to
 * `acknowledgeReceivedData` once the data is processed, or the peer's window never reopens.
 */
export class DataReceived {
  /** Discriminant. */
  readonly type = "data_received" as const;
  /** The stream. */
  readonly streamId: number;
  /** The payload without padding; a view of the received bytes where possible. */
  readonly data: Uint8Array;
  /** Octets charged to flow control (payload + padding). */
  readonly flowControlledLength: number;
  /** Set when the frame carried END_STREAM. */
  readonly streamEnded: StreamEnded | undefined;

  /**
   * Creates the event (the connection does; applications only read events).
   *
   * @param streamId The stream.
   * @param data The payload without padding; a view of the received bytes where possible.
   * @param flowControlledLength Octets charged to flow control (payload + padding).
   * @param streamEnded Set when the frame carried END_STREAM.
   */
  constructor(
    streamId: number,
    data: Uint8Array,
    flowControlledLength: number,
    streamEnded: StreamEnded | undefined,
  ) {
    this.streamId = streamId;
    this.data = data;
    this.flowControlledLength = flowControlledLength;
    this.streamEnded = streamEnded;
  }
}

/** Fires when the peer ends its side of a stream with END_STREAM (RFC 9113 §5.1). */
export class StreamEnded {
  /** Discriminant. */
  readonly type = "stream_ended" as const;
  /** The stream. */
  readonly streamId: number;

  /**
   * Creates the event (the connection does; applications only read events).
   *
   * @param streamId The stream.
   */
  constructor(streamId: number) {
    this.streamId = streamId;
  }
}

/**
 * Fires when a stream is reset: by the peer's RST_STREAM (`remoteReset`), by us because the peer
 * broke a stream rule (the RST_STREAM is already queued), or because a GOAWAY left it unprocessed
 * (RFC 9113 §6.4, §5.4.2, §6.8).
 */
export class StreamReset {
  /** Discriminant. */
  readonly type = "stream_reset" as const;
  /** The stream. */
  readonly streamId: number;
  /** The RST_STREAM code (an open registry). */
  readonly errorCode: ErrorCode;
  /** Whether the peer reset it. */
  readonly remoteReset: boolean;
  /** For a reset we sent: the protocol error that caused it. */
  readonly error: H2Error | undefined;

  /**
   * Creates the event (the connection does; applications only read events).
   *
   * @param streamId The stream.
   * @param errorCode The RST_STREAM code (an open registry).
   * @param remoteReset Whether the peer reset it.
   * @param error For a reset we sent: the protocol error that caused it.
   */
  constructor(
    streamId: number,
    errorCode: ErrorCode,
    remoteReset: boolean,
    error: H2Error | undefined,
  ) {
    this.streamId = streamId;
    this.errorCode = errorCode;
    this.remoteReset = remoteReset;
    this.error = error;
  }
}

/** Fires on the client when the server promises a pushed stream (PUSH_PROMISE, RFC 9113 §8.4). */
export class PushedStreamReceived {
  /** Discriminant. */
  readonly type = "pushed_stream_received" as const;
  /** The reserved stream the response will arrive on. */
  readonly pushedStreamId: number;
  /** The client request the push belongs to. */
  readonly parentStreamId: number;
  /** The promised request's fields. */
  readonly headers: HeaderField[];

  /**
   * Creates the event (the connection does; applications only read events).
   *
   * @param pushedStreamId The reserved stream the response will arrive on.
   * @param parentStreamId The client request the push belongs to.
   * @param headers The promised request's fields.
   */
  constructor(pushedStreamId: number, parentStreamId: number, headers: HeaderField[]) {
    this.pushedStreamId = pushedStreamId;
    this.parentStreamId = parentStreamId;
    this.headers = headers;
  }
}

/** Fires when the peer's SETTINGS frame is applied (our ACK is already queued, RFC 9113 §6.5.3). */
export class RemoteSettingsChanged {
  /** Discriminant. */
  readonly type = "remote_settings_changed" as const;
  /** Every setting the frame carried, with old and new values. */
  readonly changed: readonly ChangedSetting[];

  /**
   * Creates the event (the connection does; applications only read events).
   *
   * @param changed Every setting the frame carried, with old and new values.
   */
  constructor(changed: readonly ChangedSetting[]) {
    this.changed = changed;
  }
}

/** Fires when the peer acknowledges one of our SETTINGS frames; its values now apply (§6.5.3). */
export class SettingsAcknowledged {
  /** Discriminant. */
  readonly type = "settings_acknowledged" as const;
  /** The settings that took effect. */
  readonly changed: readonly ChangedSetting[];

  /**
   * Creates the event (the connection does; applications only read events).
   *
   * @param changed The settings that took effect.
   */
  constructor(changed: readonly ChangedSetting[]) {
    this.changed = changed;
  }
}

/** Fires when the peer sends a PING; the ACK is already queued (RFC 9113 §6.7). */
export class PingReceived {
  /** Discriminant. */
  readonly type = "ping_received" as const;
  /** The 8 opaque octets. */
  readonly data: Uint8Array;

  /**
   * Creates the event (the connection does; applications only read events).
   *
   * @param data The 8 opaque octets.
   */
  constructor(data: Uint8Array) {
    this.data = data;
  }
}

/** Fires when the peer acknowledges one of our PINGs (RFC 9113 §6.7). */
export class PingAckReceived {
  /** Discriminant. */
  readonly type = "ping_ack_received" as const;
  /** The 8 octets we sent. */
  readonly data: Uint8Array;

  /**
   * Creates the event (the connection does; applications only read events).
   *
   * @param data The 8 octets we sent.
   */
  constructor(data: Uint8Array) {
    this.data = data;
  }
}

/**
 * Fires when the peer opens a send window with WINDOW_UPDATE (RFC 9113 §6.9), stream 0 meaning
 * the connection; more buffered data may now be sent.
 */
export class WindowUpdated {
  /** Discriminant. */
  readonly type = "window_updated" as const;
  /** The stream, or 0 for the connection. */
  readonly streamId: number;
  /** The increment. */
  readonly delta: number;

  /**
   * Creates the event (the connection does; applications only read events).
   *
   * @param streamId The stream, or 0 for the connection.
   * @param delta The increment.
   */
  constructor(streamId: number, delta: number) {
    this.streamId = streamId;
    this.delta = delta;
  }
}

/** Fires on the server for a client's PRIORITY_UPDATE frame (RFC 9218 §7.1). */
export class PriorityUpdated {
  /** Discriminant. */
  readonly type = "priority_updated" as const;
  /** The prioritized stream (may still be idle). */
  readonly streamId: number;
  /** The parsed urgency 0..7 (default 3). */
  readonly urgency: number;
  /** The parsed incremental flag (default false). */
  readonly incremental: boolean;
  /** The raw Priority Field Value. */
  readonly fieldValue: string;

  /**
   * Creates the event (the connection does; applications only read events).
   *
   * @param streamId The prioritized stream (may still be idle).
   * @param urgency The parsed urgency 0..7 (default 3).
   * @param incremental The parsed incremental flag (default false).
   * @param fieldValue The raw Priority Field Value.
   */
  constructor(streamId: number, urgency: number, incremental: boolean, fieldValue: string) {
    this.streamId = streamId;
    this.urgency = urgency;
    this.incremental = incremental;
    this.fieldValue = fieldValue;
  }
}

/**
 * Fires when the connection ends or is ending: the peer sent GOAWAY (`remote`; streams up to
 * `lastStreamId` may still complete), or we detected a connection error and queued GOAWAY
 * (`error` says which; the connection accepts nothing more). RFC 9113 §5.4.1, §6.8.
 */
export class ConnectionTerminated {
  /** Discriminant. */
  readonly type = "connection_terminated" as const;
  /** The GOAWAY code. */
  readonly errorCode: ErrorCode;
  /** The last stream the GOAWAY's sender processed. */
  readonly lastStreamId: number;
  /** The GOAWAY's debug data. */
  readonly additionalData: Uint8Array;
  /** Whether the peer sent the GOAWAY. */
  readonly remote: boolean;
  /** For a local termination, the protocol error behind it. */
  readonly error: H2Error | undefined;

  /**
   * Creates the event (the connection does; applications only read events).
   *
   * @param errorCode The GOAWAY code.
   * @param lastStreamId The last stream the GOAWAY's sender processed.
   * @param additionalData The GOAWAY's debug data.
   * @param remote Whether the peer sent the GOAWAY.
   * @param error For a local termination, the protocol error behind it.
   */
  constructor(
    errorCode: ErrorCode,
    lastStreamId: number,
    additionalData: Uint8Array,
    remote: boolean,
    error: H2Error | undefined,
  ) {
    this.errorCode = errorCode;
    this.lastStreamId = lastStreamId;
    this.additionalData = additionalData;
    this.remote = remote;
    this.error = error;
  }
}

/** Fires on the client for an ALTSVC frame (RFC 7838 §4). */
export class AlternativeServiceAvailable {
  /** Discriminant. */
  readonly type = "alternative_service_available" as const;
  /** 0 for an origin given in the frame, else the request's stream. */
  readonly streamId: number;
  /** The origin (empty on a request stream). */
  readonly origin: string;
  /** The Alt-Svc field value. */
  readonly fieldValue: string;

  /**
   * Creates the event (the connection does; applications only read events).
   *
   * @param streamId 0 for an origin given in the frame, else the request's stream.
   * @param origin The origin (empty on a request stream).
   * @param fieldValue The Alt-Svc field value.
   */
  constructor(streamId: number, origin: string, fieldValue: string) {
    this.streamId = streamId;
    this.origin = origin;
    this.fieldValue = fieldValue;
  }
}

/** Fires for a frame of a type this library does not know; extensions may handle it (§5.5). */
export class UnknownFrameReceived {
  /** Discriminant. */
  readonly type = "unknown_frame_received" as const;
  /** The frame type octet. */
  readonly frameType: number;
  /** The stream. */
  readonly streamId: number;
  /** The flags octet. */
  readonly flags: number;
  /** The payload. */
  readonly payload: Uint8Array;

  /**
   * Creates the event (the connection does; applications only read events).
   *
   * @param frameType The frame type octet.
   * @param streamId The stream.
   * @param flags The flags octet.
   * @param payload The payload.
   */
  constructor(frameType: number, streamId: number, flags: number, payload: Uint8Array) {
    this.frameType = frameType;
    this.streamId = streamId;
    this.flags = flags;
    this.payload = payload;
  }
}

/** Every event {@link H2Connection.receive} can return; switch on `type`. */
export type H2Event =
  | RequestReceived
  | ResponseReceived
  | InformationalResponseReceived
  | TrailersReceived
  | DataReceived
  | StreamEnded
  | StreamReset
  | PushedStreamReceived
  | RemoteSettingsChanged
  | SettingsAcknowledged
  | PingReceived
  | PingAckReceived
  | WindowUpdated
  | PriorityUpdated
  | ConnectionTerminated
  | AlternativeServiceAvailable
  | UnknownFrameReceived;
