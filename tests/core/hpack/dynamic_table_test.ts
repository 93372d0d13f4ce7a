import assert from "node:assert/strict";
import { DynamicTable, type HeaderField } from "../../../core/hpack/mod.ts";

const f = (name: string, value: string): HeaderField => ({ name, value });

Deno.test("DynamicTable counts name + value + 32 and indexes newest first", () => {
  const t = new DynamicTable(4096);
  t.add(f("a", "1"));
  t.add(f("bb", "22"));
  assert.equal(t.size, 34 + 36);
  assert.equal(t.length, 2);
  assert.equal(t.get(0)?.name, "bb");
  assert.equal(t.get(1)?.name, "a");
  assert.equal(t.get(2), undefined);
  assert.equal(t.inserted, 2);
});

Deno.test("DynamicTable evicts oldest entries to make room", () => {
  const evicted: [string, number][] = [];
  const t = new DynamicTable(100, (field, insertion) => evicted.push([field.name, insertion]));
  t.add(f("a", "x".repeat(10))); // 43
  t.add(f("b", "x".repeat(10))); // 43 -> 86
  t.add(f("c", "x".repeat(10))); // needs 43: evicts a
  assert.deepEqual(evicted, [["a", 1]]);
  assert.deepEqual([t.get(0)?.name, t.get(1)?.name], ["c", "b"]);
  assert.equal(t.size, 86);
});

Deno.test("DynamicTable empties itself for an entry larger than the table", () => {
  const t = new DynamicTable(64);
  t.add(f("a", "b"));
  t.add(f("big", "x".repeat(64)));
  assert.equal(t.length, 0);
  assert.equal(t.size, 0);
  t.add(f("c", "d"));
  assert.equal(t.get(0)?.name, "c");
});

Deno.test("DynamicTable setMaxSize evicts at once and 0 clears it", () => {
  const t = new DynamicTable(4096);
  for (let i = 0; i < 10; i++) t.add(f(`n${i}`, "v")); // 35 each
  t.setMaxSize(70);
  assert.equal(t.length, 2);
  assert.equal(t.get(0)?.name, "n9");
  t.setMaxSize(0);
  assert.equal(t.length, 0);
});

Deno.test("DynamicTable keeps order across ring wrap-around and growth", () => {
  const t = new DynamicTable(35 * 20);
  for (let i = 0; i < 1000; i++) {
    t.add(f(String.fromCharCode(65 + (i % 26)), "v"));
    assert.ok(t.length <= 20);
    for (let k = 0; k < t.length; k++) {
      assert.equal(t.get(k)?.name, String.fromCharCode(65 + ((i - k) % 26)));
    }
  }
});
