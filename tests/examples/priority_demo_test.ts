import assert from "node:assert/strict";
import {
  formatResult,
  RFC7540_WEIGHTS,
  runNghttpDemo,
  runPriorityDemo,
  SCENARIOS,
} from "../../examples/priority_demo.ts";

// 1 MiB bodies keep each scenario to a few tens of milliseconds. Assertions are on completion
// order and on byte shares (positions in the received byte sequence), never on time.
const SIZE = 1 << 20;

Deno.test("runPriorityDemo completes downloads in urgency order over a real socket", async () => {
  const r = await runPriorityDemo("urgency", SCENARIOS.urgency, { size: SIZE });
  assert.deepEqual(r.completionOrder, ["u=1", "u=3", "u=5"]);
  for (const d of r.downloads) assert.equal(d.bytes, SIZE);
  const byPriority = new Map(r.downloads.map((d) => [d.priority, d]));
  // Strict urgency: u=1 is done after about a third of all bytes, u=3 after about two thirds,
  // although u=5 was requested first.
  assert.ok(byPriority.get("u=1")!.finishedAtFraction < 0.4, formatResult(r));
  assert.ok(byPriority.get("u=3")!.finishedAtFraction < 0.73, formatResult(r));
  const u1 = r.downloads.findIndex((d) => d.priority === "u=1");
  assert.ok(r.sharesUntilFirstDone[u1] > 0.85, formatResult(r));
});

Deno.test("runPriorityDemo interleaves incremental downloads and holds back the less urgent", async () => {
  const r = await runPriorityDemo("incremental", SCENARIOS.incremental, { size: SIZE });
  assert.deepEqual(r.completionOrder, ["u=3, i", "u=3, i", "u=4"]);
  const [u4, a, b] = r.downloads;
  // Both incremental downloads end near two thirds of the bytes (one after the other would put
  // the first at one third) and the u=4 one got almost nothing until then.
  assert.ok(a.finishedAtFraction > 0.6 && b.finishedAtFraction > 0.6, formatResult(r));
  assert.ok(Math.abs(r.sharesUntilFirstDone[1] - 0.5) < 0.1, formatResult(r));
  assert.ok(r.sharesUntilFirstDone[0] < 0.1, formatResult(r));
  assert.equal(u4.bytes, SIZE);
});

Deno.test("runNghttpDemo shares bandwidth by RFC 7540 weight with nghttp as the client", async () => {
  const r = await runNghttpDemo(RFC7540_WEIGHTS, { size: SIZE });
  if (r === undefined) {
    console.warn("nghttp is not installed: RFC 7540 demo skipped");
    return;
  }
  assert.deepEqual(r.completionOrder, ["weight=128", "weight=96", "weight=32"]);
  for (const d of r.downloads) assert.equal(d.bytes, SIZE);
  // While all three run, the shares follow the weights 32:96:128 (1/8, 3/8, 1/2).
  RFC7540_WEIGHTS.forEach((w, i) => {
    const expected = w / 256;
    const share = r.sharesUntilFirstDone[i];
    assert.ok(Math.abs(share - expected) / expected < 0.05, formatResult(r));
  });
});
