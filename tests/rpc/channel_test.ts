import { strict as assert } from "node:assert";
import { Effect, Exit, Fiber, Scope, Stream } from "effect";
import type { ConnectivityState, ReconnectPolicy } from "../../net/client.ts";
import { ConnectionBackoff } from "../../rpc/backoff.ts";
import { openChannel, type RpcChannel } from "../../rpc/channel.ts";
import { makeClient } from "../../rpc/client.ts";
import { Code } from "../../rpc/code.ts";
import { serveRpc } from "../../rpc/h2_transport.ts";
import { implement, makeServer } from "../../rpc/server.ts";
import { RpcError } from "../../rpc/status.ts";
import { Echo, echoHandlers } from "./_support.ts";

const echo = makeServer([implement(Echo, echoHandlers)]);

/** Small, jitter-free backoff for tests. */
const FAST = { initialBackoffMs: 20, multiplier: 2, jitter: 0, maxBackoffMs: 200 };

/** A port nothing listens on (bound, then released). */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Serves `echo` on `port` until the returned scope is closed. */
async function serveOn(port: number): Promise<Scope.Closeable> {
  const scope = await Effect.runPromise(Scope.make());
  await Effect.runPromise(
    Scope.provide(serveRpc(echo, { port, drainTimeoutMs: 500, onError: () => {} }), scope),
  );
  return scope;
}

/** Waits (at most 5 s) until the channel is in `state`. */
function until(channel: RpcChannel, state: ConnectivityState): Effect.Effect<void> {
  const loop: Effect.Effect<void> = Effect.suspend(() =>
    channel.state === state
      ? Effect.void
      : Effect.flatMap(channel.waitForStateChange(channel.state), () => loop)
  );
  return loop.pipe(
    Effect.timeoutOrElse({
      duration: 5_000,
      orElse: () => Effect.die(new Error(`state stayed ${channel.state}, wanted ${state}`)),
    }),
  );
}

function codeOf(exit: Exit.Exit<unknown, RpcError>): Code | undefined {
  if (Exit.isSuccess(exit)) return undefined;
  const e = exit.cause.reasons.find((r) => r._tag === "Fail")?.error;
  return e instanceof RpcError ? e.code : undefined;
}

Deno.test("ConnectionBackoff follows gRPC's schedule: initial, x multiplier, capped, min connect timeout", () => {
  const b = new ConnectionBackoff(
    { initialBackoffMs: 1000, multiplier: 1.6, jitter: 0, maxBackoffMs: 3000 },
    () => 0.5,
  );
  const first = b.attempt(10_000);
  assert.deepEqual(first, { timeoutMs: 20_000, retryAt: 11_000 });
  assert.equal(b.attempt(0).retryAt, 1600);
  assert.equal(b.attempt(0).retryAt, 2560);
  assert.equal(b.attempt(0).retryAt, 3000); // capped
  assert.equal(b.attempt(0).retryAt, 3000);
  b.reset();
  assert.equal(b.attempt(0).retryAt, 1000);
  // A backoff longer than the minimum connect timeout is the attempt's timeout.
  const long = new ConnectionBackoff({ initialBackoffMs: 30_000, minConnectTimeoutMs: 20_000 });
  assert.equal(long.attempt(0).timeoutMs, 30_000);
});

Deno.test("ConnectionBackoff jitters every delay but the first within +/- jitter", () => {
  let r = 0;
  const b = new ConnectionBackoff({ initialBackoffMs: 100, multiplier: 2, jitter: 0.2 }, () => r);
  assert.equal(b.attempt(0).retryAt, 100); // no jitter on the first
  r = 0;
  assert.equal(Math.round(b.attempt(0).retryAt), 160); // 200 * 0.8
  r = 0.999999;
  assert.equal(Math.round(b.attempt(0).retryAt), 480); // 400 * 1.2
  const defaults = new ConnectionBackoff();
  assert.deepEqual(defaults.attempt(0), { timeoutMs: 20_000, retryAt: 1_000 });
  assert.throws(() => new ConnectionBackoff({ multiplier: 0.5 }), RangeError);
  assert.throws(() => new ConnectionBackoff({ jitter: -1 }), RangeError);
  assert.throws(() => new ConnectionBackoff({ initialBackoffMs: NaN }), RangeError);
});

