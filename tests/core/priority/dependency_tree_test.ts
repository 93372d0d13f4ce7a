import assert from "node:assert/strict";
import fc from "fast-check";
import { DependencyTree, redistributeWeight } from "../../../core/priority/dependency_tree.ts";
import { ProtocolError, UsageError } from "../../../core/errors.ts";
import type { PrioritySpec } from "../../../core/frame/priority_spec.ts";
import { SeededRng, testSeeds } from "../../_support/seeded_rng.ts";
import { simulateTransfer } from "./_transfer.ts";

function dep(dependency: number, weight = 16, exclusive = false): PrioritySpec {
  return { dependency, weight, exclusive };
}

// Renders the tree as "id(weight)[children]" for compact structural assertions.
function shape(t: DependencyTree, id = 0): string {
  const kids = t.childrenOf(id).sort((a, b) => a - b).map((c) => shape(t, c));
  const self = id === 0 ? "root" : `${id}(${t.weightOf(id)})`;
  return kids.length === 0 ? self : `${self}[${kids.join(",")}]`;
}

function endless(ids: number[]): Map<number, number> {
  return new Map(ids.map((id) => [id, Infinity]));
}

function assertShares(bytes: Map<number, number>, expected: Map<number, number>): void {
  const total = [...bytes.values()].reduce((a, b) => a + b, 0);
  for (const [id, want] of expected) {
    const got = (bytes.get(id) ?? 0) / total;
    assert.ok(Math.abs(got - want) <= 0.02 * want, `stream ${id}: share ${got}, want ${want}`);
  }
}

Deno.test("DependencyTree inserts with default and exclusive dependencies (RFC 7540 §5.3.1)", () => {
  const t = new DependencyTree();
  t.add(1);
  t.add(3, dep(1, 10));
  t.add(5, dep(1, 20));
  assert.equal(shape(t), "root[1(16)[3(10),5(20)]]");
  t.add(7, dep(1, 30, true)); // D becomes the sole child of A, adopting B and C
  assert.equal(shape(t), "root[1(16)[7(30)[3(10),5(20)]]]");
  t.checkInvariants();
});

Deno.test("DependencyTree moves a stream under its own descendant as RFC 7540 §5.3.3 shows", () => {
  // A=1, B=3, C=5, D=7, E=9, F=11: A{B, C{D{F}, E}}
  const build = () => {
    const t = new DependencyTree();
    t.add(1, dep(0, 1));
    t.add(3, dep(1, 3));
    t.add(5, dep(1, 5));
    t.add(7, dep(5, 7));
    t.add(9, dep(5, 9));
    t.add(11, dep(7, 11));
    return t;
  };
  const t = build();
  t.reprioritize(1, dep(7, 2)); // A depends on D, not exclusive
  assert.equal(shape(t), "root[7(7)[1(2)[3(3),5(5)[9(9)]],11(11)]]");
  t.checkInvariants();
  const x = build();
  x.reprioritize(1, dep(7, 2, true)); // exclusive: A also adopts F
  assert.equal(shape(x), "root[7(7)[1(2)[3(3),5(5)[9(9)],11(11)]]]");
  x.checkInvariants();
});

Deno.test("DependencyTree gives the default priority when the parent is not in the tree", () => {
  const t = new DependencyTree();
  t.add(1);
  t.add(3, dep(1));
  t.add(5, dep(99, 200, true));
  assert.equal(t.parentOf(5), 0);
  assert.equal(t.weightOf(5), 16);
  assert.deepEqual(t.childrenOf(1), [3], "the exclusive flag was dropped with the unknown parent");
  t.reprioritize(3, dep(1001, 7));
  assert.equal(t.parentOf(3), 0);
  assert.equal(t.weightOf(3), 16);
});

