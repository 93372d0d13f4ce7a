import { strict as assert } from "node:assert";
import { Deferred, Effect, Fiber, Stream } from "effect";
import type { ServerHandler } from "../../rpc/exchange.ts";
import { ExchangeError } from "../../rpc/exchange.ts";
import { makeInMemoryTransport } from "../../rpc/in_memory_transport.ts";

const chunk = (n: number) => new Uint8Array([n]);

Deno.test("makeInMemoryTransport delivers headers, body and trailers in order", async () => {
  const handler: ServerHandler = (req) =>
    Effect.succeed({
      status: 200,
      headers: [{ name: "x-path", value: req.path }],
      body: req.body.pipe(Stream.map((c) => c.map((b) => b * 2))),
      trailers: Effect.succeed([{ name: "x-end", value: "1" }]),
    });
  const transport = makeInMemoryTransport(handler);
  const out = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const res = yield* transport({
      method: "POST",
      path: "/p",
      headers: [],
      body: Stream.make(chunk(1), chunk(2), chunk(3)),
    });
    const body = Array.from(yield* Stream.runCollect(res.body), (c) => c[0]);
    return { headers: res.headers, body, trailers: yield* res.trailers };
  })));
  assert.deepEqual(out.headers, [{ name: "x-path", value: "/p" }]);
  assert.deepEqual(out.body, [2, 4, 6]);
  assert.deepEqual(out.trailers, [{ name: "x-end", value: "1" }]);
});

Deno.test("makeInMemoryTransport applies backpressure to a sender the reader does not drain", async () => {
  let pulled = 0;
  const release = Effect.runSync(Deferred.make<void>());
  const handler: ServerHandler = (req) =>
    Deferred.await(release).pipe(
      Effect.as({ status: 200, headers: [], body: req.body, trailers: Effect.succeed([]) }),
    );
  const transport = makeInMemoryTransport(handler);
  await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(transport({
      method: "POST",
      path: "/",
      headers: [],
      body: Stream.range(1, 1000).pipe(
        Stream.tap(() => Effect.sync(() => pulled++)),
        Stream.map(chunk),
        Stream.rechunk(1),
      ),
    }));
    yield* Effect.sleep(20);
    // Nobody reads the request body: the sender stalls once the window is full.
    assert.ok(pulled <= 1, `pulled ${pulled}`);
    yield* Deferred.succeed(release, undefined);
    const res = yield* Fiber.join(fiber);
    const n = yield* Stream.runCount(res.body);
    assert.equal(n, 1000);
  })));
});

Deno.test("makeInMemoryTransport cancels the handler when the client scope closes early", async () => {
  let interrupted = false;
  let signal: AbortSignal | undefined;
  const handler: ServerHandler = (req) => {
    signal = req.signal;
    return Effect.succeed({
      status: 200,
      headers: [],
      body: Stream.make(chunk(1)).pipe(
        Stream.concat(Stream.never),
        Stream.onExit(() => Effect.sync(() => (interrupted = true))),
      ),
    });
  };
  const transport = makeInMemoryTransport(handler);
  await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const res = yield* transport({ method: "POST", path: "/", headers: [], body: Stream.empty });
    yield* Stream.runDrain(Stream.take(res.body, 1));
  })));
  assert.equal(interrupted, true);
  assert.equal(signal?.aborted, true);
});

Deno.test("makeInMemoryTransport turns a handler defect into a remote reset", async () => {
  const transport = makeInMemoryTransport(() => Effect.die(new Error("bug")));
  const err = await Effect.runPromise(Effect.scoped(Effect.flip(
    transport({ method: "POST", path: "/", headers: [], body: Stream.empty }),
  )));
  assert.ok(err instanceof ExchangeError);
  assert.equal(err.reason, "Reset");
  assert.equal(err.errorCode, 0x2);
  assert.equal(err.initiator, "remote");
});

Deno.test("makeInMemoryTransport resets the exchange when the request body fails", async () => {
  let serverError: unknown;
  const handler: ServerHandler = (req) =>
    Effect.succeed({
      status: 200,
      headers: [],
      body: req.body.pipe(Stream.tapError((e) => Effect.sync(() => (serverError = e)))),
    });
  const transport = makeInMemoryTransport(handler);
  const err = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const res = yield* transport({
      method: "POST",
      path: "/",
      headers: [],
      body: Stream.make(chunk(1)).pipe(Stream.concat(Stream.fail("nope"))),
    });
    return yield* Effect.flip(Stream.runDrain(res.body));
  })));
  assert.equal(err.errorCode, 0x8);
  assert.equal(err.initiator, "local");
  assert.ok(serverError === undefined || (serverError as ExchangeError).errorCode === 0x8);
});

Deno.test("makeInMemoryTransport delivers a whole-body answer with plain trailers", async () => {
  const handler: ServerHandler = () =>
    Effect.succeed({
      status: 200,
      headers: [],
      body: new Uint8Array([7, 8]),
      trailers: [{ name: "x-end", value: "2" }],
    });
  const transport = makeInMemoryTransport(handler);
  const out = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const res = yield* transport({ method: "POST", path: "/p", headers: [], body: Stream.empty });
    const body = Array.from(yield* Stream.runCollect(res.body), (c) => Array.from(c));
    return { body, trailers: yield* res.trailers };
  })));
  assert.deepEqual(out.body, [[7, 8]]);
  assert.deepEqual(out.trailers, [{ name: "x-end", value: "2" }]);
});
