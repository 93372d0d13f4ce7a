/**
 * Seeded fuzzing: a connection fed random and mutated frames must answer only
 * with typed events and the matching GOAWAY / RST_STREAM frames, and must
 * never throw or fail internally.
 */
import assert from "node:assert/strict";
import type { H2Connection } from "../../../core/connection.ts";
import { ErrorCode } from "../../../core/error_code.ts";
import type { H2Event } from "../../../core/events.ts";
import {
  type Frame,
  FrameReader,
  FrameType,
  type GoAwayFrame,
  type RstStreamFrame,
} from "../../../core/frame/mod.ts";
import { StreamState } from "../../../core/stream_state.ts";
import { SeededRng, testSeeds } from "../../_support/seeded_rng.ts";
import { client, GET, OK, type Peer, POST, server } from "./_harness.ts";

interface Model {
  /** Next stream id the peer would open (odd for a client peer). */
  next: number;
  /** Ids the peer has used and not ended. */
  readonly live: number[];
  /** Ids the peer has ended. */
  readonly ended: number[];
}

/** Mostly plausible frames on streams the peer knows, so the fuzzer gets deep into a session. */
function plausibleFrame(rng: SeededRng, peer: Peer, m: Model, isServerPeer: boolean): Uint8Array {
  const ff = peer.ff;
  const op = rng.int(0, 9);
  if (m.live.length === 0 || (op <= 1 && !isServerPeer)) {
    if (isServerPeer) return ff.ping(rng.bytes(8));
    const id = m.next;
    m.next += 2;
    const end = rng.chance(0.4);
    (end ? m.ended : m.live).push(id);
    return peer.headers(id, rng.pick([GET, POST]), { endStream: end });
  }
  const i = rng.int(0, m.live.length - 1);
  const id = m.live[i];
  const end = () => {
    m.live.splice(i, 1);
    m.ended.push(id);
  };
  const anyKnown = rng.chance(0.5) && m.ended.length > 0 ? rng.pick(m.ended) : id;
  switch (op) {
    case 0:
    case 1:
    case 2:
    case 3: {
      const e = rng.chance(0.2);
      if (e) end();
      if (isServerPeer && op < 2) return peer.headers(id, OK, { endStream: e });
      return ff.data(id, rng.bytes(rng.int(0, 2000)), { endStream: e });
    }
    case 4:
      return ff.windowUpdate(rng.chance(0.5) ? 0 : anyKnown, rng.int(1, 70_000));
    case 5:
      return ff.ping(rng.bytes(8), { ack: rng.chance(0.2) });
    case 6:
      return ff.settings([[rng.pick([1, 3, 4, 5, 6]), rng.int(16_384, 70_000)]]);
    case 7:
      if (rng.chance(0.3)) {
        end();
        return ff.rstStream(id, rng.int(0, 14));
      }
      return ff.settingsAck();
    case 8:
      end();
      return peer.headers(id, [{ name: "x-trailer", value: "1" }], { endStream: true });
    default:
      return ff.priority(anyKnown, { dependency: 0, exclusive: false, weight: 16 });
  }
}

function hostileFrame(rng: SeededRng, peer: Peer, isServerPeer: boolean): Uint8Array {
  const ff = peer.ff;
  const id = rng.chance(0.1) ? rng.u32() & 0x7fff_ffff : rng.int(0, 12);
  switch (rng.int(0, 15)) {
    case 0:
      return peer.headers(id, isServerPeer ? OK : rng.pick([GET, POST]), {
        endStream: rng.chance(0.5),
      });
    case 1:
      return ff.data(id, rng.bytes(rng.int(0, 100)), {
        endStream: rng.chance(0.3),
        padLength: rng.chance(0.2) ? rng.int(0, 20) : undefined,
      });
    case 2:
      return ff.rstStream(id, rng.int(0, 14));
    case 3:
      return ff.settings([[rng.int(1, 9), rng.chance(0.5) ? rng.int(0, 70_000) : rng.u32()]]);
    case 4:
      return ff.windowUpdate(id, 0x7fff_ffff);
    case 5:
      return ff.headers(id, rng.bytes(rng.int(0, 30)), {
        endHeaders: rng.chance(0.7),
        endStream: rng.chance(0.5),
      });
    case 6:
      return ff.priority(Math.max(1, id), {
        dependency: rng.int(0, 12),
        exclusive: rng.chance(0.5),
        weight: rng.int(1, 256),
      });
    case 7:
      return ff.continuation(id, rng.bytes(rng.int(0, 20)), { endHeaders: rng.chance(0.5) });
    case 8:
      return peer.headers(id, [...GET, {
        name: rng.pick(["Upper", "connection", "te", ":bad"]),
        value: "x",
      }]);
    case 9:
      return ff.pushPromise(Math.max(1, id), rng.int(0, 20), peer.block(GET));
    case 10:
      return ff.goaway(rng.int(0, 20), rng.int(0, 14), rng.bytes(rng.int(0, 10)));
    case 11:
      return ff.priorityUpdate(Math.max(1, id), rng.pick(["u=1", "u=7, i", "garbage;;", ""]));
    case 12:
      return ff.raw(rng.int(0, 0x12), rng.int(0, 255), id, rng.bytes(rng.int(0, 40)));
    case 13: {
      // A valid frame with a few bits flipped.
      const out = peer.headers(id, GET, { endStream: true }).slice();
      for (let k = rng.int(1, 3); k > 0; k--) out[rng.int(0, out.length - 1)] ^= 1 << rng.int(0, 7);
      return out;
    }
    case 14:
      return rng.bytes(rng.int(1, 30));
    default:
      return ff.data(id, new Uint8Array(0));
  }
}

