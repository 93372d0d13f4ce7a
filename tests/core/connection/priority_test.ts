import assert from "node:assert/strict";
import type { DataScheduler } from "../../../core/config.ts";
import { H2Connection } from "../../../core/connection.ts";
import { ErrorCode } from "../../../core/error_code.ts";
import {
  type DataFrame,
  type Frame,
  FrameType,
  type PrioritySpec,
  type PriorityUpdateFrame,
  type SettingsFrame,
} from "../../../core/frame/mod.ts";
import type { HeaderField } from "../../../core/hpack/header_field.ts";
import { PriorityScheduler } from "../../../core/priority/priority_scheduler.ts";
import { RoundRobinScheduler } from "../../../core/round_robin_scheduler.ts";
import { SettingCode } from "../../../core/settings.ts";
import { FrameFactory } from "../../_support/frame_factory.ts";
import { client, GET, OK, only, pair, Peer, POST, server, types } from "./_harness.ts";

// ---------------------------------------------------------------- helpers

const MAX_WINDOW = 0x7fff_ffff;
/** Peer SETTINGS that lift every stream window, so only the connection window limits sending. */
const OPEN_STREAMS: [number, number][] = [[SettingCode.INITIAL_WINDOW_SIZE, MAX_WINDOW]];

interface Served {
  readonly conn: H2Connection;
  readonly peer: Peer;
  /** The server's first SETTINGS frame. */
  readonly settings: SettingsFrame;
}

/** A server past the handshake; the scripted client sends `peerSettings` as its SETTINGS. */
function serve(
  options: Partial<ConstructorParameters<typeof H2Connection>[0]> = {},
  peerSettings: ReadonlyArray<readonly [number, number]> = OPEN_STREAMS,
): Served {
  const conn = new H2Connection({ role: "server", ...options });
  const peer = new Peer();
  conn.initiateConnection();
  const settings = peer.frames(conn.dataToSend()).find((f) =>
    f.type === FrameType.SETTINGS
  ) as SettingsFrame;
  const ev = conn.receive(
    FrameFactory.concat(peer.ff.preface(), peer.ff.settings(peerSettings), peer.ff.settingsAck()),
  );
  assert.ok(!ev.some((e) => e.type === "connection_terminated"));
  conn.dataToSend();
  return { conn, peer, settings };
}

/** A GET request on `id` with a `priority` field (when given) and/or an RFC 7540 block. */
function request(peer: Peer, id: number, priority?: string, spec?: PrioritySpec): Uint8Array {
  const fields: HeaderField[] = priority === undefined
    ? GET
    : [...GET, { name: "priority", value: priority }];
  return peer.ff.fieldBlock(id, peer.block(fields), { endStream: true, priority: spec });
}

/** Answers each stream with a 200 and `size` bytes of body, buffered in the connection. */
function respond(conn: H2Connection, ids: number[], size: number): void {
  // One shared buffer: enqueueData keeps arrays by reference.
  const body = new Uint8Array(size);
  for (const id of ids) {
    conn.sendHeaders(id, OK);
    conn.enqueueData(id, body, { endStream: true });
  }
}

/** One DATA frame seen on the wire. */
interface Sent {
  readonly id: number;
  readonly bytes: number;
  readonly end: boolean;
}

/** Takes what the connection wrote and returns its DATA frames. */
function drain(conn: H2Connection, peer: Peer): Sent[] {
  return peer.frames(conn.dataToSend()).filter((f: Frame) => f.type === FrameType.DATA).map((
    f,
  ) => {
    const d = f as DataFrame;
    return { id: d.streamId, bytes: d.data.length, end: d.endStream };
  });
}

/**
 * Plays a client that returns `grant` octets of connection window per round trip until every
 * body ended (or `maxRounds`), with `onRound` hooked in between. Returns the DATA frames in
 * wire order.
 */
function transfer(
  conn: H2Connection,
  peer: Peer,
  grant: number,
  maxRounds = 100_000,
  onRound?: (round: number, sent: Sent[]) => void,
): Sent[] {
  const sent: Sent[] = [];
  for (let round = 0; round < maxRounds; round++) {
    const frames = drain(conn, peer);
    sent.push(...frames);
    onRound?.(round, sent);
    if (frames.length === 0 && conn.openInboundStreams === 0) break;
    conn.receive(peer.ff.windowUpdate(0, grant));
  }
  return sent;
}

