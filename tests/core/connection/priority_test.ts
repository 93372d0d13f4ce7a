import assert from "node:assert/strict";
import type { DataScheduler } from "../../../core/config.ts";
import { ErrorCode } from "../../../core/error_code.ts";
import { FrameType, type PriorityUpdateFrame } from "../../../core/frame/mod.ts";
import { UrgencyScheduler } from "../../../core/priority/urgency_scheduler.ts";
import { client, GET, OK, only, pair, server, types } from "./_harness.ts";

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

Deno.test("H2Connection server reports PRIORITY_UPDATE and tells its scheduler", () => {
  const calls: string[] = [];
  const scheduler: DataScheduler = {
    add: (id) => calls.push(`add ${id}`),
    remove: (id) => calls.push(`remove ${id}`),
    setPriority: (id, p) => calls.push(`priority ${id} ${p.urgency} ${p.incremental}`),
    setReady: () => {},
    next: () => undefined,
    charge: () => {},
  };
  const { conn, peer } = server({ scheduler });
  // An update for a stream not yet open is kept and applied when it opens.
  const ev = conn.receive(peer.ff.priorityUpdate(1, "u=5"));
  const p = only(ev, "priority_updated");
  assert.deepEqual([p.streamId, p.urgency, p.incremental], [1, 5, false]);
  conn.receive(peer.headers(1, GET, { endStream: true }));
  conn.receive(peer.ff.priorityUpdate(1, "u=0, i"));
  assert.deepEqual(calls, ["add 1", "priority 1 5 false", "priority 1 0 true"]);
});

Deno.test("H2Connection client rejects PRIORITY_UPDATE from a server", () => {
  const { conn, peer } = client();
  const ev = conn.receive(peer.ff.priorityUpdate(1, "u=1"));
  assert.equal(only(ev, "connection_terminated").errorCode, ErrorCode.PROTOCOL_ERROR);
});

Deno.test("H2Connection ignores RFC 7540 PRIORITY frames", () => {
  const { conn, peer } = server();
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

Deno.test("H2Connection drives core/priority's UrgencyScheduler from client signals", () => {
  const scheduler = new UrgencyScheduler();
  const { client: c, server: s } = pair({}, { scheduler });
  // Stream 1 asks for low urgency in its request, stream 3 is re-prioritized to 0 by a frame.
  c.sendHeaders(1, [...GET, { name: "priority", value: "u=6" }], { endStream: true });
  c.sendHeaders(3, GET, { endStream: true });
  c.prioritize(3, { urgency: 0, incremental: false });
  const ev = s.receive(c.dataToSend());
  assert.ok(ev.some((e) => e.type === "priority_updated" && e.streamId === 3));
  assert.deepEqual(scheduler.priorityOf(1), { urgency: 6, incremental: false });
  assert.deepEqual(scheduler.priorityOf(3), { urgency: 0, incremental: false });
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
