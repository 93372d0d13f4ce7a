import assert from "node:assert/strict";
import { UrgencyScheduler } from "../../../core/priority/urgency_scheduler.ts";
import { ProtocolError, UsageError } from "../../../core/errors.ts";
import { SeededRng, testSeeds } from "../../_support/seeded_rng.ts";
import { simulateTransfer } from "./_transfer.ts";

function p(urgency: number, incremental: boolean) {
  return { urgency, incremental };
}

// The rule RFC 9218 §10 asks for, checked against whatever next() returns.
function assertDecisionValid(s: UrgencyScheduler, ids: Iterable<number>): void {
  const ready = [...ids].filter((id) => s.isReady(id));
  const chosen = s.next();
  if (ready.length === 0) {
    assert.equal(chosen, undefined);
    return;
  }
  assert.ok(chosen !== undefined && s.isReady(chosen), `chose "${chosen}"`);
  const top = Math.min(...ready.map((id) => s.priorityOf(id)!.urgency));
  const c = s.priorityOf(chosen)!;
  assert.equal(c.urgency, top, `urgency not honoured: chose "${chosen}"`);
  if (!c.incremental) {
    const seq = ready.filter((id) => {
      const q = s.priorityOf(id)!;
      return q.urgency === top && !q.incremental;
    });
    assert.equal(chosen, Math.min(...seq), "non-incremental not in stream order");
  }
}

Deno.test("UrgencyScheduler serves strictly by urgency in simulated transfers", () => {
  for (const seed of testSeeds(0x0a11, 6)) {
    const rng = new SeededRng(seed);
    const s = new UrgencyScheduler();
    const remaining = new Map<number, number>();
    for (let id = 1; id <= 41; id += 2) {
      s.add(id, p(rng.int(0, 7), rng.chance(0.5)));
      s.setReady(id, true);
      remaining.set(id, rng.int(1, 40) * 1000);
    }
    const finishedAt = new Map<number, number>();
    let step = 0;
    while (s.next() !== undefined) {
      assertDecisionValid(s, remaining.keys());
      const log = simulateTransfer(s, remaining, rng.int(100, 16384), 1);
      for (const id of log.finished) finishedAt.set(id, step);
      step++;
    }
    // Every stream of urgency u finished before any stream of urgency > u sent its last byte.
    const ids = [...finishedAt.keys()];
    for (const a of ids) {
      for (const b of ids) {
        if (s.priorityOf(a) === undefined) continue;
        const ua = s.priorityOf(a)!.urgency;
        const ub = s.priorityOf(b)!.urgency;
        if (ua < ub) {
          assert.ok(finishedAt.get(a)! < finishedAt.get(b)!, `seed ${seed}: ${a} vs ${b}`);
        }
      }
    }
  }
});

Deno.test("UrgencyScheduler interleaves incremental streams of one urgency frame by frame", () => {
  const s = new UrgencyScheduler();
  for (const id of [1, 3, 5]) {
    s.add(id, p(4, true));
    s.setReady(id, true);
  }
  const remaining = new Map([[1, 160_000], [3, 160_000], [5, 160_000]]);
  const log = simulateTransfer(s, remaining, 16_000, 30);
  for (let i = 0; i + 3 <= log.served.length; i += 3) {
    assert.deepEqual(log.served.slice(i, i + 3).sort(), [1, 3, 5], `round ${i / 3}`);
  }
  assert.deepEqual([...log.bytes.values()], [160_000, 160_000, 160_000]);
});

Deno.test("UrgencyScheduler serves non-incremental streams one at a time in stream id order", () => {
  const s = new UrgencyScheduler();
  for (const id of [3, 5, 7, 9]) s.add(id, p(2, false));
  for (const id of [9, 5, 7, 3]) s.setReady(id, true); // readiness order must not matter
  const remaining = new Map([[3, 50_000], [5, 20_000], [7, 70_000], [9, 10_000]]);
  const log = simulateTransfer(s, remaining, 16_384, 1000);
  assert.deepEqual(log.finished, [3, 5, 7, 9]);
  // No interleaving: once a stream is left it never comes back.
  const runs = log.served.filter((id, i) => i === 0 || log.served[i - 1] !== id);
  assert.deepEqual(runs, [3, 5, 7, 9]);
});

