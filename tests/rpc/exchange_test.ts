import { strict as assert } from "node:assert";
import { Effect, Stream } from "effect";
import { bodyPullOf, withBodyPull } from "../../rpc/exchange.ts";

Deno.test("withBodyPull registers a pull that bodyPullOf finds on that very stream", async () => {
  const body = Stream.make(new Uint8Array([1]));
  const pull = Effect.succeed(undefined);
  assert.equal(withBodyPull(body, pull), body);
  assert.equal(bodyPullOf(body), pull);
  assert.equal(await Effect.runPromise(bodyPullOf(body)!), undefined);
});

Deno.test("bodyPullOf finds nothing on a wrapped body, so wrappers are never bypassed", () => {
  const body = withBodyPull(Stream.make(new Uint8Array([1])), Effect.succeed(undefined));
  const tapped = body.pipe(Stream.tap(() => Effect.void));
  assert.equal(bodyPullOf(tapped), undefined);
  assert.equal(bodyPullOf(Stream.empty), undefined);
});