/** Collapses consecutive frames of a stream: [1,1,3,3,1] -> [1,3,1]. */
function runs(sent: Sent[]): number[] {
  const out: number[] = [];
  for (const s of sent) if (out[out.length - 1] !== s.id) out.push(s.id);
  return out;
}

/** Bytes per stream. */
function totals(sent: Sent[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const s of sent) m.set(s.id, (m.get(s.id) ?? 0) + s.bytes);
  return m;
}

function scheme(conn: H2Connection): string {
  return (conn.scheduler as PriorityScheduler).scheme;
}

// ---------------------------------------------------------------- signals

Deno.test("H2Connection client sends PRIORITY_UPDATE", () => {
  const { conn, peer } = client();
  conn.sendHeaders(1, GET, { endStream: true });
  conn.prioritize(1, { urgency: 1, incremental: true });
  const f = peer.frames(conn.dataToSend()).find((x) =>
    x.type === FrameType.PRIORITY_UPDATE
  ) as PriorityUpdateFrame;
  assert.equal(f.prioritizedStreamId, 1);
  assert.equal(f.fieldValue, "u=1, i");
});

Deno.test("H2Connection server reports PRIORITY_UPDATE and routes every signal to its scheduler", () => {
  const calls: string[] = [];
  const scheduler: DataScheduler = {
    localSetting: 0,
    add: (id, p) => calls.push(`add ${id} ${p?.field} ${p?.spec?.weight}`),
    remove: (id) => calls.push(`remove ${id}`),
    setPriority: (id, p) => calls.push(`set ${id} ${p.urgency} ${p.incremental}`),
    priorityUpdate: (id, v) => calls.push(`update ${id} ${v}`),
    priorityFrame: (id, spec) => calls.push(`frame ${id} ${spec.dependency} ${spec.weight}`),
    applyPeerSettings: (v) => calls.push(`settings ${v}`),
    setReady: () => {},
    next: () => undefined,
    charge: () => {},
  };
  const { conn, peer, settings } = serve({ scheduler }, [[SettingCode.NO_RFC7540_PRIORITIES, 1]]);
  assert.deepEqual(
    settings.settings.find(([id]) => id === SettingCode.NO_RFC7540_PRIORITIES),
    [SettingCode.NO_RFC7540_PRIORITIES, 0],
  );
  // An update for a stream not yet open goes to the scheduler, which buffers it.
  const ev = conn.receive(peer.ff.priorityUpdate(1, "u=5"));
  const p = only(ev, "priority_updated");
  assert.deepEqual([p.streamId, p.urgency, p.incremental, p.fieldValue], [1, 5, false, "u=5"]);
  conn.receive(request(peer, 1, "u=2", { dependency: 0, exclusive: false, weight: 200 }));
  conn.receive(peer.ff.priority(1, { dependency: 0, exclusive: true, weight: 7 }));
  conn.receive(peer.ff.priorityUpdate(1, "u=0, i"));
  conn.prioritize(1, { urgency: 4, incremental: false });
  // A second SETTINGS without the parameter reports it absent.
  conn.receive(peer.ff.settings([]));
  assert.deepEqual(calls, [
    "settings 1",
    "update 1 u=5",
    "add 1 u=2 200",
    "frame 1 0 7",
    "update 1 u=0, i",
    "set 1 4 false",
    "settings undefined",
  ]);
});

Deno.test("H2Connection joins repeated priority field lines before the scheduler parses them", () => {
  const added: (string | undefined)[] = [];
  const scheduler = new RoundRobinScheduler();
  const original = scheduler.add.bind(scheduler);
  scheduler.add = (id: number, p?: { field?: string }) => {
    added.push(p?.field);
    original(id);
  };
  const { conn, peer } = serve({ scheduler });
  const fields = [...GET, { name: "priority", value: "u=1" }, { name: "priority", value: "i" }];
  conn.receive(peer.ff.fieldBlock(1, peer.block(fields), { endStream: true }));
  conn.receive(request(peer, 3));
  assert.deepEqual(added, ["u=1, i", undefined]);
});

