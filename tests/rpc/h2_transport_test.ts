import { strict as assert } from "node:assert";
import { Deferred, Effect, Exit, Fiber, Scope, Stream } from "effect";
import { Code } from "../../rpc/code.ts";
import { makeClient } from "../../rpc/client.ts";
import { bodyPullOf, ExchangeError, type ServerHandler } from "../../rpc/exchange.ts";
import {
  connectRpc,
  exchangeErrorFromNet,
  makeH2Transport,
  serveRpc,
  toH2Handler,
} from "../../rpc/h2_transport.ts";
import { implement, makeServer } from "../../rpc/server.ts";
import { RpcError } from "../../rpc/status.ts";
import { INTEROP_CASE_NAMES, interopCases } from "../../rpc/testing/interop_cases.ts";
import {
  loadTestingRoot,
  testingServices,
  testServiceImplementation,
} from "../../rpc/testing/test_service.ts";
import { connect } from "../../net/client.ts";
import { serve } from "../../net/server.ts";
import { streamReset } from "../../net/errors.ts";
import { Echo, echoHandlers, get, grpcHeaders, type Msg, msgEnvelope } from "./_support.ts";

const certDir = new URL("../_support/certs/", import.meta.url);
const CA = Deno.readTextFileSync(new URL("ca.crt", certDir));
const TLS = {
  cert: Deno.readTextFileSync(new URL("server.crt", certDir)),
  key: Deno.readTextFileSync(new URL("server.key", certDir)),
};

const services = testingServices(await loadTestingRoot());
const testServer = makeServer([testServiceImplementation(services)]);

/** Runs `body` with a server for `handler` and a transport to it, closing both after. */
function withRpc<A, E>(
  handler: ServerHandler,
  secure: boolean,
  body: (
    transport: ReturnType<typeof makeH2Transport>,
  ) => Effect.Effect<A, E, Scope.Scope>,
): Promise<A> {
  return Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const server = yield* serveRpc(handler, {
      tls: secure ? TLS : undefined,
      drainTimeoutMs: 2_000,
      onError: () => {},
    });
    const url = secure ? `https://localhost:${server.port}` : server.url;
    const transport = yield* connectRpc(url, { caCerts: secure ? [CA] : undefined });
    return yield* body(transport);
  })));
}

for (const secure of [false, true]) {
  const proto = secure ? "TLS" : "h2c";
  Deno.test(`makeH2Transport runs every interop case against TestService over ${proto}`, async (t) => {
    const scope = await Effect.runPromise(Scope.make());
    try {
      const server = await Effect.runPromise(
        serveRpc(testServer, { tls: secure ? TLS : undefined, drainTimeoutMs: 2_000 }).pipe(
          Scope.provide(scope),
        ),
      );
      const url = secure ? `https://localhost:${server.port}` : server.url;
      const transport = await Effect.runPromise(
        connectRpc(url, { caCerts: secure ? [CA] : undefined }).pipe(Scope.provide(scope)),
      );
      const cases = interopCases(services, transport);
      for (const name of INTEROP_CASE_NAMES) {
        await t.step(name, () => Effect.runPromise(cases[name]));
      }
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void));
    }
  });
}

const counting = (n: number) => Stream.range(1, n).pipe(Stream.map((i) => ({ n: i })));

Deno.test("makeH2Transport carries all four call kinds over h2c", async () => {
  const handler = makeServer([implement(Echo, echoHandlers)]);
  const got = await withRpc(handler, false, (transport) =>
    Effect.gen(function* () {
      const c = makeClient(Echo, transport);
      const say = yield* c.Say({ text: "hi" });
      const count = Array.from(yield* Stream.runCollect(c.Count({ n: 300 })));
      const sum = yield* c.Sum(counting(1000));
      const chat = Array.from(
        yield* Stream.runCollect(c.Chat(Stream.make({ text: "a" }, { text: "b" }))),
      );
      return { say, count, sum, chat };
    }));
  assert.equal(got.say.text, "say hi");
  assert.equal(got.count.length, 300);
  assert.equal(Number(got.count[299].n), 300);
  assert.equal(Number(got.sum.n), 500500);
  assert.deepEqual(got.chat.map((m) => m.text), ["re a", "re b"]);
});