Deno.test("UrgencyScheduler shares bandwidth byte-fairly even with unequal frame sizes", () => {
  const s = new UrgencyScheduler();
  const sizes = new Map([[1, 1000], [3, 4000], [5, 16_384], [7, 777]]);
  for (const id of sizes.keys()) {
    s.add(id, p(3, true));
    s.setReady(id, true);
  }
  const remaining = new Map([...sizes.keys()].map((id) => [id, Infinity]));
  const log = simulateTransfer(s, remaining, (id) => sizes.get(id)!, 20_000);
  const total = [...log.bytes.values()].reduce((a, b) => a + b, 0);
  for (const [id, b] of log.bytes) {
    const share = b / total;
    assert.ok(Math.abs(share - 0.25) < 0.02 * 0.25, `stream ${id} got ${share}`);
  }
});

Deno.test("UrgencyScheduler gives the non-incremental group one fair share beside incremental streams", () => {
  const s = new UrgencyScheduler();
  s.add(1, p(3, false));
  s.add(3, p(3, false));
  s.add(5, p(3, true));
  s.add(7, p(3, true));
  for (const id of [1, 3, 5, 7]) s.setReady(id, true);
  const remaining = new Map([[1, Infinity], [3, Infinity], [5, Infinity], [7, Infinity]]);
  const log = simulateTransfer(s, remaining, 10_000, 3000);
  assert.equal(log.bytes.get(3), undefined, "stream 3 waits for stream 1 to finish");
  const group = log.bytes.get(1)!;
  for (const id of [5, 7]) {
    assert.ok(Math.abs(log.bytes.get(id)! - group) <= 10_000, `stream ${id} vs group`);
  }
});

Deno.test("UrgencyScheduler skips blocked streams and resumes them without credit for idle time", () => {
  const s = new UrgencyScheduler();
  s.add(1, p(0, false));
  s.add(3, p(3, true));
  s.add(5, p(3, true));
  s.setReady(3, true);
  assert.equal(s.next(), 3);
  s.setReady(1, true);
  assert.equal(s.next(), 1, "the urgent stream preempts as soon as it has data");
  s.setReady(1, false);
  // Stream 3 sends alone for a while; stream 5 then joins and must not get a burst.
  for (let i = 0; i < 100; i++) s.charge(s.next()!, 1000);
  s.setReady(5, true);
  const remaining = new Map([[3, Infinity], [5, Infinity]]);
  const log = simulateTransfer(s, remaining, 1000, 20);
  assert.equal(log.bytes.get(3), 10_000);
  assert.equal(log.bytes.get(5), 10_000);
  s.setReady(3, false);
  s.setReady(5, false);
  assert.equal(s.next(), undefined);
});

Deno.test("UrgencyScheduler applies PRIORITY_UPDATE to an open stream", () => {
  const s = new UrgencyScheduler();
  s.add(1, p(3, false));
  s.add(3, p(3, false));
  s.setReady(1, true);
  s.setReady(3, true);
  assert.equal(s.next(), 1);
  s.priorityUpdate(3, p(1, false));
  assert.equal(s.next(), 3);
  assert.deepEqual(s.priorityOf(3), p(1, false));
  s.priorityUpdate(3, p(6, true)); // moves while ready
  assert.equal(s.next(), 1);
});

Deno.test("UrgencyScheduler buffers PRIORITY_UPDATE for an idle stream and it beats the header", () => {
  const s = new UrgencyScheduler();
  s.add(1);
  s.priorityUpdate(5, p(6, true));
  s.priorityUpdate(5, p(0, true)); // the most recent one counts, in one slot
  assert.equal(s.bufferedUpdates, 1);
  s.add(5, p(4, false)); // header says u=4
  assert.deepEqual(s.priorityOf(5), p(0, true));
  assert.equal(s.bufferedUpdates, 0);
});

