import { strict as assert } from "node:assert";
import { Effect, Fiber, Queue, Stream } from "effect";
import { makeClient } from "../../rpc/client.ts";
import { Code } from "../../rpc/code.ts";
import {
  healthImplementation,
  HealthRegistry,
  HealthService,
  ServingStatus,
} from "../../rpc/health.ts";
import { makeInMemoryTransport } from "../../rpc/in_memory_transport.ts";
import { makeServer } from "../../rpc/server.ts";

function setup() {
  const registry = new HealthRegistry();
  const server = makeServer([healthImplementation(registry)]);
  return { registry, client: makeClient(HealthService, makeInMemoryTransport(server)) };
}

Deno.test("healthImplementation Check reports known services and NOT_FOUND otherwise", async () => {
  const { registry, client } = setup();
  assert.deepEqual(await Effect.runPromise(client.Check({ service: "" })), { status: 1 });
  registry.setStatus("pkg.Svc", ServingStatus.NOT_SERVING);
  assert.deepEqual(await Effect.runPromise(client.Check({ service: "pkg.Svc" })), { status: 2 });
  const err = await Effect.runPromise(Effect.flip(client.Check({ service: "nope" })));
  assert.equal(err.code, Code.NOT_FOUND);
});

Deno.test("healthImplementation Watch streams status changes and SERVICE_UNKNOWN", async () => {
  const { registry, client } = setup();
  const seen = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const q = yield* Queue.unbounded<number>();
    const fiber = yield* Effect.forkChild(
      Stream.runForEach(client.Watch({ service: "a.B" }), (r) => Queue.offer(q, r.status ?? -1)),
    );
    const out: number[] = [];
    out.push(yield* Queue.take(q));
    registry.setStatus("a.B", ServingStatus.SERVING);
    out.push(yield* Queue.take(q));
    registry.setStatus("a.B", ServingStatus.SERVING); // duplicate: not sent again
    registry.setStatus("a.B", ServingStatus.NOT_SERVING);
    out.push(yield* Queue.take(q));
    registry.shutdown();
    yield* Fiber.interrupt(fiber);
    return out;
  })));
  assert.deepEqual(seen, [
    ServingStatus.SERVICE_UNKNOWN,
    ServingStatus.SERVING,
    ServingStatus.NOT_SERVING,
  ]);
});

Deno.test("HealthRegistry removes watchers when a Watch call ends", async () => {
  const registry = new HealthRegistry();
  await Effect.runPromise(Stream.runDrain(Stream.take(registry.watch(""), 1)));
  // No watcher left: setting a status must not try to notify a closed stream.
  registry.setStatus("", ServingStatus.NOT_SERVING);
  assert.equal(registry.getStatus(""), ServingStatus.NOT_SERVING);
});
