import assert from "node:assert/strict";
import { Deferred, Effect, Stream } from "effect";
import { connect } from "../../net/client.ts";
import { sendPullOf, withSendPull } from "../../net/server.ts";
import { withServer } from "./_helpers.ts";
import { concatBytes } from "../_support/bytes.ts";

function runScoped<A, E>(effect: Effect.Effect<A, E, import("effect").Scope.Scope>): Promise<A> {
  return Effect.runPromise(Effect.scoped(effect));
}

/** A body of `count` chunks of `size` bytes (chunk i filled with i), as a Stream and as a pull. */
function countedBody(count: number, size: number) {
  const chunkAt = (i: number) => new Uint8Array(size).fill(i & 0xff);
  let next = 0;
  const state = { pulls: 0, stopped: 0 };
  const stream = Stream.fromIterable(Array.from({ length: count }, (_, i) => chunkAt(i)));
  const body = withSendPull(Stream.suspend(() => stream), {
    pull: Effect.sync(() => {
      state.pulls++;
      if (next >= count) return undefined;
      // Two chunks per batch, to cover batches of several.
      const batch = [chunkAt(next++)];
      if (next < count) batch.push(chunkAt(next++));
      return batch;
    }),
    stopped: Effect.sync(() => void state.stopped++),
  });
  return {
    body,
    state,
    expected: concatBytes(Array.from({ length: count }, (_, i) => chunkAt(i))),
  };
}

Deno.test("withSendPull registers a pull that sendPullOf finds, on the stream object only", () => {
  const source = { pull: Effect.succeed(undefined), stopped: Effect.void };
  const body = withSendPull(Stream.make(new Uint8Array(1)), source);
  assert.equal(sendPullOf(body), source);
  assert.equal(sendPullOf(body.pipe(Stream.map((c) => c))), undefined);
  assert.equal(sendPullOf(Stream.make(new Uint8Array(1))), undefined);
});

Deno.test("serve sends a body through its registered pull: same bytes and trailers", async () => {
  let state: { pulls: number; stopped: number } | undefined;
  let expected: Uint8Array | undefined;
  await withServer({
    handler: () =>
      Effect.sync(() => {
        const b = countedBody(9, 1000);
        state = b.state;
        expected = b.expected;
        return { body: b.body, trailers: Effect.succeed({ "x-done": "yes" }) };
      }),
  }, async (server) => {
    const out = await runScoped(Effect.gen(function* () {
      const client = yield* connect(server.url);
      const res = yield* client.request({ path: "/pulled" });
      return { bytes: yield* res.bytes, trailers: yield* res.trailers };
    }));
    assert.deepEqual(out.bytes, expected);
    assert.deepEqual(out.trailers, [{ name: "x-done", value: "yes" }]);
  });
  // Five batches and the end; the Stream was never run and nothing stopped early.
  assert.deepEqual(state, { pulls: 6, stopped: 0 });
});

Deno.test("serve pulls a registered body only as fast as the peer takes it", async () => {
  const chunk = new Uint8Array(16 * 1024);
  let pulled = 0;
  const ready = Deferred.makeUnsafe<void>();
  await withServer({
    handler: () =>
      Effect.succeed({
        body: withSendPull(Stream.never, {
          pull: Effect.sync(() => {
            pulled += chunk.length;
            return [chunk];
          }),
          stopped: Effect.void,
        }),
      }),
  }, async (server) => {
    await runScoped(Effect.gen(function* () {
      const client = yield* connect(server.url);
      const res = yield* client.request({ path: "/endless" });
      // Read nothing for a while: the server may fill the stream window and its low-water queue,
      // no more.
      yield* Effect.sleep("300 millis");
      const before = pulled;
      // The client's stream window (1 MiB) plus the sender's low-water queue (64 KiB) and a chunk.
      assert.ok(before <= 1024 * 1024 + 80 * 1024, `pulled ${before} bytes with nobody reading`);
      // Reading lets it go on: more than was pulled before can only come from further pulls.
      let read = 0;
      yield* res.body.pipe(
        Stream.takeUntil((c) => (read += c.length) > before + chunk.length),
        Stream.runDrain,
      );
      assert.ok(pulled > before);
      yield* Deferred.succeed(ready, undefined);
    }));
  });
  assert.ok(Deferred.isDoneUnsafe(ready));
});

Deno.test("serve runs a registered pull's stopped when the client resets mid-body", async () => {
  const stopped = Deferred.makeUnsafe<void>();
  let first = true;
  await withServer({
    onError: () => {},
    handler: () =>
      Effect.succeed({
        body: withSendPull(Stream.never, {
          // One chunk, then wait forever (a bidi answer waiting for the next request).
          pull: Effect.suspend(() => {
            if (!first) return Effect.never;
            first = false;
            return Effect.succeed([new Uint8Array(10)]);
          }),
          stopped: Deferred.succeed(stopped, undefined),
        }),
        trailers: Effect.succeed({ "x-never": "sent" }),
      }),
  }, async (server) => {
    await runScoped(Effect.gen(function* () {
      const client = yield* connect(server.url);
      const res = yield* client.request({ path: "/cut" });
      yield* res.body.pipe(Stream.take(1), Stream.runDrain);
      yield* res.cancel;
      yield* Deferred.await(stopped).pipe(Effect.timeout("3 seconds"));
    }));
  });
  assert.ok(Deferred.isDoneUnsafe(stopped));
});

Deno.test("serve resets with INTERNAL_ERROR when a registered pull fails", async () => {
  let first = true;
  await withServer({
    onError: () => {},
    handler: () =>
      Effect.succeed({
        body: withSendPull(Stream.never, {
          pull: Effect.suspend(() => {
            if (!first) return Effect.fail(new Error("source broke"));
            first = false;
            return Effect.succeed([new Uint8Array(10)]);
          }),
          stopped: Effect.void,
        }),
      }),
  }, async (server) => {
    const exit = await runScoped(Effect.gen(function* () {
      const client = yield* connect(server.url);
      const res = yield* client.request({ path: "/broken" });
      return yield* Effect.exit(res.bytes);
    }));
    assert.equal(exit._tag, "Failure");
    assert.match(String(exit._tag === "Failure" ? exit.cause : ""), /INTERNAL_ERROR|reset/i);
  });
});