Deno.test("UrgencyScheduler discards PRIORITY_UPDATE for closed and skipped streams", () => {
  const s = new UrgencyScheduler();
  s.priorityUpdate(3, p(1, false));
  s.priorityUpdate(9, p(1, false));
  s.add(7); // opening 7 implicitly closes idle stream 3 (RFC 9113 §5.1.1)
  assert.equal(s.bufferedUpdates, 1);
  s.add(9);
  assert.deepEqual(s.priorityOf(9), p(1, false));
  s.remove(9);
  s.priorityUpdate(9, p(0, false)); // closed
  s.priorityUpdate(5, p(0, false)); // below the highest opened: closed
  assert.equal(s.bufferedUpdates, 0);
  s.priorityUpdate(2, p(0, false)); // the even (server) id space is separate
  assert.equal(s.bufferedUpdates, 1);
  assert.throws(() => s.priorityUpdate(0, p(0, false)), ProtocolError);
});

Deno.test("UrgencyScheduler bounds idle prioritized plus open streams by MAX_CONCURRENT_STREAMS", () => {
  const s = new UrgencyScheduler({ maxConcurrentStreams: 4 });
  s.add(1);
  s.add(3);
  s.priorityUpdate(5, p(1, false));
  s.priorityUpdate(7, p(1, false));
  s.priorityUpdate(7, p(2, false)); // replacing does not count twice
  assert.throws(() => s.priorityUpdate(9, p(1, false)), ProtocolError);
  s.remove(1);
  s.priorityUpdate(9, p(1, false));
  assert.equal(s.bufferedUpdates, 3);
});

Deno.test("UrgencyScheduler drops the oldest buffered update beyond its hard cap", () => {
  const s = new UrgencyScheduler({ maxConcurrentStreams: 2 ** 31, maxBufferedUpdates: 3 });
  for (let id = 1; id <= 2001; id += 2) s.priorityUpdate(id, p(id % 8, false));
  assert.equal(s.bufferedUpdates, 3);
  s.add(1997);
  assert.deepEqual(s.priorityOf(1997), p(1997 % 8, false));
});

Deno.test("UrgencyScheduler lets the application override the client", () => {
  const s = new UrgencyScheduler();
  s.add(1, p(5, true));
  s.setPriority(1, { urgency: 1 });
  assert.deepEqual(s.priorityOf(1), p(1, true));
  s.priorityUpdate(1, p(7, false)); // urgency stays overridden, incremental follows the client
  assert.deepEqual(s.priorityOf(1), p(1, false));
  s.clearPriority(1);
  assert.deepEqual(s.priorityOf(1), p(7, false));
  assert.throws(() => s.setPriority(1, { urgency: 8 }), UsageError);
  s.setPriority(99, { urgency: 1 }); // a stream that just closed: ignored
  s.clearPriority(99);
  assert.equal(s.priorityOf(99), undefined);
});

Deno.test("UrgencyScheduler rejects misuse with UsageError", () => {
  const s = new UrgencyScheduler();
  s.add(1);
  assert.throws(() => s.add(1), UsageError);
  assert.throws(() => s.add(3, p(-1, false)), UsageError);
  assert.throws(() => s.setReady(3, true), UsageError);
  assert.throws(() => s.charge(3, 1), UsageError);
  assert.throws(() => s.charge(1, -1), UsageError);
  assert.throws(() => s.charge(1, NaN), UsageError);
  s.remove(3); // unknown: ignored
  s.setReady(1, true);
  s.remove(1);
  assert.equal(s.next(), undefined);
  assert.equal(s.size, 0);
});

