/**
 * A seeded property test: a client and a server connection wired back to
 * back perform random legal operations while bytes are delivered in random
 * splits. Afterwards every body arrived exactly once and in order, the
 * windows on both sides agree, both sides agree on every stream's state, and
 * no event was lost.
 */
import assert from "node:assert/strict";
import type { H2Connection } from "../../../core/connection.ts";
import { ErrorCode } from "../../../core/error_code.ts";
import type { H2Event } from "../../../core/events.ts";
import { StreamState } from "../../../core/stream_state.ts";
import { SeededRng, testSeeds } from "../../_support/seeded_rng.ts";
import { OK, pair, POST } from "./_harness.ts";

interface Side {
  readonly conn: H2Connection;
  /** Bytes this side sent per stream. */
  readonly sent: Map<number, number[]>;
  /** Bytes this side received per stream. */
  readonly got: Map<number, number[]>;
  /** Streams whose send side this side ended. */
  readonly ended: Set<number>;
  /** Streams the peer ended (StreamEnded seen). */
  readonly peerEnded: Set<number>;
  /** Streams reset (either way) as seen by this side. */
  readonly reset: Set<number>;
  /** Streams whose headers this side has sent. */
  readonly headersSent: Set<number>;
  /** Consumed-but-unacknowledged data. */
  readonly unacked: [number, number][];
  /** Bytes in flight toward the peer. */
  readonly wire: Uint8Array[];
}

function side(conn: H2Connection): Side {
  return {
    conn,
    sent: new Map(),
    got: new Map(),
    ended: new Set(),
    peerEnded: new Set(),
    reset: new Set(),
    headersSent: new Set(),
    unacked: [],
    wire: [],
  };
}

function handle(me: Side, events: H2Event[], requests: number[]): void {
  for (const e of events) {
    switch (e.type) {
      case "request_received":
        requests.push(e.streamId);
        break;
      case "data_received": {
        assert.ok(!me.peerEnded.has(e.streamId), "data after end");
        const list = me.got.get(e.streamId) ?? [];
        for (const b of e.data) list.push(b);
        me.got.set(e.streamId, list);
        me.unacked.push([e.streamId, e.flowControlledLength]);
        break;
      }
      case "stream_ended":
        assert.ok(!me.peerEnded.has(e.streamId), "ended twice");
        me.peerEnded.add(e.streamId);
        break;
      case "stream_reset":
        me.reset.add(e.streamId);
        break;
      case "connection_terminated":
        throw new Error(`Unexpected termination: ${e.error?.message ?? e.errorCode}`);
    }
  }
}

