import assert from "node:assert/strict";
import { RoundRobinScheduler } from "../../core/round_robin_scheduler.ts";

Deno.test("RoundRobinScheduler serves ready streams in turn", () => {
  const s = new RoundRobinScheduler();
  for (const id of [1, 3, 5]) s.setReady(id, true);
  const order: number[] = [];
  for (let i = 0; i < 6; i++) {
    const id = s.next()!;
    order.push(id);
    s.charge(id, 10);
  }
  assert.deepEqual(order, [1, 3, 5, 1, 3, 5]);
});

Deno.test("RoundRobinScheduler skips streams that stop being ready or close", () => {
  const s = new RoundRobinScheduler();
  for (const id of [1, 3, 5]) s.setReady(id, true);
  s.setReady(3, false);
  s.remove(5);
  assert.equal(s.next(), 1);
  s.charge(1, 1);
  assert.equal(s.next(), 1);
  s.setReady(1, false);
  assert.equal(s.next(), undefined);
  s.setReady(3, true);
  assert.equal(s.next(), 3);
  // Many rounds keep the queue compact.
  for (let i = 0; i < 10_000; i++) s.charge(s.next()!, 1);
  assert.equal(s.next(), 3);
});