Deno.test("UrgencyScheduler survives random operation sequences and keeps every decision valid", () => {
  for (const seed of testSeeds(0xf022, 10)) {
    const rng = new SeededRng(seed);
    const s = new UrgencyScheduler({ maxConcurrentStreams: 64 });
    const open = new Set<number>();
    let nextId = 1;
    for (let step = 0; step < 3000; step++) {
      const op = rng.int(0, 9);
      try {
        if (op === 0 && open.size < 40) {
          s.add(nextId, p(rng.int(0, 7), rng.chance(0.5)));
          open.add(nextId);
          nextId += 2;
        } else if (op === 1 && open.size > 0) {
          const id = rng.pick([...open]);
          s.remove(id);
          open.delete(id);
        } else if (op <= 4 && open.size > 0) {
          s.setReady(rng.pick([...open]), rng.chance(0.6));
        } else if (op <= 6) {
          const id = s.next();
          if (id !== undefined) s.charge(id, rng.int(0, 16384));
        } else if (op === 7) {
          // PRIORITY_UPDATE for any id: open, closed, idle or far ahead.
          s.priorityUpdate(rng.int(1, nextId + 20) | 1, p(rng.int(0, 7), rng.chance(0.5)));
        } else if (op === 8 && open.size > 0) {
          s.setPriority(rng.pick([...open]), { urgency: rng.int(0, 7) });
        } else if (open.size > 0) {
          s.clearPriority(rng.pick([...open]));
        }
      } catch (e) {
        // The only error a peer can provoke here is the idle-stream limit.
        assert.ok(e instanceof ProtocolError, `seed ${seed}: ${e}`);
      }
      assert.equal(s.size, open.size);
      assert.ok(s.bufferedUpdates <= 128);
      assertDecisionValid(s, open);
    }
  }
});

// An executable specification of the policy: the same start-time fair queueing
// as UrgencyScheduler, but with linear scans and no heaps or bitmaps, so any
// bookkeeping slip in the real one shows up as a different decision.
class ReferenceModel {
  readonly streams = new Map<
    number,
    {
      u: number;
      inc: boolean;
      ready: boolean;
      key: number;
      seq: number;
      client: { urgency: number; incremental: boolean };
      over: { urgency?: number; incremental?: boolean };
    }
  >();
  readonly sentinelKey = new Array(8).fill(0);
  readonly sentinelSeq = new Array(8).fill(0);
  readonly sentinelIn = new Array(8).fill(false);
  readonly clock = new Array(8).fill(0);
  seq = 0;