function runSeed(seed: number): void {
  const rng = new SeededRng(seed);
  const windowSize = rng.pick([100, 1000, 16_384, 65_535]);
  const { client, server } = pair(
    { initialWindowSize: windowSize },
    { initialWindowSize: rng.pick([500, 65_535]), maxConcurrentStreams: 8 },
  );
  const c = side(client);
  const s = side(server);
  const requests: number[] = [];

  const send = (me: Side, id: number) => {
    if (!me.headersSent.has(id) || me.ended.has(id) || me.reset.has(id)) return;
    if (me.conn.streamState(id) === StreamState.CLOSED) return;
    const n = rng.int(0, 3000);
    const data = rng.bytes(n);
    const useQueue = rng.chance(0.5);
    if (!useQueue) {
      if (me.conn.bufferedAmount(id) > 0) return;
      const room = me.conn.localFlowControlWindow(id);
      if (room < n) return;
    }
    const end = rng.chance(0.2);
    if (useQueue) me.conn.enqueueData(id, data, { endStream: end });
    else me.conn.sendData(id, data, { endStream: end });
    const list = me.sent.get(id) ?? [];
    for (const b of data) list.push(b);
    me.sent.set(id, list);
    if (end) me.ended.add(id);
  };

  const flush = (from: Side, to: Side, toRequests: number[], all: boolean) => {
    const out = from.conn.dataToSend();
    if (out.length > 0) from.wire.push(out);
    while (from.wire.length > 0) {
      const head = from.wire[0];
      const n = all ? head.length : rng.int(1, head.length);
      const piece = head.subarray(0, n);
      if (n === head.length) from.wire.shift();
      else from.wire[0] = head.subarray(n);
      handle(to, to.conn.receive(piece), toRequests);
      if (!all) break;
    }
  };

  const ack = (me: Side, all: boolean) => {
    while (me.unacked.length > 0 && (all || rng.chance(0.7))) {
      const [id, n] = me.unacked.shift()!;
      me.conn.acknowledgeReceivedData(id, n);
    }
  };

  for (let step = 0; step < 400; step++) {
    const op = rng.int(0, 9);
    if (op === 0 && client.openOutboundStreams < 8 && client.getNextAvailableStreamId() < 200) {
      const id = client.getNextAvailableStreamId();
      const end = rng.chance(0.3);
      client.sendHeaders(id, POST, { endStream: end });
      c.headersSent.add(id);
      if (end) c.ended.add(id);
    } else if (op === 1 && c.headersSent.size > 0) {
      send(c, rng.pick([...c.headersSent]));
    } else if (op === 2 && requests.length > 0) {
      const id = rng.pick(requests);
      if (
        !s.headersSent.has(id) && !s.reset.has(id) && server.streamState(id) !== StreamState.CLOSED
      ) {
        server.sendHeaders(id, OK);
        s.headersSent.add(id);
      } else send(s, id);
    } else if (op === 3 && rng.chance(0.15) && c.headersSent.size > 0) {
      const id = rng.pick([...c.headersSent]);
      if (client.streamState(id) !== StreamState.CLOSED) {
        client.resetStream(id, ErrorCode.CANCEL);
        c.reset.add(id);
      }
    } else if (op === 4) {
      client.ping(rng.bytes(8));
    } else if (op === 5) {
      flush(c, s, requests, false);
    } else if (op === 6) {
      flush(s, c, [], false);
    } else if (op === 7) {
      ack(c, false);
      ack(s, false);
    } else if (op === 8 && rng.chance(0.1)) {
      server.updateSettings({ initialWindowSize: rng.pick([300, 65_535, 100_000]) });
    } else {
      flush(c, s, requests, rng.chance(0.5));
      flush(s, c, [], rng.chance(0.5));
    }
  }

  // Finish: end every stream on both sides, then pump until quiet.
  for (let round = 0; round < 200; round++) {
    for (const id of c.headersSent) {
      if (!c.ended.has(id) && !c.reset.has(id) && client.streamState(id) !== StreamState.CLOSED) {
        client.endStream(id);
        c.ended.add(id);
      }
    }
    for (const id of requests) {
      if (s.reset.has(id) || server.streamState(id) === StreamState.CLOSED) continue;
      if (!s.headersSent.has(id)) {
        server.sendHeaders(id, OK);
        s.headersSent.add(id);
      }
      if (!s.ended.has(id)) {
        server.endStream(id);
        s.ended.add(id);
      }
    }
    flush(c, s, requests, true);
    flush(s, c, [], true);
    ack(c, true);
    ack(s, true);
    flush(c, s, requests, true);
    flush(s, c, [], true);
    const cOut = client.dataToSend();
    const sOut = server.dataToSend();
    if (cOut.length > 0) c.wire.push(cOut);
    if (sOut.length > 0) s.wire.push(sOut);
    if (cOut.length === 0 && sOut.length === 0 && c.wire.length === 0 && s.wire.length === 0) {
      const busy = [...c.headersSent].some((id) => client.bufferedAmount(id) > 0) ||
        requests.some((id) => server.bufferedAmount(id) > 0) ||
        requests.some((id) =>
          server.streamState(id) !== StreamState.CLOSED && !s.reset.has(id) && !s.ended.has(id)
        );
      if (!busy) break;
    }
  }

  // Bodies: exactly once, in order; a reset stream delivered a prefix.
  for (const [from, to] of [[c, s], [s, c]] as const) {
    for (const [id, sent] of from.sent) {
      const got = to.got.get(id) ?? [];
      const wasReset = c.reset.has(id) || s.reset.has(id);
      if (wasReset) {
        assert.deepEqual(got, sent.slice(0, got.length), `seed ${seed} stream ${id} prefix`);
      } else assert.deepEqual(got, sent, `seed ${seed} stream ${id}`);
    }
  }
  // Every stream ended or reset, both sides agree it is closed.
  for (const id of c.headersSent) {
    assert.equal(client.streamState(id), StreamState.CLOSED, `seed ${seed} client stream ${id}`);
    assert.equal(server.streamState(id), StreamState.CLOSED, `seed ${seed} server stream ${id}`);
    if (!c.reset.has(id) && !s.reset.has(id)) {
      assert.ok(s.peerEnded.has(id) && c.peerEnded.has(id), `seed ${seed} stream ${id} ended`);
    }
  }
  assert.equal(client.openOutboundStreams, 0);
  assert.equal(server.openInboundStreams, 0);
  // Connection windows agree in both directions once everything is delivered and acknowledged.
  assert.equal(
    client.localFlowControlWindow(0),
    server.remoteFlowControlWindow(0),
    `seed ${seed} c->s`,
  );
  assert.equal(
    server.localFlowControlWindow(0),
    client.remoteFlowControlWindow(0),
    `seed ${seed} s->c`,
  );
}

Deno.test("H2Connection back to back: random legal operations keep both sides consistent", () => {
  for (const seed of testSeeds(0x5eed, 40)) runSeed(seed);
});
