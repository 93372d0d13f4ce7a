import assert from "node:assert/strict";
import { Deferred, Effect, Exit, Fiber, Stream } from "effect";
import { connect, type ConnectivityState, type ReconnectPolicy } from "../../net/client.ts";
import { freePort, type RunningServer, startServer } from "./_helpers.ts";

/** Retries every 10 ms; counts attempts and resets. */
function countingPolicy() {
  const counts = { attempts: 0, resets: 0 };
  const policy: ReconnectPolicy = {
    attempt: (now) => {
      counts.attempts++;
      return { timeoutMs: 1_000, retryAt: now + 10 };
    },
    reset: () => counts.resets++,
  };
  return { counts, policy };
}

const hello = { port: 0, handler: () => Effect.succeed({ status: 200, body: "hello" }) };

Deno.test("connect with lazy dials on the first request and reports each state", async () => {
  const running = await startServer(hello);
  const states: ConnectivityState[] = [];
  const { counts, policy } = countingPolicy();
  try {
    await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      const client = yield* connect(running.server.url, { lazy: true, reconnect: policy });
      const stop = client.onStateChange((s) => states.push(s));
      assert.equal(client.state, "IDLE");
      assert.equal(client.connectionsOpened, 0);
      const res = yield* client.request({ path: "/" });
      assert.equal(yield* res.text, "hello");
      assert.equal(client.state, "READY");
      stop();
      client.connect(); // not IDLE: a no-op
      assert.equal(client.connectionsOpened, 1);
    })));
  } finally {
    await running.close();
  }
  assert.deepEqual(states, ["CONNECTING", "READY"]);
  assert.deepEqual(counts, { attempts: 1, resets: 1 });
});

Deno.test("H2Client with a reconnect policy fails fast while backing off, or waits for ready", async () => {
  const port = freePort();
  const { counts, policy } = countingPolicy();
  let running: RunningServer | undefined;
  try {
    await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      const client = yield* connect(`http://127.0.0.1:${port}`, { lazy: true, reconnect: policy });
      const first = yield* Effect.exit(client.request({ path: "/" }));
      assert.ok(Exit.isFailure(first));
      assert.equal(client.state, "TRANSIENT_FAILURE");
      const waiting = yield* Effect.forkChild(
        Effect.flatMap(client.request({ path: "/", waitForReady: true }), (r) => r.text),
      );
      // Let the policy retry a few times against the closed port, then bring the server up.
      while (counts.attempts < 3) yield* Effect.sleep(5);
      running = yield* Effect.promise(() => startServer({ ...hello, port }));
      assert.equal(yield* Fiber.join(waiting), "hello");
      assert.equal(client.state, "READY");
    })));
  } finally {
    await running?.close();
  }
  assert.equal(counts.resets, 1);
});

Deno.test("connect without a policy keeps failing each request with its own attempt", async () => {
  const port = freePort();
  const exit = await Effect.runPromiseExit(Effect.scoped(Effect.gen(function* () {
    const client = yield* connect(`http://127.0.0.1:${port}`, { lazy: true });
    for (let i = 0; i < 3; i++) {
      const r = yield* Effect.exit(client.request({ path: "/", waitForReady: true }));
      assert.ok(Exit.isFailure(r), "no server: fails even with waitForReady");
      assert.equal(client.state, "TRANSIENT_FAILURE");
    }
    return client.connectionsOpened;
  })));
  assert.ok(Exit.isSuccess(exit));
  assert.equal(exit.value, 0);
});

