import assert from "node:assert/strict";
import { PriorityScheduler } from "../../../core/priority/priority_scheduler.ts";
import { ProtocolError, UsageError } from "../../../core/errors.ts";
import { SeededRng, testSeeds } from "../../_support/seeded_rng.ts";
import { simulateTransfer } from "./_transfer.ts";

Deno.test("PriorityScheduler uses RFC 9218 when we send SETTINGS_NO_RFC7540_PRIORITIES = 1", () => {
  const s = new PriorityScheduler();
  assert.equal(s.scheme, "rfc9218");
  assert.equal(s.localSetting, 1);
  s.applyPeerSettings(undefined); // peer silent: we still ignore RFC 7540 signals
  assert.equal(s.scheme, "rfc9218");
  s.add(1, { field: "u=4", spec: { dependency: 0, exclusive: false, weight: 256 } });
  s.add(3, { field: "u=2" });
  s.priorityFrame(3, { dependency: 1, exclusive: true, weight: 1 }); // ignored
  s.setReady(1, true);
  s.setReady(3, true);
  assert.equal(s.next(), 3);
  assert.deepEqual(s.urgencyScheduler!.priorityOf(1), { urgency: 4, incremental: false });
  assert.equal(s.dependencyTree, undefined);
});

Deno.test("PriorityScheduler uses the RFC 7540 tree unless either side sends 1", () => {
  const s = new PriorityScheduler({ noRfc7540Priorities: false });
  assert.equal(s.scheme, "rfc7540");
  assert.equal(s.localSetting, 0);
  s.applyPeerSettings(0);
  assert.equal(s.scheme, "rfc7540");
  s.add(1, { field: "u=0" });
  s.add(3, { spec: { dependency: 0, exclusive: false, weight: 48 } });
  s.priorityUpdate(3, "u=7"); // ignored under RFC 7540
  s.priorityFrame(1, { dependency: 0, exclusive: false, weight: 16 });
  s.priorityFrame(9, { dependency: 3, exclusive: false, weight: 16 }); // idle placeholder
  for (const id of [1, 3]) s.setReady(id, true);
  const log = simulateTransfer(s, new Map([[1, Infinity], [3, Infinity]]), 1000, 6400);
  const share = log.bytes.get(3)! / (log.bytes.get(1)! + log.bytes.get(3)!);
  assert.ok(Math.abs(share - 0.75) < 0.015, `share ${share}`);
  assert.equal(s.dependencyTree!.stateOf(9), "idle");
});

Deno.test("PriorityScheduler switches to RFC 9218 when the peer's first SETTINGS says 1", () => {
  const s = new PriorityScheduler({ noRfc7540Priorities: false });
  s.add(1);
  s.add(3);
  s.setReady(3, true);
  s.applyPeerSettings(1);
  assert.equal(s.scheme, "rfc9218");
  assert.equal(s.size, 2);
  assert.equal(s.isReady(3), true);
  assert.equal(s.isReady(1), false);
  assert.equal(s.next(), 3);
  s.priorityUpdate(1, "u=0");
  s.setReady(1, true);
  assert.equal(s.next(), 1);
});

Deno.test("PriorityScheduler validates SETTINGS_NO_RFC7540_PRIORITIES (RFC 9218 §2.1)", () => {
  assert.throws(() => new PriorityScheduler().applyPeerSettings(2), ProtocolError);
  const s = new PriorityScheduler();
  s.applyPeerSettings(1);
  s.applyPeerSettings(undefined); // later frames without it: no change
  s.applyPeerSettings(1);
  assert.throws(() => s.applyPeerSettings(0), ProtocolError);
  const t = new PriorityScheduler();
  t.applyPeerSettings(undefined); // absent in the first SETTINGS means 0
  assert.throws(() => t.applyPeerSettings(1), ProtocolError);
});

Deno.test("PriorityScheduler accepts already-parsed RFC 9218 parameters in add()", () => {
  const s = new PriorityScheduler();
  s.add(1, { urgency: 6, incremental: true });
  assert.deepEqual(s.urgencyScheduler!.priorityOf(1), { urgency: 6, incremental: true });
  const t = new PriorityScheduler({ noRfc7540Priorities: false });
  t.add(1, { urgency: 6, incremental: true });
  assert.equal(t.dependencyTree!.weightOf(1), 16);
});

Deno.test("PriorityScheduler rejects self-dependencies in either scheme", () => {
  for (const noRfc7540Priorities of [true, false]) {
    const s = new PriorityScheduler({ noRfc7540Priorities });
    const self = { dependency: 5, exclusive: false, weight: 16 };
    assert.throws(() => s.add(5, { spec: self }), ProtocolError);
    s.add(5);
    try {
      s.priorityFrame(5, self);
      assert.fail("no error");
    } catch (e) {
      assert.ok(e instanceof ProtocolError && e.scope === "stream" && e.streamId === 5);
    }
  }
});