Deno.test("openChannel is lazy, fails fast with UNAVAILABLE and keeps retrying with backoff", async () => {
  const port = freePort();
  const attempts: number[] = [];
  let resets = 0;
  const policy: ReconnectPolicy = {
    attempt(now) {
      attempts.push(now);
      // 20, 40, 80, ... ms after each attempt's start.
      return { timeoutMs: 1000, retryAt: now + 20 * 2 ** (attempts.length - 1) };
    },
    reset: () => resets++,
  };
  const states: ConnectivityState[] = [];
  await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const channel = yield* openChannel(`http://127.0.0.1:${port}`, { reconnect: policy });
    channel.onStateChange((s) => states.push(s));
    assert.equal(channel.state, "IDLE");
    assert.equal(attempts.length, 0);
    const client = makeClient(Echo, channel.transport);
    // Nothing listens: the first call triggers one attempt and fails with it.
    const first = yield* Effect.exit(client.Say({ text: "a" }));
    assert.equal(codeOf(first), Code.UNAVAILABLE);
    assert.equal(channel.state, "TRANSIENT_FAILURE");
    assert.equal(attempts.length, 1);
    // In TRANSIENT_FAILURE a fail-fast call fails at once, without an attempt of its own.
    const second = yield* Effect.exit(client.Say({ text: "b" }));
    assert.equal(codeOf(second), Code.UNAVAILABLE);
    assert.equal(attempts.length, 1);
    // The channel retries by itself, no sooner than the policy says.
    while (attempts.length < 4) {
      yield* channel.waitForStateChange(channel.state);
    }
    for (let i = 1; i < 4; i++) {
      assert.ok(
        attempts[i] - attempts[i - 1] >= 20 * 2 ** (i - 1) - 2,
        `attempt ${i} came ${attempts[i] - attempts[i - 1]} ms after the previous one`,
      );
    }
  })));
  assert.equal(resets, 0);
  assert.deepEqual(states.slice(0, 4), [
    "CONNECTING",
    "TRANSIENT_FAILURE",
    "CONNECTING",
    "TRANSIENT_FAILURE",
  ]);
  assert.equal(states.at(-1), "SHUTDOWN");
});

Deno.test("openChannel reconnects when the server goes away and comes back on the same port", async () => {
  const port = freePort();
  let server = await serveOn(port);
  try {
    await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      const channel = yield* openChannel(`http://127.0.0.1:${port}`, { backoff: FAST });
      const client = makeClient(Echo, channel.transport);
      assert.equal((yield* client.Say({ text: "1" })).text, "say 1");
      assert.equal(channel.state, "READY");

      yield* Effect.promise(() => Effect.runPromise(Scope.close(server, Exit.void)));
      yield* until(channel, "IDLE"); // GOAWAY / loss: READY -> IDLE
      // Down: the next call dials, fails and fails fast.
      assert.equal(codeOf(yield* Effect.exit(client.Say({ text: "2" }))), Code.UNAVAILABLE);
      assert.equal(channel.state, "TRANSIENT_FAILURE");

      server = yield* Effect.promise(() => serveOn(port));
      yield* until(channel, "READY"); // the backoff timer reconnected
      assert.equal((yield* client.Say({ text: "3" })).text, "say 3");
      assert.equal(channel.connectionsOpened, 2);
    })));
  } finally {
    await Effect.runPromise(Scope.close(server, Exit.void));
  }
});