Deno.test("makeH2Transport runs many concurrent calls on one connection", async () => {
  const handler = makeServer([implement(Echo, {
    Say: (m) => Effect.succeed({ text: m.text, blob: m.blob }),
  })]);
  const results = await withRpc(handler, true, (transport) => {
    const c = makeClient(Echo, transport);
    return Effect.forEach(
      Array.from({ length: 200 }, (_, i) => i),
      (i) => c.Say({ text: String(i), blob: new Uint8Array(i * 50).fill(i & 0xff) }),
      { concurrency: 64 },
    );
  });
  for (let i = 0; i < 200; i++) {
    assert.equal(results[i].text, String(i));
    assert.equal(results[i].blob?.length ?? 0, i * 50);
  }
});

Deno.test("toH2Handler aborts the handler's signal and scope when the client cancels", async () => {
  const started = Deferred.makeUnsafe<void>();
  const aborted = Deferred.makeUnsafe<void>();
  const finalized = Deferred.makeUnsafe<void>();
  const handler = makeServer([implement(Echo, {
    Chat: (_ms, ctx) =>
      Stream.unwrap(Effect.gen(function* () {
        ctx.signal.addEventListener("abort", () => Deferred.doneUnsafe(aborted, Effect.void));
        yield* Effect.addFinalizer(() => Deferred.succeed(finalized, undefined));
        yield* Deferred.succeed(started, undefined);
        return Stream.concat(Stream.make({ text: "first" }), Stream.never);
      })),
  })]);
  const first = await withRpc(handler, false, (transport) =>
    Effect.gen(function* () {
      const c = makeClient(Echo, transport);
      const got = yield* Stream.runCollect(c.Chat(Stream.never).pipe(Stream.take(1)));
      // Taking one message closed the call: the server must see RST_STREAM(CANCEL).
      yield* Deferred.await(aborted).pipe(Effect.timeout(3_000));
      yield* Deferred.await(finalized).pipe(Effect.timeout(3_000));
      return Array.from(got)[0].text;
    }));
  assert.equal(first, "first");
  assert.ok(Deferred.isDoneUnsafe(started));
});

Deno.test("makeH2Transport resets with CANCEL when the request body fails", async () => {
  const serverSaw = Deferred.makeUnsafe<string>();
  const handler = makeServer([implement(Echo, {
    Sum: (ms) =>
      Stream.runDrain(ms).pipe(
        Effect.tapError((e) => Deferred.succeed(serverSaw, RpcError.from(e).codeName)),
        Effect.as({}),
      ),
  })]);
  const exit = await withRpc(handler, false, (transport) =>
    Effect.gen(function* () {
      const c = makeClient(Echo, transport);
      const requests = Stream.make({ n: 1 }).pipe(
        Stream.concat(Stream.fail(new Error("disk on fire"))),
      );
      const exit = yield* Effect.exit(c.Sum(requests));
      const seen = yield* Deferred.await(serverSaw).pipe(Effect.timeout(3_000));
      return { exit, seen };
    }));
  assert.ok(Exit.isFailure(exit.exit));
  const error = exit.exit.cause.reasons.find((r) => r._tag === "Fail")?.error;
  assert.ok(error instanceof RpcError);
  assert.equal(error.code, Code.CANCELLED);
  assert.equal(exit.seen, "CANCELLED");
});

Deno.test("makeH2Transport reports a server reset as a remote ExchangeError", async () => {
  // A raw net handler that resets every stream once its headers went out.
  const error = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const server = yield* serve({
      handler: () =>
        Effect.succeed({
          status: 200,
          headers: { "content-type": "application/grpc" },
          body: Stream.fail(new Error("boom")),
        }),
      onError: () => {},
    });
    const transport = makeH2Transport(yield* connect(server.url));
    const c = makeClient(Echo, transport);
    return yield* Effect.flip(c.Say({ text: "x" }));
  })));
  assert.equal(error.code, Code.INTERNAL);
  assert.ok(error.cause instanceof ExchangeError);
  assert.equal(error.cause.initiator, "remote");
  assert.equal(error.cause.errorCode, 0x2);
});