Deno.test("PriorityScheduler handles PRIORITY_UPDATE before and after the stream opens", () => {
  const s = new PriorityScheduler();
  s.priorityUpdate(3, "u=1, i"); // before HEADERS
  s.add(1, { field: "u=2" });
  s.add(3, { field: "u=6" });
  assert.deepEqual(s.urgencyScheduler!.priorityOf(3), { urgency: 1, incremental: true });
  s.priorityUpdate(1, "i"); // complete set: u falls back to 3
  assert.deepEqual(s.urgencyScheduler!.priorityOf(1), { urgency: 3, incremental: true });
  s.priorityUpdate(1, "u=,"); // unparsable: ignored
  assert.deepEqual(s.urgencyScheduler!.priorityOf(1), { urgency: 3, incremental: true });
  assert.throws(() => s.priorityUpdate(0, "u=1"), ProtocolError);
});

Deno.test("PriorityScheduler applies the application's override in either scheme", () => {
  const s = new PriorityScheduler();
  s.add(1, { field: "u=6" });
  s.setPriority(1, { urgency: 0 });
  s.priorityUpdate(1, "u=7");
  assert.equal(s.urgencyScheduler!.priorityOf(1)!.urgency, 0);
  const t = new PriorityScheduler({ noRfc7540Priorities: false });
  t.add(1, { spec: { dependency: 0, exclusive: false, weight: 1 } });
  t.add(3, { spec: { dependency: 1, exclusive: false, weight: 1 } });
  t.setPriority(3, { urgency: 0 });
  assert.equal(t.dependencyTree!.parentOf(3), 0);
  assert.equal(t.dependencyTree!.weightOf(3), 128);
  t.setPriority(3, { urgency: 7 });
  assert.equal(t.dependencyTree!.weightOf(3), 1);
  assert.throws(() => t.setPriority(3, { urgency: 9 }), UsageError);
  t.setPriority(5, { urgency: 1 }); // not open: ignored
  assert.equal(t.dependencyTree!.stateOf(5), undefined);
  t.setPriority(3, { incremental: true }); // no RFC 7540 meaning: ignored
  assert.equal(t.dependencyTree!.weightOf(3), 1);
});

Deno.test("PriorityScheduler shares the connection window by urgency, then fairly (3 downloads)", () => {
  // Three concurrent downloads over one connection, 1 MB each, 16 KiB frames:
  // u=1 first, then the two incremental u=3 responses interleaved.
  const s = new PriorityScheduler();
  s.add(1, { field: "u=3, i" });
  s.add(3, { field: "u=1" });
  s.add(5, { field: "u=3, i" });
  for (const id of [1, 3, 5]) s.setReady(id, true);
  const remaining = new Map([[1, 1_000_000], [3, 1_000_000], [5, 1_000_000]]);
  const log = simulateTransfer(s, remaining, 16_384, 10_000);
  assert.deepEqual(log.finished.slice(0, 1), [3]);
  const firstOther = log.served.findIndex((id) => id !== 3);
  assert.equal(firstOther, Math.ceil(1_000_000 / 16_384), "u=1 took the whole window first");
  const rest = log.served.slice(firstOther, firstOther + 60);
  const ones = rest.filter((id) => id === 1).length;
  assert.ok(ones === 30, `interleaved 1 and 5 equally: ${ones}/60`);
});

Deno.test("PriorityScheduler survives random frame sequences from a hostile peer", () => {
  for (const seed of testSeeds(0xbad9, 8)) {
    const rng = new SeededRng(seed);
    const s = new PriorityScheduler({
      noRfc7540Priorities: rng.chance(0.5),
      maxConcurrentStreams: 32,
      maxRetainedNodes: 8,
    });
    if (rng.chance(0.7)) s.applyPeerSettings(rng.pick([undefined, 0, 1]));
    const open = new Set<number>();
    let nextId = 1;
    const fields = ["u=0", "u=7, i", "i", "", "u=9", "u=,", "x=(1 2), u=2;q", "u=1, u=5"];
    for (let step = 0; step < 2000; step++) {
      const op = rng.int(0, 7);
      try {
        if (op === 0 && open.size < 30) {
          const spec = rng.chance(0.5)
            ? {
              dependency: rng.int(0, nextId + 4),
              exclusive: rng.chance(0.5),
              weight: rng.int(1, 256),
            }
            : undefined;
          s.add(nextId, { field: rng.chance(0.5) ? rng.pick(fields) : undefined, spec });
          open.add(nextId);
          nextId += 2;
        } else if (op === 1) {
          s.priorityUpdate(rng.int(0, nextId + 30), rng.pick(fields));
        } else if (op === 2) {
          const id = rng.int(1, nextId + 30);
          s.priorityFrame(id, {
            dependency: rng.int(0, nextId + 30),
            exclusive: rng.chance(0.5),
            weight: rng.int(1, 256),
          });
        } else if (op === 3 && open.size > 0) {
          const id = rng.pick([...open]);
          s.remove(id);
          open.delete(id);
        } else if (op <= 5 && open.size > 0) {
          s.setReady(rng.pick([...open]), rng.chance(0.7));
        } else {
          const id = s.next();
          if (id !== undefined) s.charge(id, rng.int(1, 16384));
        }
      } catch (e) {
        assert.ok(e instanceof ProtocolError, `seed ${seed}: ${e}`);
        if (op === 0) nextId += 2;
      }
      s.dependencyTree?.checkInvariants();
      assert.equal(s.size, open.size);
      const id = s.next();
      if (id !== undefined) assert.ok(open.has(id) && s.isReady(id));
      else assert.ok(![...open].some((o) => s.isReady(o)));
    }
  }
});