Deno.test("H2Connection client rejects PRIORITY_UPDATE from a server", () => {
  const { conn, peer } = client();
  const ev = conn.receive(peer.ff.priorityUpdate(1, "u=1"));
  assert.equal(only(ev, "connection_terminated").errorCode, ErrorCode.PROTOCOL_ERROR);
});

Deno.test("H2Connection by default ignores RFC 7540 PRIORITY frames", () => {
  const { conn, peer } = server();
  assert.equal(scheme(conn), "rfc9218");
  assert.deepEqual(
    conn.receive(peer.ff.priority(3, { dependency: 0, exclusive: false, weight: 16 })),
    [],
  );
  assert.deepEqual(types(conn.receive(peer.headers(1, GET, { endStream: true }))), [
    "request_received",
    "stream_ended",
  ]);
});

Deno.test("H2Connection serves enqueued data through an injected scheduler", () => {
  // Strict priority: always the lowest ready stream id.
  const ready = new Set<number>();
  const order: number[] = [];
  const scheduler: DataScheduler = {
    add: () => {},
    remove: (id) => ready.delete(id),
    setPriority: () => {},
    setReady: (id, r) => (r ? ready.add(id) : ready.delete(id)),
    next: () => (ready.size === 0 ? undefined : Math.min(...ready)),
    charge: (id) => order.push(id),
  };
  const { client: c, server: s } = pair({}, { scheduler });
  c.sendHeaders(1, GET, { endStream: true });
  c.sendHeaders(3, GET, { endStream: true });
  s.receive(c.dataToSend());
  s.sendHeaders(3, OK);
  s.sendHeaders(1, OK);
  s.enqueueData(3, new Uint8Array(20_000), { endStream: true });
  s.enqueueData(1, new Uint8Array(20_000), { endStream: true });
  c.receive(s.dataToSend());
  assert.deepEqual(order, [1, 1, 3, 3]);
});

Deno.test("H2Connection drives its PriorityScheduler from a real client's signals", () => {
  const { client: c, server: s } = pair();
  // Both sides send SETTINGS_NO_RFC7540_PRIORITIES = 1, so RFC 9218 is in force.
  assert.equal(s.remoteSettings.noRfc7540Priorities, true);
  // Stream 1 asks for low urgency in its request, stream 3 is re-prioritized to 0 by a frame.
  c.sendHeaders(1, [...GET, { name: "priority", value: "u=6" }], { endStream: true });
  c.sendHeaders(3, GET, { endStream: true });
  c.prioritize(3, { urgency: 0, incremental: false });
  const ev = s.receive(c.dataToSend());
  assert.ok(ev.some((e) => e.type === "priority_updated" && e.streamId === 3));
  const urgency = (s.scheduler as PriorityScheduler).urgencyScheduler!;
  assert.deepEqual(urgency.priorityOf(1), { urgency: 6, incremental: false });
  assert.deepEqual(urgency.priorityOf(3), { urgency: 0, incremental: false });
  for (const id of [1, 3]) {
    s.sendHeaders(id, OK);
    s.enqueueData(id, new Uint8Array(30_000), { endStream: true });
  }
  const order: number[] = [];
  for (const e of c.receive(s.dataToSend())) if (e.type === "data_received") order.push(e.streamId);
  // Urgency 0 is served first; urgency 6 only gets what window is left.
  assert.equal(order[0], 3);
  assert.ok(order.indexOf(1) > order.lastIndexOf(3));
});

// ---------------------------------------------------------------- SETTINGS_NO_RFC7540_PRIORITIES

