import { strict as assert } from "node:assert";
import { Effect, Exit, Scope, Stream } from "effect";
import { openChannel } from "../../rpc/channel.ts";
import { makeClient } from "../../rpc/client.ts";
import { Code } from "../../rpc/code.ts";
import { serveRpc } from "../../rpc/h2_transport.ts";
import { implement, makeServer } from "../../rpc/server.ts";
import { RpcError } from "../../rpc/status.ts";
import { FrameFactory } from "../_support/frame_factory.ts";
import { Echo, echoHandlers } from "./_support.ts";

const echo = makeServer([implement(Echo, echoHandlers)]);

const frames = new FrameFactory();
const REFUSED_STREAM = 0x7;

/**
 * What the fake front server does with one accepted connection: `"goaway"` answers the first
 * request HEADERS with SETTINGS and GOAWAY(last stream 0) and closes; `"refuse"` resets every
 * request with REFUSED_STREAM; `"proxy"` relays bytes to the real server.
 */
type Mode = "goaway" | "refuse" | "proxy";

/**
 * A TCP front for the echo server whose connections behave as `modes` says, one mode per
 * accepted connection in order (the last one repeats). Counts the request HEADERS it saw.
 */
async function front(modes: Mode[], body: (url: string, seen: () => number) => Promise<void>) {
  const scope = await Effect.runPromise(Scope.make());
  const server = await Effect.runPromise(
    Scope.provide(serveRpc(echo, { drainTimeoutMs: 200, onError: () => {} }), scope),
  );
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const handlers: Promise<void>[] = [];
  let headersSeen = 0;
  let accepted = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      const mode = modes[Math.min(accepted++, modes.length - 1)];
      handlers.push(
        handle(conn, mode).catch(() => {}).finally(() => {
          conns.delete(conn);
          try {
            conn.close();
          } catch { /* already closed */ }
        }),
      );
    }
  })().catch(() => {});

  async function handle(conn: Deno.Conn, mode: Mode): Promise<void> {
    if (mode === "proxy") {
      const upstream = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      conns.add(upstream);
      await Promise.allSettled([
        conn.readable.pipeTo(upstream.writable),
        upstream.readable.pipeTo(conn.writable),
      ]);
      conns.delete(upstream);
      return;
    }
    await conn.write(frames.settings());
    let buf = new Uint8Array(0);
    let off = 24; // the client preface
    const chunk = new Uint8Array(16384);
    for (;;) {
      const n = await conn.read(chunk);
      if (n === null) return;
      const next = new Uint8Array(buf.length + n);
      next.set(buf);
      next.set(chunk.subarray(0, n), buf.length);
      buf = next;
      while (buf.length >= off + 9) {
        const length = (buf[off] << 16) | (buf[off + 1] << 8) | buf[off + 2];
        if (buf.length < off + 9 + length) break;
        const type = buf[off + 3];
        const streamId = ((buf[off + 5] & 0x7f) << 24) | (buf[off + 6] << 16) |
          (buf[off + 7] << 8) | buf[off + 8];
        off += 9 + length;
        if (type !== 0x1) continue; // HEADERS
        headersSeen++;
        if (mode === "goaway") {
          await conn.write(frames.goaway(0));
          return;
        }
        await conn.write(frames.rstStream(streamId, REFUSED_STREAM));
      }
    }
  }

  try {
    const port = (listener.addr as Deno.NetAddr).port;
    await body(`http://127.0.0.1:${port}`, () => headersSeen);
  } finally {
    listener.close();
    for (const c of conns) {
      try {
        c.close();
      } catch { /* already closed */ }
    }
    await accepting;
    await Promise.all(handlers);
    await Effect.runPromise(Scope.close(scope, Exit.void));
  }
}

Deno.test("makeH2Transport retries a GOAWAY-refused unary call once on a new connection", async () => {
  await front(["goaway", "proxy"], async (url, seen) => {
    const got = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      const channel = yield* openChannel(url);
      const text = (yield* makeClient(Echo, channel.transport).Say({ text: "x" })).text;
      return { text, opened: channel.connectionsOpened };
    })));
    assert.deepEqual(got, { text: "say x", opened: 2 });
    assert.equal(seen(), 1); // the fake saw the first attempt; the proxy carried the retry
  });
});