  add(id: number, q: { urgency: number; incremental: boolean }) {
    this.streams.set(id, {
      u: q.urgency,
      inc: q.incremental,
      ready: false,
      key: 0,
      seq: 0,
      client: q,
      over: {},
    });
  }
  #seqReady(u: number, except?: number) {
    return [...this.streams].filter(([id, s]) => id !== except && s.ready && !s.inc && s.u === u);
  }
  #attach(id: number) {
    const s = this.streams.get(id)!;
    if (s.inc) {
      s.key = Math.max(s.key, this.clock[s.u]);
      s.seq = ++this.seq;
    } else if (!this.sentinelIn[s.u]) {
      this.sentinelKey[s.u] = Math.max(this.sentinelKey[s.u], this.clock[s.u]);
      this.sentinelSeq[s.u] = ++this.seq;
      this.sentinelIn[s.u] = true;
    }
  }
  #detach(id: number) {
    const s = this.streams.get(id)!;
    if (!s.inc && this.#seqReady(s.u, id).length === 0) this.sentinelIn[s.u] = false;
  }
  remove(id: number) {
    const s = this.streams.get(id);
    if (s === undefined) return;
    if (s.ready) this.#detach(id);
    this.streams.delete(id);
  }
  setReady(id: number, ready: boolean) {
    const s = this.streams.get(id)!;
    if (s.ready === ready) return;
    if (ready) {
      s.ready = true;
      this.#attach(id);
    } else {
      this.#detach(id);
      s.ready = false;
    }
  }
  #refresh(id: number) {
    const s = this.streams.get(id)!;
    const u = s.over.urgency ?? s.client.urgency;
    const inc = s.over.incremental ?? s.client.incremental;
    if (u === s.u && inc === s.inc) return;
    if (s.ready) this.#detach(id);
    s.u = u;
    s.inc = inc;
    if (s.ready) this.#attach(id);
  }
  update(id: number, q: { urgency: number; incremental: boolean }) {
    this.streams.get(id)!.client = q;
    this.#refresh(id);
  }
  override(id: number, q: { urgency?: number; incremental?: boolean }) {
    const s = this.streams.get(id)!;
    s.over = {
      urgency: q.urgency ?? s.over.urgency,
      incremental: q.incremental ?? s.over.incremental,
    };
    this.#refresh(id);
  }
  next(): number | undefined {
    for (let u = 0; u < 8; u++) {
      let best: [number, number, number] | undefined; // key, seq, id (-1: sentinel)
      for (const [id, s] of this.streams) {
        if (s.ready && s.inc && s.u === u) {
          if (!best || s.key < best[0] || (s.key === best[0] && s.seq < best[1])) {
            best = [s.key, s.seq, id];
          }
        }
      }
      if (this.sentinelIn[u]) {
        const k = this.sentinelKey[u];
        if (!best || k < best[0] || (k === best[0] && this.sentinelSeq[u] < best[1])) {
          best = [k, this.sentinelSeq[u], -1];
        }
      }
      if (best === undefined) continue;
      if (best[2] >= 0) return best[2];
      return Math.min(...this.#seqReady(u).map(([id]) => id));
    }
    return undefined;
  }
  charge(id: number, bytes: number) {
    const s = this.streams.get(id)!;
    if (s.inc) {
      this.clock[s.u] = Math.max(this.clock[s.u], s.key);
      s.key += bytes;
    } else {
      this.clock[s.u] = Math.max(this.clock[s.u], this.sentinelKey[s.u]);
      this.sentinelKey[s.u] += bytes;
    }
  }
}

Deno.test("UrgencyScheduler makes exactly the decisions of a linear-scan reference model", () => {
  for (const seed of testSeeds(0xd1ff, 10)) {
    const rng = new SeededRng(seed);
    const s = new UrgencyScheduler();
    const m = new ReferenceModel();
    const open: number[] = [];
    let nextId = 1;
    const params = () => p(rng.int(0, 7), rng.chance(0.5));
    for (let step = 0; step < 3000; step++) {
      const op = rng.int(0, 9);
      if (op === 0 && open.length < 30) {
        const q = params();
        s.add(nextId, q);
        m.add(nextId, q);
        open.push(nextId);
        nextId += 2;
      } else if (op === 1 && open.length > 0) {
        const id = open.splice(rng.int(0, open.length - 1), 1)[0];
        s.remove(id);
        m.remove(id);
      } else if (op <= 4 && open.length > 0) {
        const id = rng.pick(open);
        const ready = rng.chance(0.65);
        s.setReady(id, ready);
        m.setReady(id, ready);
      } else if (op <= 7) {
        const id = s.next();
        assert.equal(id, m.next(), `seed ${seed} step ${step}`);
        if (id !== undefined) {
          const bytes = rng.int(0, 16384);
          s.charge(id, bytes);
          m.charge(id, bytes);
        }
      } else if (op === 8 && open.length > 0) {
        const id = rng.pick(open);
        const q = params();
        s.priorityUpdate(id, q);
        m.update(id, q);
      } else if (open.length > 0) {
        const id = rng.pick(open);
        const q = rng.chance(0.5) ? { urgency: rng.int(0, 7) } : { incremental: rng.chance(0.5) };
        s.setPriority(id, q);
        m.override(id, q);
      }
      assert.equal(s.next(), m.next(), `seed ${seed} step ${step}`);
    }
  }
});
