import assert from "node:assert/strict";
import {
  STREAM_INPUT_COUNT,
  StreamInput,
  StreamState,
  streamStateName,
  transition,
  TransitionError,
} from "../../core/stream_state.ts";

const S = StreamState;
const I = StreamInput;
const E = TransitionError;

Deno.test("transition follows the RFC 9113 §5.1 diagram", () => {
  const legal: [number, number, number][] = [
    [S.IDLE, I.SEND_HEADERS, S.OPEN],
    [S.IDLE, I.RECV_HEADERS, S.OPEN],
    [S.IDLE, I.SEND_PUSH_PROMISE, S.RESERVED_LOCAL],
    [S.IDLE, I.RECV_PUSH_PROMISE, S.RESERVED_REMOTE],
    [S.RESERVED_LOCAL, I.SEND_HEADERS, S.HALF_CLOSED_REMOTE],
    [S.RESERVED_LOCAL, I.SEND_RST, S.CLOSED],
    [S.RESERVED_LOCAL, I.RECV_RST, S.CLOSED],
    [S.RESERVED_REMOTE, I.RECV_HEADERS, S.HALF_CLOSED_LOCAL],
    [S.RESERVED_REMOTE, I.SEND_RST, S.CLOSED],
    [S.RESERVED_REMOTE, I.RECV_RST, S.CLOSED],
    [S.OPEN, I.SEND_END_STREAM, S.HALF_CLOSED_LOCAL],
    [S.OPEN, I.RECV_END_STREAM, S.HALF_CLOSED_REMOTE],
    [S.OPEN, I.SEND_RST, S.CLOSED],
    [S.OPEN, I.RECV_RST, S.CLOSED],
    [S.HALF_CLOSED_LOCAL, I.RECV_END_STREAM, S.CLOSED],
    [S.HALF_CLOSED_LOCAL, I.RECV_DATA, S.HALF_CLOSED_LOCAL],
    [S.HALF_CLOSED_REMOTE, I.SEND_END_STREAM, S.CLOSED],
    [S.HALF_CLOSED_REMOTE, I.SEND_DATA, S.HALF_CLOSED_REMOTE],
  ];
  for (const [s, i, next] of legal) {
    assert.equal(transition(s as StreamState, i as StreamInput), next, `${s} x ${i}`);
  }
});

Deno.test("transition gives the RFC's error for every forbidden pair", () => {
  assert.equal(transition(S.IDLE, I.RECV_DATA), E.PROTOCOL);
  assert.equal(transition(S.IDLE, I.RECV_RST), E.PROTOCOL);
  assert.equal(transition(S.IDLE, I.SEND_DATA), E.USAGE);
  assert.equal(transition(S.RESERVED_LOCAL, I.RECV_HEADERS), E.PROTOCOL);
  assert.equal(transition(S.RESERVED_REMOTE, I.RECV_DATA), E.PROTOCOL);
  assert.equal(transition(S.RESERVED_REMOTE, I.SEND_HEADERS), E.USAGE);
  assert.equal(transition(S.HALF_CLOSED_REMOTE, I.RECV_DATA), E.STREAM_CLOSED);
  assert.equal(transition(S.HALF_CLOSED_REMOTE, I.RECV_HEADERS), E.STREAM_CLOSED);
  assert.equal(transition(S.HALF_CLOSED_LOCAL, I.SEND_DATA), E.USAGE);
  assert.equal(transition(S.CLOSED, I.RECV_DATA), E.CLOSED);
  assert.equal(transition(S.CLOSED, I.SEND_HEADERS), E.USAGE);
});

Deno.test("transition covers every state x input pair with a state or an error", () => {
  const valid = new Set<number>([...Object.values(S), ...Object.values(E)]);
  let pairs = 0;
  for (const s of Object.values(S)) {
    for (let i = 0; i < STREAM_INPUT_COUNT; i++) {
      const out = transition(s, i as StreamInput);
      assert.ok(valid.has(out), `${streamStateName(s)} x ${i} -> ${out}`);
      // Sending is never answered with a peer error, and receiving never with a usage error.
      if (i < I.RECV_HEADERS) assert.ok(out >= 0 || out === E.USAGE);
      else assert.ok(out !== E.USAGE);
      // Only the closed state (and resets) lead nowhere new: closed stays closed.
      if (s === S.CLOSED) assert.ok(out === S.CLOSED || out < 0);
      pairs++;
    }
  }
  assert.equal(pairs, 7 * STREAM_INPUT_COUNT);
  assert.equal(streamStateName(S.HALF_CLOSED_REMOTE), "half-closed (remote)");
});