Deno.test("makeH2Transport retries GOAWAY-refused streaming calls of every kind, replaying the requests", async () => {
  for (const kind of ["server", "client", "bidi"] as const) {
    await front(["goaway", "proxy"], async (url) => {
      const got = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
        const channel = yield* openChannel(url);
        const c = makeClient(Echo, channel.transport);
        if (kind === "server") {
          return Array.from(yield* Stream.runCollect(c.Count({ n: 3 }))).map((m) => Number(m.n));
        }
        if (kind === "client") {
          return [Number((yield* c.Sum(Stream.make({ n: 1 }, { n: 2 }, { n: 39 }))).n)];
        }
        const chat = c.Chat(Stream.make({ text: "a" }, { text: "b" }));
        return Array.from(yield* Stream.runCollect(chat)).map((m) => m.text);
      })));
      const want = kind === "server" ? [1, 2, 3] : kind === "client" ? [42] : ["re a", "re b"];
      assert.deepEqual(got, want, kind);
    });
  }
});

Deno.test("makeH2Transport does not replay a refused streaming request past the 64 KiB it keeps", async () => {
  await front(["goaway", "proxy"], async (url, seen) => {
    const exit = await Effect.runPromiseExit(Effect.scoped(Effect.gen(function* () {
      const channel = yield* openChannel(url);
      // One 70,000-byte message: more than a retry may keep, so the refused call fails.
      return yield* makeClient(Echo, channel.transport).Sum(
        Stream.make({ text: "x".repeat(70_000), n: 1 }),
      );
    })));
    assert.ok(Exit.isFailure(exit), "a request over the replay limit was retried");
    const error = exit.cause.reasons.find((r) => r._tag === "Fail")?.error;
    assert.ok(error instanceof RpcError);
    assert.equal(error.code, Code.UNAVAILABLE);
    assert.equal(seen(), 1);
  });
});

Deno.test("makeH2Transport retries a REFUSED_STREAM call only once, then fails with UNAVAILABLE", async () => {
  await front(["refuse"], async (url, seen) => {
    const exit = await Effect.runPromiseExit(Effect.scoped(Effect.gen(function* () {
      const channel = yield* openChannel(url);
      return yield* makeClient(Echo, channel.transport).Say({ text: "x" });
    })));
    assert.ok(Exit.isFailure(exit));
    const error = exit.cause.reasons.find((r) => r._tag === "Fail")?.error;
    assert.ok(error instanceof RpcError);
    assert.equal(error.code, Code.UNAVAILABLE);
    assert.equal(seen(), 2);
  });
});

Deno.test("makeClient retry policy retries a server stream that failed before its first message", async () => {
  let calls = 0;
  const flaky = makeServer([implement(Echo, {
    Count: (m) =>
      ++calls < 3
        ? Stream.fail(new RpcError({ code: Code.UNAVAILABLE, message: "later" }))
        : Stream.range(1, Number(m.n)).pipe(Stream.map((i) => ({ n: i }))),
  })]);
  const scope = await Effect.runPromise(Scope.make());
  try {
    const server = await Effect.runPromise(
      Scope.provide(serveRpc(flaky, { drainTimeoutMs: 200, onError: () => {} }), scope),
    );
    const got = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      const channel = yield* openChannel(server.url);
      const c = makeClient(Echo, channel.transport, {
        retry: { maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 2 },
      });
      const ok = Array.from(yield* Stream.runCollect(c.Count({ n: 2 })));
      calls = 0;
      const none = yield* Effect.exit(Stream.runCollect(c.Count({ n: 2 }, { retry: false })));
      return { ok: ok.map((m) => Number(m.n)), none: Exit.isFailure(none), calls };
    })));
    assert.deepEqual(got, { ok: [1, 2], none: true, calls: 1 });
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void));
  }
});