Deno.test("H2Connection sends SETTINGS_NO_RFC7540_PRIORITIES as its scheduler chooses", () => {
  const entry = (s: SettingsFrame) =>
    s.settings.find(([id]) => id === SettingCode.NO_RFC7540_PRIORITIES)?.[1];
  assert.equal(entry(serve().settings), 1);
  const tree = new PriorityScheduler({ noRfc7540Priorities: false });
  assert.equal(entry(serve({ scheduler: tree }).settings), 0);
  assert.equal(entry(serve({ scheduler: new RoundRobinScheduler() }).settings), undefined);
  // The client sends it too, in its first SETTINGS.
  const c = new H2Connection({ role: "client" });
  c.initiateConnection();
  const peer = new Peer();
  const bytes = c.dataToSend().subarray(24); // after the preface
  const first = peer.frames(bytes)[0] as SettingsFrame;
  assert.equal(entry(first), 1);
});

Deno.test("H2Connection rfc7540Priorities option selects the RFC 7540 tree by default", () => {
  const { conn, settings } = serve({ rfc7540Priorities: true });
  assert.equal(conn.config.rfc7540Priorities, true);
  assert.deepEqual(
    settings.settings.find(([id]) => id === SettingCode.NO_RFC7540_PRIORITIES),
    [SettingCode.NO_RFC7540_PRIORITIES, 0],
  );
  assert.equal(scheme(conn), "rfc7540");
  assert.equal(scheme(serve({ rfc7540Priorities: false }).conn), "rfc9218");
});

Deno.test("H2Connection takes a scheduler factory so shared options give each connection its own", () => {
  const made: RoundRobinScheduler[] = [];
  const options = {
    scheduler: () => {
      const s = new RoundRobinScheduler();
      made.push(s);
      return s;
    },
  };
  const a = serve(options).conn;
  const b = serve(options).conn;
  assert.equal(made.length, 2);
  assert.equal(a.scheduler, made[0]);
  assert.equal(b.scheduler, made[1]);
});

Deno.test("H2Connection rejects a peer that changes SETTINGS_NO_RFC7540_PRIORITIES", () => {
  const { conn, peer } = serve({}, [[SettingCode.NO_RFC7540_PRIORITIES, 0]]);
  const ev = conn.receive(peer.ff.settings([[SettingCode.NO_RFC7540_PRIORITIES, 1]]));
  assert.equal(only(ev, "connection_terminated").errorCode, ErrorCode.PROTOCOL_ERROR);
  const other = serve({}, []);
  const ev2 = other.conn.receive(other.peer.ff.settings([[SettingCode.NO_RFC7540_PRIORITIES, 2]]));
  assert.equal(only(ev2, "connection_terminated").errorCode, ErrorCode.PROTOCOL_ERROR);
});

Deno.test("H2Connection uses the RFC 7540 tree only while the peer has not disabled it", () => {
  const tree = serve({ scheduler: new PriorityScheduler({ noRfc7540Priorities: false }) });
  assert.equal(scheme(tree.conn), "rfc7540");
  const { conn, peer } = serve(
    { scheduler: new PriorityScheduler({ noRfc7540Priorities: false }) },
    [...OPEN_STREAMS, [SettingCode.NO_RFC7540_PRIORITIES, 1]],
  );
  assert.equal(scheme(conn), "rfc9218");
  // The peer's PRIORITY frames are now ignored and its priority field counts.
  conn.receive(request(peer, 1, "u=6"));
  conn.receive(request(peer, 3, "u=2"));
  conn.receive(peer.ff.priority(3, { dependency: 1, exclusive: true, weight: 1 }));
  respond(conn, [1, 3], 40_000);
  assert.deepEqual(runs(transfer(conn, peer, 65_535)), [3, 1]);
});

// ---------------------------------------------------------------- RFC 9218 order on the wire

Deno.test("H2Connection honours urgency strictly on the wire", () => {
  const { conn, peer } = serve();
  conn.receive(request(peer, 1, "u=5"));
  conn.receive(request(peer, 3, "u=1"));
  conn.receive(request(peer, 5, "u=3"));
  conn.receive(request(peer, 7)); // no signal: u=3, after 5 (same urgency, higher id)
  respond(conn, [1, 3, 5, 7], 100_000);
  // A small grant per round trip keeps every stream competing for the connection window.
  const sent = transfer(conn, peer, 20_000);
  assert.deepEqual(runs(sent), [3, 5, 7, 1]);
  assert.deepEqual([...totals(sent).values()], [100_000, 100_000, 100_000, 100_000]);
});