Deno.test("DependencyTree treats a self-dependency as a stream error", () => {
  const t = new DependencyTree();
  assert.throws(() => t.add(1, dep(1)), ProtocolError);
  try {
    t.reprioritize(3, dep(3));
    assert.fail("no error");
  } catch (err) {
    assert.ok(err instanceof ProtocolError);
    assert.equal(err.scope, "stream");
    assert.equal(err.streamId, 3);
  }
  assert.equal(t.nodeCount, 0);
  assert.throws(() => t.add(1, dep(0, 0)), UsageError);
  assert.throws(() => t.add(1, dep(0, 257)), UsageError);
});

Deno.test("DependencyTree keeps closed streams as grouping nodes, then passes their weight on", () => {
  const t = new DependencyTree({ maxRetainedNodes: 1 });
  t.add(1, dep(0, 12));
  t.add(3, dep(1, 16));
  t.add(5, dep(1, 48));
  t.add(7);
  t.remove(1);
  assert.equal(t.stateOf(1), "closed");
  assert.equal(shape(t), "root[1(12)[3(16),5(48)],7(16)]");
  t.remove(7); // retention bound 1: stream 1 (oldest) is dropped
  assert.equal(t.stateOf(1), undefined);
  // 12 split 16:48 in proportion: 3 + 9 = 12.
  assert.equal(shape(t), "root[3(3),5(9),7(16)]");
  t.checkInvariants();
});

Deno.test("DependencyTree bounds nodes created by PRIORITY frames for idle streams (CVE-2016-6580)", () => {
  const t = new DependencyTree({ maxRetainedNodes: 50 });
  t.add(1);
  for (let id = 3; id < 200_000; id += 2) t.reprioritize(id, dep(id - 2, (id % 256) + 1));
  assert.equal(t.retainedCount, 50);
  assert.equal(t.nodeCount, 51);
  t.checkInvariants();
  // An idle stream that later opens keeps the place its PRIORITY frame gave it.
  t.reprioritize(200_001, dep(1, 99));
  t.add(200_001);
  assert.equal(t.stateOf(200_001), "open");
  assert.equal(t.parentOf(200_001), 1);
  assert.equal(t.weightOf(200_001), 99);
  t.checkInvariants();
});

Deno.test("DependencyTree shares bandwidth among siblings in proportion to weight within 2%", () => {
  const t = new DependencyTree();
  const weights = new Map([[1, 1], [3, 16], [5, 64], [7, 200], [9, 256]]);
  for (const [id, w] of weights) {
    t.add(id, dep(0, w));
    t.setReady(id, true);
  }
  const log = simulateTransfer(t, endless([...weights.keys()]), 16_384, 40_000);
  const sum = [...weights.values()].reduce((a, b) => a + b, 0);
  assertShares(log.bytes, new Map([...weights].map(([id, w]) => [id, w / sum])));
});

Deno.test("DependencyTree shares hierarchically and serves a ready parent before its children", () => {
  const t = new DependencyTree();
  t.add(1, dep(0, 1)); // A, weight 1
  t.add(3, dep(0, 3)); // B, weight 3
  t.add(5, dep(1, 1)); // A1
  t.add(7, dep(1, 3)); // A2
  for (const id of [1, 3, 5, 7]) t.setReady(id, true);
  // A is ready: its children get nothing; A and B share 1:3.
  let log = simulateTransfer(t, endless([1, 3, 5, 7]), 1000, 8000);
  assert.equal(log.bytes.get(5), undefined);
  assert.equal(log.bytes.get(7), undefined);
  assertShares(log.bytes, new Map([[1, 0.25], [3, 0.75]]));
  // A blocks (no window): its share goes to its children, 1:3.
  t.setReady(1, false);
  log = simulateTransfer(t, endless([3, 5, 7]), 1000, 16_000);
  assertShares(log.bytes, new Map([[3, 0.75], [5, 0.25 / 4], [7, 0.75 / 4]]));
  // B blocks too: A's children now take everything.
  t.setReady(3, false);
  log = simulateTransfer(t, endless([5, 7]), 1000, 8000);
  assertShares(log.bytes, new Map([[5, 0.25], [7, 0.75]]));
});