function check(conn: H2Connection, events: H2Event[], out: Frame[], seed: number): void {
  for (const e of events) {
    if (e.type === "connection_terminated" && !e.remote) {
      assert.notEqual(e.errorCode, ErrorCode.INTERNAL_ERROR, `seed ${seed}: ${e.error?.stack}`);
      const g = out.find((f) => f.type === FrameType.GOAWAY) as GoAwayFrame | undefined;
      assert.ok(g !== undefined, `seed ${seed}: no GOAWAY`);
      assert.equal(g.errorCode, e.errorCode);
      assert.ok(conn.isClosed);
    }
    if (e.type === "stream_reset" && !e.remoteReset) {
      assert.ok(
        out.some((f) =>
          f.type === FrameType.RST_STREAM && f.streamId === e.streamId &&
          (f as RstStreamFrame).errorCode === e.errorCode
        ),
        `seed ${seed}: no RST_STREAM for ${e.streamId}`,
      );
    }
  }
}

function fuzz(role: "server" | "client", seed: number): void {
  const rng = new SeededRng(seed);
  const { conn, peer } = role === "server" ? server() : client({ enablePush: true });
  if (role === "client") {
    for (const id of [1, 3, 5]) conn.sendHeaders(id, POST);
    conn.dataToSend();
  }
  const reader = new FrameReader({ maxFrameSize: 16_777_215 });
  let pending = new Uint8Array(0);
  const model: Model = {
    next: role === "server" ? 1 : 2,
    live: role === "server" ? [] : [1, 3, 5],
    ended: [],
  };
  for (let i = 0; i < 200 && !conn.isClosed; i++) {
    const frame = rng.chance(0.97)
      ? plausibleFrame(rng, peer, model, role === "client")
      : hostileFrame(rng, peer, role === "client");
    const bytes = new Uint8Array(pending.length + frame.length);
    bytes.set(pending);
    bytes.set(frame, pending.length);
    const cut = rng.chance(0.3) ? rng.int(0, bytes.length) : bytes.length;
    pending = bytes.slice(cut);
    let events: H2Event[];
    try {
      events = conn.receive(bytes.slice(0, cut), i * 10);
    } catch (e) {
      throw new Error(`seed ${seed}: receive threw`, { cause: e });
    }
    reader.push(conn.dataToSend());
    const out: Frame[] = [];
    for (let f = reader.next(); f !== undefined; f = reader.next()) out.push(f);
    check(conn, events, out, seed);
    // Our own commands on surviving streams must keep working.
    if (!conn.isClosed && role === "server") {
      for (const e of events) {
        if (
          e.type === "request_received" && rng.chance(0.5) &&
          conn.streamState(e.streamId) !== StreamState.CLOSED
        ) conn.sendHeaders(e.streamId, OK, { endStream: true });
      }
    }
  }
}

Deno.test("H2Connection server survives seeded random and mutated frames", () => {
  for (const seed of testSeeds(0xf022, 100)) fuzz("server", seed);
});

Deno.test("H2Connection client survives seeded random and mutated frames", () => {
  for (const seed of testSeeds(0xc11e, 100)) fuzz("client", seed);
});