Deno.test("H2Connection reorders a transfer in flight on PRIORITY_UPDATE", () => {
  const { conn, peer } = serve();
  conn.receive(request(peer, 1, "u=5"));
  conn.receive(request(peer, 3, "u=4"));
  respond(conn, [1, 3], 200_000);
  const sent = transfer(conn, peer, 16_384, 100_000, (round) => {
    if (round === 3) conn.receive(peer.ff.priorityUpdate(1, "u=0"));
  });
  const r = runs(sent);
  assert.deepEqual(r, [3, 1, 3]);
  // Stream 3 had sent only what the first rounds allowed before stream 1 overtook it.
  const before = sent.findIndex((s) => s.id === 1);
  assert.ok(before > 0 && before <= 8);
});

Deno.test("H2Connection interleaves incremental streams of one urgency byte-fairly", () => {
  const { conn, peer } = serve();
  conn.receive(request(peer, 1, "u=3, i"));
  conn.receive(request(peer, 3, "u=3, i"));
  conn.receive(request(peer, 5, "u=4, i")); // less urgent: waits for both
  respond(conn, [1, 3, 5], 256 * 1024);
  const sent = transfer(conn, peer, 32_768);
  const r = runs(sent);
  // 1 and 3 alternate frame by frame (16 KiB each) until both finish, then 5.
  assert.equal(r[r.length - 1], 5);
  assert.ok(r.length >= 32, `only ${r.length} switches`);
  let a = 0, b = 0;
  for (const s of sent) {
    if (s.id === 1) a += s.bytes;
    else if (s.id === 3) b += s.bytes;
    else break;
    assert.ok(Math.abs(a - b) <= 16_384, `stream 1 at ${a}, stream 3 at ${b}`);
  }
});

Deno.test("H2Connection sends non-incremental streams of one urgency one at a time", () => {
  const { conn, peer } = serve();
  conn.receive(request(peer, 1, "u=3"));
  conn.receive(request(peer, 3, "u=3"));
  conn.receive(request(peer, 5, "u=3"));
  // Responses become ready in reverse order; the lowest stream id still goes first.
  respond(conn, [5, 3, 1], 100_000);
  assert.deepEqual(runs(transfer(conn, peer, 10_000)), [1, 3, 5]);
});

Deno.test("H2Connection application priority beats the client's later PRIORITY_UPDATE", () => {
  const { conn, peer } = serve();
  conn.receive(request(peer, 1, "u=0"));
  conn.receive(request(peer, 3, "u=5"));
  conn.prioritize(3, { urgency: 0, incremental: false });
  conn.prioritize(1, { urgency: 6, incremental: false });
  // The client tries to put stream 3 last and stream 1 first: the server's choice stands.
  conn.receive(peer.ff.priorityUpdate(3, "u=7"));
  conn.receive(peer.ff.priorityUpdate(1, "u=0"));
  respond(conn, [1, 3], 80_000);
  assert.deepEqual(runs(transfer(conn, peer, 16_384)), [3, 1]);
});

Deno.test("H2Connection applies a PRIORITY_UPDATE received before its stream opened", () => {
  const { conn, peer } = serve();
  conn.receive(peer.ff.priorityUpdate(5, "u=0"));
  conn.receive(request(peer, 1, "u=1"));
  conn.receive(request(peer, 3, "u=1"));
  // The update is the most recent signal and beats the request's own field (RFC 9218 §7).
  conn.receive(request(peer, 5, "u=7"));
  respond(conn, [1, 3, 5], 50_000);
  assert.deepEqual(runs(transfer(conn, peer, 16_384)), [5, 1, 3]);
});

Deno.test("H2Connection closes the connection when PRIORITY_UPDATEs pile up for idle streams", () => {
  const { conn, peer } = serve({ maxConcurrentStreams: 10 });
  let ev = conn.receive(request(peer, 1));
  for (let i = 0; i < 9; i++) {
    ev = conn.receive(peer.ff.priorityUpdate(3 + 2 * i, "u=1"));
    assert.ok(!ev.some((e) => e.type === "connection_terminated"), `update ${i}`);
  }
  // One open stream plus nine prioritized idle ones reach SETTINGS_MAX_CONCURRENT_STREAMS.
  ev = conn.receive(peer.ff.priorityUpdate(21, "u=1"));
  assert.equal(only(ev, "connection_terminated").errorCode, ErrorCode.PROTOCOL_ERROR);
});