Deno.test("DependencyTree skips blocked streams and brings them back when unblocked", () => {
  const t = new DependencyTree();
  t.add(1);
  t.add(3);
  assert.equal(t.next(), undefined);
  t.setReady(3, true);
  assert.equal(t.next(), 3);
  t.setReady(1, true);
  t.charge(3, 100);
  assert.equal(t.next(), 1);
  t.setReady(1, false);
  t.setReady(3, false);
  assert.equal(t.next(), undefined);
  t.remove(3);
  assert.throws(() => t.setReady(3, true), UsageError);
  assert.throws(() => t.charge(3, 1), UsageError);
  assert.throws(() => t.add(1), UsageError);
  assert.equal(t.size, 1);
});

Deno.test("redistributeWeight conserves the removed weight and respects proportions", () => {
  assert.deepEqual(redistributeWeight(16, [16]), [16]);
  assert.deepEqual(redistributeWeight(1, [5, 5, 5]), [1, 1, 1]);
  assert.deepEqual(redistributeWeight(4, [256, 1, 1, 1]), [1, 1, 1, 1]);
  assert.deepEqual(redistributeWeight(256, [1, 3]), [64, 192]);
  for (const seed of testSeeds(0x3e16, 8)) {
    const rng = new SeededRng(seed);
    for (let n = 0; n < 500; n++) {
      const w = rng.int(1, 256);
      const kids = Array.from({ length: rng.int(0, 12) }, () => rng.int(1, 256));
      const out = redistributeWeight(w, kids);
      const sum = out.reduce((a, b) => a + b, 0);
      assert.equal(sum, kids.length === 0 ? 0 : Math.max(w, kids.length));
      for (let i = 0; i < kids.length; i++) {
        assert.ok(Number.isInteger(out[i]) && out[i] >= 1 && out[i] <= 256);
        for (let j = 0; j < kids.length; j++) {
          if (kids[i] > kids[j]) assert.ok(out[i] >= out[j], `${kids} -> ${out}`);
        }
      }
    }
  }
});

Deno.test("DependencyTree keeps its invariants under random PRIORITY, HEADERS and close sequences", () => {
  for (const seed of testSeeds(0x7540, 10)) {
    const rng = new SeededRng(seed);
    const t = new DependencyTree({ maxRetainedNodes: 16 });
    const open = new Set<number>();
    let nextId = 1;
    const anyId = () => rng.int(0, nextId + 10);
    const spec = () => dep(anyId(), rng.int(1, 256), rng.chance(0.3));
    for (let step = 0; step < 2500; step++) {
      const op = rng.int(0, 9);
      try {
        if (op <= 1 && open.size < 40) {
          t.add(nextId, rng.chance(0.7) ? spec() : undefined);
          open.add(nextId);
          nextId += 2;
        } else if (op <= 3) {
          t.reprioritize(rng.int(1, nextId + 10), spec()); // PRIORITY frame, any stream
        } else if (op === 4 && open.size > 0) {
          const id = rng.pick([...open]);
          t.remove(id);
          open.delete(id);
        } else if (op <= 6 && open.size > 0) {
          t.setReady(rng.pick([...open]), rng.chance(0.6));
        } else {
          const id = t.next();
          if (id !== undefined) t.charge(id, rng.int(0, 16384));
        }
      } catch (e) {
        // Self-dependency is the only error a peer can cause.
        assert.ok(e instanceof ProtocolError && e.scope === "stream", `seed ${seed}: ${e}`);
        if (op <= 1) nextId += 2;
      }
      t.checkInvariants(); // links agree, no cycle, all reach the root, queues match readiness
      assert.equal(t.size, open.size);
      assert.ok(t.nodeCount <= open.size + 16);
      const chosen = t.next();
      const anyReady = [...open].some((id) => t.isReady(id));
      assert.equal(chosen !== undefined, anyReady);
      if (chosen !== undefined) {
        assert.ok(t.isReady(chosen));
        // RFC 7540 §5.3.1: nothing above the chosen stream could have been served.
        for (let a = t.parentOf(chosen)!; a !== 0; a = t.parentOf(a)!) {
          assert.ok(!t.isReady(a), `seed ${seed}: ancestor ${a} of ${chosen} is ready`);
        }
      }
    }
  }
});

