import assert from "node:assert/strict";
import { TokenBucket } from "../../core/token_bucket.ts";

Deno.test("TokenBucket allows a burst then refuses", () => {
  const b = new TokenBucket(3, 1);
  assert.deepEqual([b.take(), b.take(), b.take(), b.take()], [true, true, true, false]);
});

Deno.test("TokenBucket refills from caller-supplied time, capped at the burst", () => {
  const b = new TokenBucket(2, 10);
  assert.ok(b.take(0));
  assert.ok(b.take(0));
  assert.ok(!b.take(50)); // half a token
  assert.ok(b.take(100));
  assert.ok(!b.take(100));
  b.take(100_000);
  assert.ok(b.tokens <= 2);
  assert.ok(b.take(100_000)); // time going backwards does not refill or break
  assert.ok(!b.take(90_000));
  b.earn(5);
  assert.equal(b.tokens, 2);
});