// ---------------------------------------------------------------- flow control

Deno.test("H2Connection skips streams without window and resumes them on WINDOW_UPDATE", () => {
  // Stream windows of 16 KiB; the connection window (64 KiB) is not the limit.
  const { conn, peer } = serve({}, [[SettingCode.INITIAL_WINDOW_SIZE, 16_384]]);
  conn.receive(request(peer, 1, "u=0"));
  conn.receive(request(peer, 3, "u=7"));
  respond(conn, [1, 3], 40_000);
  // The urgent stream spends its window, then the background one gets its turn.
  assert.deepEqual(drain(conn, peer).map((s) => [s.id, s.bytes]), [[1, 16_384], [3, 16_384]]);
  assert.deepEqual(drain(conn, peer), []);
  assert.equal(conn.localFlowControlWindow(0), 65_535 - 32_768);
  // Window for both: the urgent stream goes first again.
  conn.receive(FrameFactory.concat(peer.ff.windowUpdate(3, 8_000), peer.ff.windowUpdate(1, 8_000)));
  assert.deepEqual(drain(conn, peer).map((s) => [s.id, s.bytes]), [[1, 8_000], [3, 8_000]]);
  // Stream 3 alone has window: it finishes without waiting for stream 1.
  conn.receive(peer.ff.windowUpdate(3, 100_000));
  assert.deepEqual(drain(conn, peer).map((s) => [s.id, s.bytes, s.end]), [[3, 15_616, true]]);
  // Stream 1 gets window but the connection has only 65,535 - 64,384 octets left.
  conn.receive(peer.ff.windowUpdate(1, 100_000));
  assert.deepEqual(drain(conn, peer).map((s) => [s.id, s.bytes, s.end]), [[1, 1_151, false]]);
  assert.equal(conn.localFlowControlWindow(0), 0);
  conn.receive(peer.ff.windowUpdate(0, 100_000));
  assert.deepEqual(drain(conn, peer).map((s) => [s.id, s.bytes, s.end]), [[1, 14_465, true]]);
});

Deno.test("H2Connection shares a scarce connection window fairly among incremental streams", () => {
  const { conn, peer } = serve();
  for (const id of [1, 3, 5]) conn.receive(request(peer, id, "u=2, i"));
  respond(conn, [1, 3, 5], 600_000);
  // 10,000 octets per round trip: less than one frame, so each round is one partial frame.
  const sent = transfer(conn, peer, 10_000, 60, () => {});
  const t = totals(sent);
  const values = [t.get(1)!, t.get(3)!, t.get(5)!];
  const max = Math.max(...values), min = Math.min(...values);
  assert.ok(max - min <= 16_384, `shares ${values}`);
  assert.ok(min > 150_000, `shares ${values}`);
});

// ---------------------------------------------------------------- RFC 7540 tree on the wire

Deno.test("H2Connection shares the connection window by RFC 7540 weight within 2%", () => {
  const { conn, peer } = serve({
    scheduler: new PriorityScheduler({ noRfc7540Priorities: false }),
  });
  const weights = new Map([[1, 32], [3, 96], [5, 128]]);
  for (const [id, weight] of weights) {
    conn.receive(request(peer, id, undefined, { dependency: 0, exclusive: false, weight }));
  }
  const size = 8 << 20;
  respond(conn, [1, 3, 5], size);
  // Measure while all three are still sending: up to the first END_STREAM.
  const sent = transfer(conn, peer, 128 * 1024);
  const firstEnd = sent.findIndex((s) => s.end);
  assert.equal(sent[firstEnd].id, 5);
  const t = totals(sent.slice(0, firstEnd + 1));
  const all = t.get(1)! + t.get(3)! + t.get(5)!;
  assert.ok(all > 15 << 20);
  for (const [id, weight] of weights) {
    const share = t.get(id)! / all;
    const expected = weight / 256;
    assert.ok(
      Math.abs(share - expected) / expected < 0.02,
      `stream ${id}: share ${share.toFixed(4)}, expected ${expected}`,
    );
  }
  // The rest of the bodies still arrive in full.
  assert.deepEqual([...totals(sent).values()], [size, size, size]);
});