Deno.test("DependencyTree gives a stream returning from blocked no credit for its idle time", () => {
  const t = new DependencyTree();
  t.add(1);
  t.add(3);
  t.setReady(1, true);
  for (let i = 0; i < 100; i++) t.charge(t.next()!, 1000); // stream 1 alone for a while
  t.setReady(3, true);
  const log = simulateTransfer(t, endless([1, 3]), 1000, 20);
  assert.equal(log.bytes.get(1), 10_000);
  assert.equal(log.bytes.get(3), 10_000);
});

Deno.test("DependencyTree conserves a removed node's weight among its children on random trees", () => {
  for (const seed of testSeeds(0xc0de, 10)) {
    const rng = new SeededRng(seed);
    const t = new DependencyTree({ maxRetainedNodes: 0 }); // closing drops the node at once
    const open: number[] = [];
    for (let id = 1; id <= 81; id += 2) {
      const parent = open.length === 0 || rng.chance(0.2) ? 0 : rng.pick(open);
      t.add(id, dep(parent, rng.int(1, 256), rng.chance(0.2)));
      open.push(id);
      if (rng.chance(0.5)) t.setReady(id, true);
    }
    while (open.length > 0) {
      const id = open.splice(rng.int(0, open.length - 1), 1)[0];
      const parent = t.parentOf(id)!;
      const weight = t.weightOf(id)!;
      const kids = t.childrenOf(id);
      t.remove(id);
      assert.equal(t.stateOf(id), undefined);
      for (const k of kids) assert.equal(t.parentOf(k), parent, `seed ${seed}`);
      const sum = kids.reduce((a, k) => a + t.weightOf(k)!, 0);
      assert.equal(sum, kids.length === 0 ? 0 : Math.max(weight, kids.length), `seed ${seed}`);
      t.checkInvariants();
    }
    assert.equal(t.nodeCount, 0);
  }
});

Deno.test("DependencyTree never forms a cycle or orphans a node (fast-check, shrinking)", () => {
  const op = fc.oneof(
    fc.record({
      kind: fc.constant("headers" as const),
      dep: fc.nat(40),
      weight: fc.integer({ min: 1, max: 256 }),
      exclusive: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant("priority" as const),
      id: fc.integer({ min: 1, max: 40 }),
      dep: fc.nat(40),
      weight: fc.integer({ min: 1, max: 256 }),
      exclusive: fc.boolean(),
    }),
    fc.record({ kind: fc.constant("close" as const), id: fc.integer({ min: 1, max: 40 }) }),
    fc.record({ kind: fc.constant("ready" as const), id: fc.integer({ min: 1, max: 40 }) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
      const t = new DependencyTree({ maxRetainedNodes: 6 });
      let nextId = 1;
      for (const o of ops) {
        try {
          if (o.kind === "headers") {
            t.add(nextId, dep(o.dep, o.weight, o.exclusive));
            nextId += 1;
          } else if (o.kind === "priority") {
            t.reprioritize(o.id, dep(o.dep, o.weight, o.exclusive));
          } else if (o.kind === "close") {
            t.remove(o.id);
          } else if (t.has(o.id)) {
            t.setReady(o.id, !t.isReady(o.id));
          }
        } catch (e) {
          if (!(e instanceof ProtocolError)) throw e;
          if (o.kind === "headers") nextId += 1;
        }
        t.checkInvariants();
      }
    }),
    { seed: 0x7540, numRuns: 300 },
  );
});
