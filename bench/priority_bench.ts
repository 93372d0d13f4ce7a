/**
 * Scheduling decisions per second for the priority schedulers, beside a naive
 * linear scan implementing the same policy, at 10, 1,000 and 10,000 active
 * streams. One iteration is one decision: `next()` then `charge()` of a
 * 16 KiB frame; the "block/unblock" variants also take the stream out of the
 * ready set and put it back, as a stream whose window ran out and was refilled.
 *
 * Run: `deno bench bench/priority_bench.ts`. decisions/s = 1e9 / avg ns.
 *
 * @module
 */

import { DependencyTree } from "../core/priority/dependency_tree.ts";
import { parsePriorityField } from "../core/priority/priority_field.ts";
import { UrgencyScheduler } from "../core/priority/urgency_scheduler.ts";
import { SeededRng } from "../tests/_support/seeded_rng.ts";

const FRAME = 16_384;

/** The obvious implementation: look at every stream on every decision. */
class NaiveScan {
  readonly ids: number[] = [];
  readonly urgency: number[] = [];
  readonly weight: number[] = [];
  readonly ready: boolean[] = [];
  readonly key: number[] = [];
  readonly #index = new Map<number, number>();

  add(id: number, urgency: number, weight: number): void {
    this.#index.set(id, this.ids.length);
    this.ids.push(id);
    this.urgency.push(urgency);
    this.weight.push(weight);
    this.ready.push(false);
    this.key.push(0);
  }

  setReady(id: number, ready: boolean): void {
    this.ready[this.#index.get(id)!] = ready;
  }

  // Most urgent ready stream, earliest virtual time among equals.
  next(): number | undefined {
    let best = -1;
    for (let i = 0; i < this.ids.length; i++) {
      if (!this.ready[i]) continue;
      if (
        best < 0 || this.urgency[i] < this.urgency[best] ||
        (this.urgency[i] === this.urgency[best] && this.key[i] < this.key[best])
      ) best = i;
    }
    return best < 0 ? undefined : this.ids[best];
  }

  charge(id: number, bytes: number): void {
    const i = this.#index.get(id)!;
    this.key[i] += bytes / this.weight[i];
  }
}

interface Sched {
  next(): number | undefined;
  charge(id: number, bytes: number): void;
  setReady(id: number, ready: boolean): void;
}

function urgencyScheduler(n: number): Sched {
  const s = new UrgencyScheduler({ maxConcurrentStreams: 2 * n });
  for (let i = 0; i < n; i++) {
    const id = 2 * i + 1;
    s.add(id, { urgency: 3, incremental: true });
    s.setReady(id, true);
  }
  return s;
}

function treeFlat(n: number): Sched {
  const rng = new SeededRng(n);
  const t = new DependencyTree();
  for (let i = 0; i < n; i++) {
    const id = 2 * i + 1;
    t.add(id, { dependency: 0, exclusive: false, weight: rng.int(1, 256) });
    t.setReady(id, true);
  }
  return t;
}

// A random recursive tree (each stream depends on a random earlier one);
// only leaves are ready, so decisions descend through grouping nodes.
function treeRandom(n: number): Sched {
  const rng = new SeededRng(n ^ 0x7540);
  const t = new DependencyTree();
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = 2 * i + 1;
    const dependency = ids.length === 0 || rng.chance(0.1) ? 0 : rng.pick(ids);
    t.add(id, { dependency, exclusive: false, weight: rng.int(1, 256) });
    ids.push(id);
  }
  for (const id of ids) if (t.childrenOf(id).length === 0) t.setReady(id, true);
  return t;
}

function naive(n: number, weighted: boolean): Sched {
  const rng = new SeededRng(n);
  const s = new NaiveScan();
  for (let i = 0; i < n; i++) {
    const id = 2 * i + 1;
    s.add(id, 3, weighted ? rng.int(1, 256) : 1);
    s.setReady(id, true);
  }
  return s;
}

function decide(s: Sched): void {
  const id = s.next()!;
  s.charge(id, FRAME);
}

function decideBlocking(s: Sched): void {
  const id = s.next()!;
  s.charge(id, FRAME);
  s.setReady(id, false);
  s.setReady(id, true);
}

for (const n of [10, 1_000, 10_000]) {
  const group = `n=${n}`;
  const u = urgencyScheduler(n);
  const flat = treeFlat(n);
  const random = treeRandom(n);
  const scan = naive(n, false);
  const scanW = naive(n, true);
  const u2 = urgencyScheduler(n);
  const scan2 = naive(n, false);
  Deno.bench({ name: `naive scan, ${n} streams`, group, baseline: true, fn: () => decide(scan) });
  Deno.bench({ name: `UrgencyScheduler, ${n} streams`, group, fn: () => decide(u) });
  Deno.bench({ name: `naive weighted scan, ${n} streams`, group, fn: () => decide(scanW) });
  Deno.bench({ name: `DependencyTree flat, ${n} streams`, group, fn: () => decide(flat) });
  Deno.bench({ name: `DependencyTree random tree, ${n} streams`, group, fn: () => decide(random) });
  Deno.bench({
    name: `naive scan + block/unblock, ${n} streams`,
    group,
    fn: () => decideBlocking(scan2),
  });
  Deno.bench({
    name: `UrgencyScheduler + block/unblock, ${n} streams`,
    group,
    fn: () => decideBlocking(u2),
  });
}

Deno.bench({
  name: 'parsePriorityField("u=5, i")',
  group: "priority field",
  fn: () => void parsePriorityField("u=5, i"),
});
Deno.bench({
  name: "parsePriorityField(browser-like, 3 members)",
  group: "priority field",
  fn: () => void parsePriorityField("u=1, i, x-vendor=?0"),
});
