/**
 * The HTTP/2 stream state machine (RFC 9113 §5.1) as an explicit transition table.
 *
 * ```
 *                              +--------+
 *                      send PP |        | recv PP
 *                     ,--------+  idle  +--------.
 *                    /         |        |         \
 *                   v          +--------+          v
 *            +----------+          |           +----------+
 *            |          |          | send H /  |          |
 *     ,------+ reserved |          | recv H    | reserved +------.
 *     |      | (local)  |          |           | (remote) |      |
 *     |      +---+------+          v           +------+---+      |
 *     |          |             +--------+             |          |
 *     |          |     recv ES |        | send ES     |          |
 *     |   send H |     ,-------+  open  +-------.     | recv H   |
 *     |          |    /        |        |        \    |          |
 *     |          v   v         +---+----+         v   v          |
 *     |      +----------+          |           +----------+      |
 *     |      |   half-  |          |           |   half-  |      |
 *     |      |  closed  |          | send R /  |  closed  |      |
 *     |      | (remote) |          | recv R    | (local)  |      |
 *     |      +----+-----+          |           +-----+----+      |
 *     |           |                |                 |           |
 *     |           | send ES /      |       recv ES / |           |
 *     |           |  send R /      v        send R / |           |
 *     |           |  recv R    +--------+   recv R   |           |
 *     | send R /  `----------->|        |<-----------'  send R / |
 *     | recv R                 | closed |               recv R   |
 *     `----------------------->|        |<-----------------------'
 *                              +--------+
 *
 *   send:  endpoint sends this frame         recv:  endpoint receives this frame
 *   H:  HEADERS frame (with implied CONTINUATION frames)
 *   PP: PUSH_PROMISE frame (with implied CONTINUATION frames)
 *   ES: END_STREAM flag      R:  RST_STREAM frame
 * ```
 *
 * Every (state, input) pair has an explicit outcome: the next state, or the
 * error the RFC prescribes. A pair the RFC does not allow is never silently
 * accepted; the connection turns the outcome into a stream or connection error
 * (for received frames) or a {@link UsageError} (for the caller's commands).
 *
 * @module
 */

/** The seven stream states of RFC 9113 §5.1, as small integers for a flat lookup table. */
export const StreamState = {
  /** No frames exchanged yet (RFC 9113 §5.1 "idle"). */
  IDLE: 0,
  /** We sent a PUSH_PROMISE reserving this stream. */
  RESERVED_LOCAL: 1,
  /** The peer sent a PUSH_PROMISE reserving this stream. */
  RESERVED_REMOTE: 2,
  /** Both sides may send. */
  OPEN: 3,
  /** We sent END_STREAM; only the peer may still send. */
  HALF_CLOSED_LOCAL: 4,
  /** The peer sent END_STREAM; only we may still send. */
  HALF_CLOSED_REMOTE: 5,
  /** Terminal state. */
  CLOSED: 6,
} as const;

/** One of the {@link StreamState} values. */
export type StreamState = typeof StreamState[keyof typeof StreamState];

const stateNames = [
  "idle",
  "reserved (local)",
  "reserved (remote)",
  "open",
  "half-closed (local)",
  "half-closed (remote)",
  "closed",
] as const;

/** The RFC's name for a state, e.g. `"half-closed (remote)"`. */
export function streamStateName(state: StreamState): string {
  return stateNames[state];
}

/** What happens to a stream: a frame sent or received (RFC 9113 §5.1 inputs). */
export const StreamInput = {
  /** We send HEADERS (request, response, informational or trailers). */
  SEND_HEADERS: 0,
  /** We send a PUSH_PROMISE reserving this stream. */
  SEND_PUSH_PROMISE: 1,
  /** We send DATA. */
  SEND_DATA: 2,
  /** We send END_STREAM (on HEADERS or DATA); applied after the frame's own input. */
  SEND_END_STREAM: 3,
  /** We send RST_STREAM. */
  SEND_RST: 4,
  /** We receive HEADERS. */
  RECV_HEADERS: 5,
  /** The peer's PUSH_PROMISE reserves this stream. */
  RECV_PUSH_PROMISE: 6,
  /** We receive DATA. */
  RECV_DATA: 7,
  /** We receive END_STREAM; applied after the frame's own input. */
  RECV_END_STREAM: 8,
  /** We receive RST_STREAM. */
  RECV_RST: 9,
} as const;

/** One of the {@link StreamInput} values. */
export type StreamInput = typeof StreamInput[keyof typeof StreamInput];

const INPUTS = 10;

/**
 * Outcomes that are not a next state. Next states are 0..6; these are negative so a single
 * `outcome >= 0` test separates success from failure on the hot path.
 */
export const TransitionError = {
  /** The caller tried something this state forbids: throw UsageError, send nothing. */
  USAGE: -1,
  /** Stream error STREAM_CLOSED (e.g. DATA after the peer's END_STREAM, §5.1 half-closed (remote)). */
  STREAM_CLOSED: -2,
  /** Connection error PROTOCOL_ERROR (e.g. DATA on an idle or reserved stream, §5.1). */
  PROTOCOL: -3,
  /** The stream is closed: the connection decides using how it was closed (§5.1 "closed"). */
  CLOSED: -4,
} as const;

/** One of the {@link TransitionError} values. */
export type TransitionError = typeof TransitionError[keyof typeof TransitionError];

const S = StreamState;
const I = StreamInput;
const E = TransitionError;

