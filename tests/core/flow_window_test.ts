import assert from "node:assert/strict";
import { FlowControlError } from "../../core/errors.ts";
import { FlowWindow, InboundWindow, MAX_WINDOW_SIZE } from "../../core/flow_window.ts";

Deno.test("FlowWindow may go negative and rejects growth past 2^31-1", () => {
  const w = new FlowWindow(100);
  w.expand(-300, 1);
  assert.equal(w.size, -200);
  w.expand(MAX_WINDOW_SIZE, 1);
  assert.equal(w.size, MAX_WINDOW_SIZE - 200);
  assert.throws(() => w.expand(201, 1), FlowControlError);
  const e = (() => {
    try {
      new FlowWindow(MAX_WINDOW_SIZE).expand(1, 0);
    } catch (err) {
      return err as FlowControlError;
    }
  })();
  assert.equal(e?.scope, "connection");
});

Deno.test("InboundWindow rejects data beyond the window", () => {
  const w = new InboundWindow(1000);
  w.receive(1000, 3);
  assert.throws(
    () => w.receive(1, 3),
    (e: unknown) => e instanceof FlowControlError && e.scope === "stream",
  );
});

Deno.test("InboundWindow batches updates until half the window is consumed", () => {
  const w = new InboundWindow(65_535);
  w.receive(40_000, 1);
  assert.equal(w.consume(10_000), 0);
  assert.equal(w.consume(10_000), 0);
  assert.equal(w.consume(12_767), 32_767);
  assert.equal(w.size, 65_535 - 40_000 + 32_767);
  assert.equal(w.pending, 0);
});

Deno.test("InboundWindow updates early when the peer is blocked on an empty window", () => {
  const w = new InboundWindow(4096);
  w.receive(4096, 1);
  assert.equal(w.consume(500), 0); // below min(1024, 1/4 window)
  assert.equal(w.consume(524), 1024);
  assert.equal(w.flush(), 0);
});
