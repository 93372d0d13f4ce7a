import assert from "node:assert/strict";
import { IndexedHeap } from "../../../core/priority/_heap.ts";
import { SeededRng, testSeeds } from "../../_support/seeded_rng.ts";

interface Item {
  key: number;
  id: number;
  heapIndex: number;
}

Deno.test("IndexedHeap matches a sorted list under random push, delete, update and peek", () => {
  for (const seed of testSeeds(0x4ea9, 10)) {
    const rng = new SeededRng(seed);
    const heap = new IndexedHeap<Item>((a, b) => a.key < b.key || (a.key === b.key && a.id < b.id));
    const inHeap: Item[] = [];
    const out: Item[] = [];
    for (let id = 0; id < 200; id++) out.push({ key: rng.int(0, 50), id, heapIndex: -1 });
    for (let step = 0; step < 5000; step++) {
      const op = rng.int(0, 3);
      if (op === 0 && out.length > 0) {
        const item = out.splice(rng.int(0, out.length - 1), 1)[0];
        heap.push(item);
        inHeap.push(item);
      } else if (op === 1 && inHeap.length > 0) {
        const item = inHeap.splice(rng.int(0, inHeap.length - 1), 1)[0];
        heap.delete(item);
        assert.equal(item.heapIndex, -1);
        out.push(item);
      } else if (op === 2 && inHeap.length > 0) {
        const item = rng.pick(inHeap);
        item.key = rng.int(0, 50);
        heap.update(item);
      } else {
        for (const item of out) item.key = rng.int(0, 50); // keys of items outside are free
      }
      assert.equal(heap.size, inHeap.length);
      const min = inHeap.reduce<Item | undefined>(
        (m, x) => (m === undefined || x.key < m.key || (x.key === m.key && x.id < m.id) ? x : m),
        undefined,
      );
      assert.equal(heap.peek(), min, `seed ${seed} step ${step}`);
      for (const item of heap.values()) assert.ok(inHeap.includes(item));
    }
  }
});