// Default for every pair: the RFC forbids it. Sends are the caller's mistake; receives are the
// peer's. Which error a received frame earns depends on the state, so it is filled per state below.
const table = new Int8Array(7 * INPUTS);
for (let s = 0; s < 7; s++) {
  for (let i = 0; i < INPUTS; i++) {
    table[s * INPUTS + i] = i < I.RECV_HEADERS ? E.USAGE : E.PROTOCOL;
  }
}

function set(state: StreamState, input: StreamInput, outcome: number): void {
  table[state * INPUTS + input] = outcome;
}

// idle: HEADERS opens; PUSH_PROMISE reserves. DATA or RST_STREAM on idle is a connection
// PROTOCOL_ERROR (§5.1 idle, §6.4), which the default already says.
set(S.IDLE, I.SEND_HEADERS, S.OPEN);
set(S.IDLE, I.RECV_HEADERS, S.OPEN);
set(S.IDLE, I.SEND_PUSH_PROMISE, S.RESERVED_LOCAL);
set(S.IDLE, I.RECV_PUSH_PROMISE, S.RESERVED_REMOTE);

// reserved (local): we may only send the response HEADERS or reset. Receiving anything but
// RST_STREAM, PRIORITY or WINDOW_UPDATE is a connection PROTOCOL_ERROR (the default).
set(S.RESERVED_LOCAL, I.SEND_HEADERS, S.HALF_CLOSED_REMOTE);
set(S.RESERVED_LOCAL, I.SEND_RST, S.CLOSED);
set(S.RESERVED_LOCAL, I.RECV_RST, S.CLOSED);

// reserved (remote): the peer's response HEADERS half-close it; we may only reset.
set(S.RESERVED_REMOTE, I.RECV_HEADERS, S.HALF_CLOSED_LOCAL);
set(S.RESERVED_REMOTE, I.SEND_RST, S.CLOSED);
set(S.RESERVED_REMOTE, I.RECV_RST, S.CLOSED);

// open: everything flows; END_STREAM half-closes.
set(S.OPEN, I.SEND_HEADERS, S.OPEN);
set(S.OPEN, I.SEND_DATA, S.OPEN);
set(S.OPEN, I.SEND_END_STREAM, S.HALF_CLOSED_LOCAL);
set(S.OPEN, I.SEND_RST, S.CLOSED);
set(S.OPEN, I.RECV_HEADERS, S.OPEN);
set(S.OPEN, I.RECV_DATA, S.OPEN);
set(S.OPEN, I.RECV_END_STREAM, S.HALF_CLOSED_REMOTE);
set(S.OPEN, I.RECV_RST, S.CLOSED);

// half-closed (local): we are done sending; the peer may still send.
set(S.HALF_CLOSED_LOCAL, I.SEND_RST, S.CLOSED);
set(S.HALF_CLOSED_LOCAL, I.RECV_HEADERS, S.HALF_CLOSED_LOCAL);
set(S.HALF_CLOSED_LOCAL, I.RECV_DATA, S.HALF_CLOSED_LOCAL);
set(S.HALF_CLOSED_LOCAL, I.RECV_END_STREAM, S.CLOSED);
set(S.HALF_CLOSED_LOCAL, I.RECV_RST, S.CLOSED);

// half-closed (remote): the peer is done; more HEADERS or DATA from it is a stream error
// STREAM_CLOSED (§5.1 half-closed (remote)).
set(S.HALF_CLOSED_REMOTE, I.SEND_HEADERS, S.HALF_CLOSED_REMOTE);
set(S.HALF_CLOSED_REMOTE, I.SEND_DATA, S.HALF_CLOSED_REMOTE);
set(S.HALF_CLOSED_REMOTE, I.SEND_END_STREAM, S.CLOSED);
set(S.HALF_CLOSED_REMOTE, I.SEND_RST, S.CLOSED);
set(S.HALF_CLOSED_REMOTE, I.RECV_HEADERS, E.STREAM_CLOSED);
set(S.HALF_CLOSED_REMOTE, I.RECV_DATA, E.STREAM_CLOSED);
set(S.HALF_CLOSED_REMOTE, I.RECV_END_STREAM, E.STREAM_CLOSED);
set(S.HALF_CLOSED_REMOTE, I.RECV_RST, S.CLOSED);
set(S.HALF_CLOSED_REMOTE, I.RECV_PUSH_PROMISE, E.PROTOCOL);

// closed: sending anything but RST is the caller's bug (the default); a late RST_STREAM from us
// is harmless and stays closed. What a received frame means depends on how the stream closed
// (our RST: ignore frames in flight; the peer's RST: STREAM_CLOSED stream error; END_STREAM:
// STREAM_CLOSED connection error), which only the connection remembers.
set(S.CLOSED, I.SEND_RST, S.CLOSED);
for (let i: number = I.RECV_HEADERS; i < INPUTS; i++) set(S.CLOSED, i as StreamInput, E.CLOSED);

/**
 * Looks up the outcome of `input` in `state` (RFC 9113 §5.1).
 *
 * @param state The stream's current state.
 * @param input What is being sent or received.
 * @returns The next state (≥ 0) or a negative {@link TransitionError}.
 */
export function transition(state: StreamState, input: StreamInput): StreamState | TransitionError {
  return table[state * INPUTS + input] as StreamState | TransitionError;
}

/** Number of {@link StreamInput} values, for tests that walk every state × input pair. */
export const STREAM_INPUT_COUNT: number = INPUTS;