Deno.test("A waitForReady call made while the server is down completes once it is up", async () => {
  const port = freePort();
  let server: Scope.Closeable | undefined;
  try {
    await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      const channel = yield* openChannel(`http://127.0.0.1:${port}`, { backoff: FAST });
      const client = makeClient(Echo, channel.transport);
      const waiting = yield* Effect.forkChild(
        client.Say({ text: "patient" }, { waitForReady: true, timeoutMs: 10_000 }),
      );
      // A fail-fast call meanwhile fails with UNAVAILABLE.
      yield* until(channel, "TRANSIENT_FAILURE");
      assert.equal(codeOf(yield* Effect.exit(client.Say({ text: "hasty" }))), Code.UNAVAILABLE);
      // Server-streaming calls wait too.
      const stream = yield* Effect.forkChild(
        Stream.runCollect(client.Count({ n: 3 }, { waitForReady: true, timeoutMs: 10_000 })),
      );
      server = yield* Effect.promise(() => serveOn(port));
      assert.equal((yield* Fiber.join(waiting)).text, "say patient");
      assert.equal(Array.from(yield* Fiber.join(stream)).length, 3);
    })));
  } finally {
    if (server !== undefined) await Effect.runPromise(Scope.close(server, Exit.void));
  }
});

Deno.test("A waitForReady call fails with DEADLINE_EXCEEDED when no server comes", async () => {
  const port = freePort();
  const exit = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const channel = yield* openChannel(`http://127.0.0.1:${port}`, { backoff: FAST });
    return yield* Effect.exit(
      makeClient(Echo, channel.transport).Say({}, { waitForReady: true, timeoutMs: 150 }),
    );
  })));
  assert.equal(codeOf(exit), Code.DEADLINE_EXCEEDED);
});

Deno.test("openChannel with eager dials at once; SHUTDOWN is final", async () => {
  const port = freePort();
  const server = await serveOn(port);
  let channel: RpcChannel | undefined;
  const backoff = new ConnectionBackoff(FAST);
  let resets = 0;
  const policy: ReconnectPolicy = {
    attempt: (now) => backoff.attempt(now),
    reset: () => {
      resets++;
      backoff.reset();
    },
  };
  try {
    await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      channel = yield* openChannel(`http://127.0.0.1:${port}`, { eager: true, reconnect: policy });
      assert.equal(channel.state, "CONNECTING");
      yield* until(channel, "READY");
      assert.equal((yield* makeClient(Echo, channel.transport).Say({ text: "e" })).text, "say e");
      // The server's SETTINGS completed the handshake: the backoff started over.
      assert.equal(resets, 1);
    })));
    assert.equal(channel?.state, "SHUTDOWN");
    channel?.connect();
    assert.equal(channel?.state, "SHUTDOWN");
  } finally {
    await Effect.runPromise(Scope.close(server, Exit.void));
  }
});

Deno.test("openChannel backs off from a peer that accepts TCP but closes before its SETTINGS", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = 0;
  const closing = (async () => {
    for await (const conn of listener) {
      accepted++;
      conn.close();
    }
  })().catch(() => {});
  let attempts = 0;
  let resets = 0;
  const policy: ReconnectPolicy = {
    attempt: (now) => ({ timeoutMs: 1000, retryAt: now + 60_000 * ++attempts }),
    reset: () => resets++,
  };
  try {
    await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      const port = (listener.addr as Deno.NetAddr).port;
      const channel = yield* openChannel(`http://127.0.0.1:${port}`, { reconnect: policy });
      const client = makeClient(Echo, channel.transport);
      assert.equal(codeOf(yield* Effect.exit(client.Say({}))), Code.UNAVAILABLE);
      yield* until(channel, "TRANSIENT_FAILURE");
      // Backing off: later calls fail fast and dial nothing.
      for (let i = 0; i < 5; i++) {
        assert.equal(codeOf(yield* Effect.exit(client.Say({}))), Code.UNAVAILABLE);
      }
      assert.equal(attempts, 1);
      assert.equal(channel.connectionsOpened, 1);
    })));
  } finally {
    listener.close();
    await closing;
  }
  assert.equal(accepted, 1);
  assert.equal(resets, 0);
});