Deno.test("H2Connection serves an RFC 7540 parent before its dependants and follows PRIORITY", () => {
  const { conn, peer } = serve({
    scheduler: new PriorityScheduler({ noRfc7540Priorities: false }),
  });
  conn.receive(request(peer, 1));
  // 3 and 5 depend on 1: they get nothing while 1 can send.
  conn.receive(request(peer, 3, "u=0", { dependency: 1, exclusive: false, weight: 16 }));
  conn.receive(request(peer, 5, undefined, { dependency: 1, exclusive: false, weight: 16 }));
  respond(conn, [5, 3, 1], 200_000);
  const sent = transfer(conn, peer, 16_384, 100_000, (round) => {
    // Mid-transfer, stream 5 becomes the root's exclusive child: it now comes first of all.
    if (round === 2) {
      conn.receive(peer.ff.priority(5, { dependency: 0, exclusive: true, weight: 16 }));
    }
  });
  const r = runs(sent);
  assert.equal(r[0], 1);
  assert.equal(r[1], 5);
  assert.ok(sent.filter((s) => s.id === 5).every((s, i, a) => i === 0 || s.id === a[i - 1].id));
  // After 5 ends, 1 resumes, and 3 waits for 1.
  assert.deepEqual(r.slice(1), [5, 1, 3]);
});

Deno.test("H2Connection resets a stream whose PRIORITY names itself", () => {
  const { conn, peer } = serve({
    scheduler: new PriorityScheduler({ noRfc7540Priorities: false }),
  });
  conn.receive(request(peer, 1));
  const ev = conn.receive(peer.ff.priority(1, { dependency: 1, exclusive: false, weight: 16 }));
  assert.equal(only(ev, "stream_reset").errorCode, ErrorCode.PROTOCOL_ERROR);
  assert.ok(!conn.isClosed);
});

Deno.test("H2Connection bounds the tree nodes a PRIORITY flood on idle streams creates", () => {
  const scheduler = new PriorityScheduler({ noRfc7540Priorities: false });
  const { conn, peer } = serve({ scheduler });
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 5000; i++) {
    frames.push(
      peer.ff.priority(101 + 2 * i, { dependency: 99 + 2 * i, exclusive: false, weight: 9 }),
    );
  }
  const ev = conn.receive(FrameFactory.concat(...frames));
  assert.deepEqual(ev, []);
  assert.ok(scheduler.dependencyTree!.nodeCount <= 100);
  // The connection still works and lower ids are still open for requests.
  assert.deepEqual(types(conn.receive(request(peer, 1))), ["request_received", "stream_ended"]);
});

// ---------------------------------------------------------------- other schedulers

Deno.test("H2Connection with RoundRobinScheduler ignores priorities and alternates", () => {
  const { conn, peer } = serve({ scheduler: new RoundRobinScheduler() });
  conn.receive(request(peer, 1, "u=0"));
  conn.receive(request(peer, 3, "u=7"));
  conn.receive(peer.ff.priorityUpdate(3, "u=0"));
  respond(conn, [1, 3], 65_536);
  assert.deepEqual(runs(transfer(conn, peer, 65_535)), [1, 3, 1, 3, 1, 3, 1, 3]);
});

Deno.test("H2Connection client orders its request bodies by its own priority field", () => {
  const { conn, peer } = client({}, OPEN_STREAMS);
  const post = (id: number, priority: string) => {
    conn.sendHeaders(id, [...POST, { name: "priority", value: priority }]);
    conn.enqueueData(id, new Uint8Array(50_000), { endStream: true });
  };
  post(1, "u=6");
  post(3, "u=1");
  const data = peer.frames(conn.dataToSend()).filter((f) => f.type === FrameType.DATA);
  assert.deepEqual(runs(data.map((f) => ({ id: f.streamId, bytes: 0, end: false }))), [3, 1]);
});