Deno.test("connectRpc fails with Unavailable when nothing listens", async () => {
  // Bind and release a port so that nothing listens there.
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const exit = await Effect.runPromiseExit(Effect.scoped(Effect.gen(function* () {
    const transport = yield* connectRpc(`http://127.0.0.1:${port}`);
    return yield* makeClient(Echo, transport).Say({});
  })));
  assert.ok(Exit.isFailure(exit));
  const error = exit.cause.reasons.find((r) => r._tag === "Fail")?.error;
  const code = error instanceof ExchangeError
    ? error.reason
    : error instanceof RpcError
    ? error.codeName
    : String(error);
  assert.ok(code === "Unavailable" || code === "UNAVAILABLE", `got ${code}`);
});

Deno.test("toH2Handler sends a headers-only answer as one HEADERS frame", async () => {
  const handler = toH2Handler(() =>
    Effect.succeed({ status: 200, headers: [{ name: "grpc-status", value: "12" }] })
  );
  const res = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const server = yield* serve({ handler });
    const client = yield* connect(server.url);
    const res = yield* client.request({ method: "POST", path: "/x", body: "" });
    const body = yield* res.bytes;
    return { status: res.status, grpc: res.header("grpc-status"), body: body.length };
  })));
  assert.deepEqual(res, { status: 200, grpc: "12", body: 0 });
});

Deno.test("exchangeErrorFromNet keeps reset codes and marks refused streams retryable", () => {
  const cancel = exchangeErrorFromNet(streamReset(3, 0x8, "remote"));
  assert.equal(cancel.reason, "Reset");
  assert.equal(cancel.errorCode, 0x8);
  assert.equal(cancel.initiator, "remote");
  assert.equal(RpcError.from(cancel).code, Code.CANCELLED);
  const refused = exchangeErrorFromNet(streamReset(5, 0x7, "remote"));
  assert.equal(refused.reason, "Unavailable");
  assert.equal(RpcError.from(refused).code, Code.UNAVAILABLE);
  const mine = exchangeErrorFromNet(streamReset(7, 0x8, "user"));
  assert.equal(mine.initiator, "local");
});

Deno.test("makeH2Transport cancels a call whose caller is interrupted before headers", async () => {
  const aborted = Deferred.makeUnsafe<void>();
  const handler = makeServer([implement(Echo, {
    Say: (_m, ctx) =>
      Effect.callback<Msg>(() => {
        ctx.signal.addEventListener("abort", () => Deferred.doneUnsafe(aborted, Effect.void));
      }),
  })]);
  await withRpc(handler, false, (transport) =>
    Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(makeClient(Echo, transport).Say({}));
      yield* Effect.sleep(50);
      yield* Fiber.interrupt(fiber);
      yield* Deferred.await(aborted).pipe(Effect.timeout(3_000));
    }));
});

Deno.test("toH2Handler delivers the status of a call that stops reading an open request", async () => {
  // The handler fails on the first message while the client keeps its request stream open:
  // the status must arrive before the unread request is reset.
  const error = await withRpc(testServer, false, (transport) => {
    const client = makeClient(services.testService, transport);
    const requests = Stream.make({ response_status: { code: 2, message: "stop here" } }).pipe(
      Stream.concat(Stream.never),
    );
    return Effect.flip(Stream.runDrain(client.FullDuplexCall(requests)));
  });
  assert.equal(error.code, Code.UNKNOWN);
  assert.equal(error.message, "stop here");
});

Deno.test("toH2Handler returns the flow-control credit of request bodies nobody read", async () => {
  // Each call is answered UNIMPLEMENTED, after its whole 256 KiB body arrived, without reading
  // it; 40 of them are 10 MiB, more than the server's 4 MiB connection window, so credit that
  // is never returned would stall the connection.
  const handler: ServerHandler = () =>
    Effect.as(Effect.sleep(20), {
      status: 200,
      headers: [
        { name: "content-type", value: "application/grpc" },
        { name: "grpc-status", value: "12" },
      ],
    });
  const codes = await withRpc(handler, false, (transport) => {
    const c = makeClient(Echo, transport);
    return Effect.forEach(
      Array.from({ length: 40 }, () => 0),
      () => Effect.flip(c.Say({ blob: new Uint8Array(256 * 1024) })),
      { concurrency: 4 },
    ).pipe(Effect.timeout(10_000));
  });
  assert.equal(codes.length, 40);
  assert.ok(codes.every((e) => e.code === Code.UNIMPLEMENTED));
});