Deno.test("H2Client awaitBody hands over a response whose body came after its headers", async () => {
  const enc = new TextEncoder();
  const running = await startServer({
    handler: () =>
      Effect.succeed({
        status: 200,
        // The headers go out at once; the body later, in two reads.
        body: Stream.concat(
          Stream.fromEffect(Effect.as(Effect.sleep(20), enc.encode("a"))),
          Stream.fromEffect(Effect.as(Effect.sleep(20), enc.encode("b"))),
        ),
      }),
  });
  try {
    const got = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      const client = yield* connect(running.server.url);
      const whole = (yield* client.request({ path: "/", awaitBody: "end" })).bodyIfComplete();
      const first = yield* client.request({ path: "/", awaitBody: "data" });
      const partial = first.bodyIfComplete();
      const early = yield* client.request({ path: "/" });
      const none = early.bodyIfComplete();
      return {
        whole: whole && new TextDecoder().decode(whole),
        partial,
        none,
        texts: [yield* first.text, yield* early.text],
      };
    })));
    assert.deepEqual(got, {
      whole: "ab",
      partial: undefined,
      none: undefined,
      texts: ["ab", "ab"],
    });
  } finally {
    await running.close();
  }
});

Deno.test("H2Client awaitBody does not stall on a body larger than the stream window", async () => {
  const size = 3 * 1024 * 1024;
  const running = await startServer({
    handler: () => Effect.succeed({ status: 200, body: new Uint8Array(size).fill(7) }),
  });
  try {
    const bytes = await Effect.runPromise(Effect.scoped(
      Effect.gen(function* () {
        const client = yield* connect(running.server.url, {
          connection: { initialWindowSize: 65_535 },
        });
        const res = yield* client.request({ path: "/", awaitBody: "end" });
        // Handed over once half the window was full: the rest is still arriving.
        assert.equal(res.bodyIfComplete(), undefined);
        return yield* res.bytes;
      }).pipe(Effect.timeout("10 seconds")),
    ));
    assert.equal(bytes.length, size);
    assert.equal(bytes[size - 1], 7);
  } finally {
    await running.close();
  }
});

Deno.test("H2Client awaitBody: interrupting a request whose headers are held resets it", async () => {
  const bodyStarted = Deferred.makeUnsafe<void>();
  const bodyInterrupted = Deferred.makeUnsafe<void>();
  const running = await startServer({
    handler: () =>
      Effect.succeed({
        status: 200,
        body: Stream.fromEffect(
          Deferred.succeed(bodyStarted, undefined).pipe(Effect.andThen(Effect.never)),
        ).pipe(Stream.onExit(() => Deferred.succeed(bodyInterrupted, undefined))),
      }),
  });
  try {
    await Effect.runPromise(Effect.scoped(
      Effect.gen(function* () {
        const client = yield* connect(running.server.url);
        const fiber = yield* Effect.forkChild(client.request({ path: "/", awaitBody: "end" }));
        yield* Deferred.await(bodyStarted); // headers are out, the body never comes
        yield* Fiber.interrupt(fiber);
        yield* Deferred.await(bodyInterrupted); // the server saw RST_STREAM(CANCEL)
      }).pipe(Effect.timeout("5 seconds")),
    ));
  } finally {
    await running.close();
  }
});

Deno.test("H2Client awaitBody: held responses together never exhaust the connection window", async () => {
  const size = 40 * 1024;
  const running = await startServer({
    // Ten 4 KiB chunks a few ms apart: the six answers interleave on the connection, so none
    // completes before the window is spent.
    handler: () =>
      Effect.succeed({
        status: 200,
        body: Stream.range(1, 10).pipe(
          Stream.mapEffect(() => Effect.as(Effect.sleep(2), new Uint8Array(size / 10).fill(1))),
        ),
      }),
  });
  try {
    const lengths = await Effect.runPromise(Effect.scoped(
      Effect.gen(function* () {
        // Stream windows far larger than the connection's: only the connection check helps.
        const client = yield* connect(running.server.url, {
          connection: { initialWindowSize: 1024 * 1024, connectionWindowSize: 65_535 },
        });
        return yield* Effect.forEach(
          [1, 2, 3, 4, 5, 6],
          () =>
            Effect.flatMap(
              client.request({ path: "/", awaitBody: "end" }),
              (res) => Effect.map(res.bytes, (b) => b.length),
            ),
          { concurrency: "unbounded" },
        );
      }).pipe(Effect.timeout("10 seconds")),
    ));
    assert.deepEqual(lengths, [size, size, size, size, size, size]);
  } finally {
    await running.close();
  }
});