Deno.test("makeH2Transport cancels a started bidi call whose request stream fails", async () => {
  const aborted = Deferred.makeUnsafe<void>();
  const handler = makeServer([implement(Echo, {
    Chat: (ms, ctx) => {
      ctx.signal.addEventListener("abort", () => Deferred.doneUnsafe(aborted, Effect.void));
      return Stream.map(ms, (m) => ({ text: `re ${m.text}` }));
    },
  })]);
  const got = await withRpc(handler, false, (transport) =>
    Effect.gen(function* () {
      const replies: string[] = [];
      // The failure comes after the reply, so the response headers are in by then.
      const requests = Stream.make({ text: "a" }).pipe(
        Stream.concat(Stream.fromEffectDrain(Effect.sleep(100))),
        Stream.concat(Stream.fail(new Error("lost the keyboard"))),
      );
      const error = yield* Effect.flip(
        makeClient(Echo, transport).Chat(requests).pipe(
          Stream.runForEach((m) => Effect.sync(() => replies.push(m.text ?? ""))),
        ),
      );
      yield* Deferred.await(aborted).pipe(Effect.timeout(3_000));
      return { replies, code: error.code };
    }));
  assert.deepEqual(got, { replies: ["re a"], code: Code.CANCELLED });
});

Deno.test("toH2Handler sends a whole body with final trailers in one go", async () => {
  const handler = toH2Handler(() =>
    Effect.succeed({
      status: 200,
      headers: [{ name: "content-type", value: "application/grpc" }],
      body: new Uint8Array([0, 0, 0, 0, 1, 42]),
      trailers: [{ name: "grpc-status", value: "0" }, { name: "x-tail", value: "t" }],
    })
  );
  const res = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const server = yield* serve({ handler });
    const client = yield* connect(server.url);
    const res = yield* client.request({ method: "POST", path: "/x", body: "" });
    const body = yield* res.bytes;
    const trailers = yield* res.trailers;
    return { body: Array.from(body), trailers: trailers.map((f) => `${f.name}=${f.value}`) };
  })));
  assert.deepEqual(res.body, [0, 0, 0, 0, 1, 42]);
  assert.deepEqual(res.trailers, ["grpc-status=0", "x-tail=t"]);
});

Deno.test("toH2Handler registers a body pull: chunk batches, then undefined", async () => {
  const handler = toH2Handler((req) =>
    Effect.gen(function* () {
      const seen: number[] = [];
      for (;;) {
        const chunks = yield* bodyPullOf(req.body)!;
        if (chunks === undefined) break;
        for (const c of chunks) seen.push(c.length);
      }
      const total = seen.reduce((a, b) => a + b, 0);
      return { status: 200, headers: [], body: new TextEncoder().encode(String(total)) };
    }).pipe(Effect.orDie)
  );
  const text = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const server = yield* serve({ handler });
    const client = yield* connect(server.url);
    const body = Stream.make(new Uint8Array(1000), new Uint8Array(70_000), new Uint8Array(3));
    const res = yield* client.request({ method: "POST", path: "/x", body });
    return new TextDecoder().decode(yield* res.bytes);
  })));
  assert.equal(text, "71003");
});

Deno.test("serveRpc answers a unary call with an endless request body without reading it all", async () => {
  // A hostile client keeps sending messages on a unary call: the server must answer INTERNAL
  // once the second message arrives instead of buffering the body until it ends (never).
  const handler = makeServer([implement(Echo, { Say: (m) => Effect.succeed(m) })]);
  const env = msgEnvelope({ text: "more" });
  const fields = await withRpc(handler, false, (transport) =>
    Effect.gen(function* () {
      const res = yield* transport({
        method: "POST",
        path: "/test.echo.Echo/Say",
        headers: grpcHeaders(),
        body: Stream.forever(Stream.succeed(env)),
      });
      yield* Stream.runDrain(res.body);
      const trailers = yield* res.trailers;
      return [...res.headers, ...trailers];
    }).pipe(Effect.timeout(5_000)));
  assert.equal(get(fields, "grpc-status"), String(Code.INTERNAL));
  assert.match(get(fields, "grpc-message") ?? "", /more than one message/);
});
