import { strict as assert } from "node:assert";
import { Deferred, Effect, Fiber, Stream } from "effect";
import { Code } from "../../rpc/code.ts";
import { CompressionRegistry, gzip } from "../../rpc/compression.ts";
import { CurrentDeadline } from "../../rpc/deadline.ts";
import { encodeEnvelope } from "../../rpc/envelope.ts";
import {
  bodyPullOf,
  type Field,
  type ServedNow,
  serveNowOf,
  type ServerHandler,
  withBodyPull,
} from "../../rpc/exchange.ts";
import { connectRpc, serveRpc } from "../../rpc/h2_transport.ts";
import { makeClient } from "../../rpc/client.ts";
import {
  implement,
  makeServer,
  type ServerCallContext,
  type ServerOptions,
} from "../../rpc/server.ts";
import { connect } from "../../net/client.ts";
import { RpcError } from "../../rpc/status.ts";
import {
  collectResponse,
  Echo,
  get,
  grpcHeaders,
  type Msg,
  msgEnvelope,
  type RawResponse,
} from "./_support.ts";
import { concatBytes } from "../_support/bytes.ts";

const SAY = "/test.echo.Echo/Say";

/** Echo's Say with a behaviour per request text, to exercise every way a unary call can end. */
const say = (m: Msg, ctx: ServerCallContext): Effect.Effect<Msg, unknown> => {
  switch (m.text) {
    case "fail":
      ctx.responseTrailers.set("x-why", "asked");
      return Effect.fail(
        new RpcError({ code: Code.NOT_FOUND, message: "nope ☺", metadata: undefined }),
      );
    case "die":
      return Effect.die(new Error("handler bug"));
    case "throw":
      throw new Error("thrown before any Effect");
    case "plain-error":
      return Effect.fail(new Error("not an RpcError"));
    case "metadata":
      ctx.responseHeaders.set("x-head", "h");
      ctx.responseTrailers.set("x-tail-bin", new Uint8Array([1, 2, 3]));
      return Effect.succeed({ text: "with metadata" });
    case "compress":
      ctx.setCompression(true);
      return Effect.succeed({ text: "z".repeat(200) });
    case "big":
      return Effect.succeed({ text: "x".repeat(2000) });
    case "deadline":
      return Effect.gen(function* () {
        return { text: `deadline ${yield* CurrentDeadline}` };
      });
    case "suspend":
      return Effect.as(Effect.sleep(1), { text: "after a sleep" });
    default:
      return Effect.succeed({ text: `echo ${m.text}`, n: m.n, blob: m.blob });
  }
};

function server(options: ServerOptions = {}): ServerHandler {
  return makeServer([implement(Echo, { Say: say })], {
    compressions: new CompressionRegistry([gzip]),
    maxSendMessageBytes: 1000,
    ...options,
  });
}

/**
 * Runs one exchange. `whole`: the body is offered complete through `bodyIfComplete`, and the
 * body stream dies if anything reads it (so a test fails if the fast path is not taken).
 */
function exchange(
  handler: ServerHandler,
  body: Uint8Array[],
  whole: boolean,
  headers: Field[] = grpcHeaders(),
): Promise<RawResponse & { offered: number }> {
  let offered = 0;
  return Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const res = yield* handler({
      method: "POST",
      path: SAY,
      authority: "test",
      headers,
      body: whole ? Stream.die("the body stream was read") : Stream.fromIterable(body),
      signal: new AbortController().signal,
      bodyIfComplete: whole
        ? () => {
          offered++;
          return concatBytes(body);
        }
        : undefined,
    });
    return { ...(yield* collectResponse(res)), offered };
  })));
}

const CASES: Array<{ name: string; body: Uint8Array[]; headers?: Field[] }> = [
  {
    name: "ok",
    body: [msgEnvelope({ text: "hi", n: "9007199254740993", blob: new Uint8Array(3) })],
  },
  { name: "handler failure", body: [msgEnvelope({ text: "fail" })] },
  { name: "defect", body: [msgEnvelope({ text: "die" })] },
  { name: "synchronous throw", body: [msgEnvelope({ text: "throw" })] },
  { name: "non-RpcError failure", body: [msgEnvelope({ text: "plain-error" })] },
  { name: "metadata", body: [msgEnvelope({ text: "metadata" })] },
  {
    name: "compressed answer",
    body: [msgEnvelope({ text: "compress" })],
    headers: grpcHeaders([{ name: "grpc-accept-encoding", value: "gzip" }]),
  },
  { name: "answer over the send limit", body: [msgEnvelope({ text: "big" })] },
  { name: "suspending handler", body: [msgEnvelope({ text: "suspend" })] },
  { name: "empty body", body: [] },
  { name: "two messages", body: [msgEnvelope({ text: "a" }), msgEnvelope({ text: "b" })] },
  { name: "truncated message", body: [msgEnvelope({ text: "cut" }).subarray(0, 7)] },
  { name: "undecodable message", body: [new Uint8Array([0, 0, 0, 0, 2, 0xff, 0xff])] },
  { name: "undefined flag bits", body: [new Uint8Array([4, 0, 0, 0, 0])] },
  { name: "compressed without grpc-encoding", body: [msgEnvelope({ text: "x" }, true)] },
];

for (const c of CASES) {
  Deno.test(`makeServer answers a whole unary body like a streamed one: ${c.name}`, async () => {
    const handler = server();
    const slow = await exchange(handler, c.body, false, c.headers);
    const fast = await exchange(handler, c.body, true, c.headers);
    assert.equal(fast.offered, 1);
    const { offered: _a, ...fastRest } = fast;
    const { offered: _b, ...slowRest } = slow;
    assert.deepEqual(fastRest, slowRest);
  });
}

for (const c of CASES) {
  Deno.test(`makeServer answers a whole unary body with a deadline like a streamed one: ${c.name}`, async () => {
    const handler = server();
    const headers = [...(c.headers ?? grpcHeaders()), { name: "grpc-timeout", value: "10S" }];
    const slow = await exchange(handler, c.body, false, headers);
    const fast = await exchange(handler, c.body, true, headers);
    assert.equal(fast.offered, 1);
    const { offered: _a, ...fastRest } = fast;
    const { offered: _b, ...slowRest } = slow;
    assert.deepEqual(fastRest, slowRest);
  });

  Deno.test(`makeServer answers a whole unary body with an interceptor like a streamed one: ${c.name}`, async () => {
    let seen = 0;
    const handler = server({
      interceptors: [(_ctx, next) => Effect.andThen(Effect.sync(() => seen++), next)],
    });
    const slow = await exchange(handler, c.body, false, c.headers);
    const fast = await exchange(handler, c.body, true, c.headers);
    assert.equal(fast.offered, 1);
    assert.equal(seen, 2);
    const { offered: _a, ...fastRest } = fast;
    const { offered: _b, ...slowRest } = slow;
    assert.deepEqual(fastRest, slowRest);
  });
}

Deno.test("makeServer serveNow answers a synchronous unary call without an Effect", async () => {
  const handler = server();
  const serveNow = serveNowOf(handler);
  assert.ok(serveNow !== undefined);
  const request = (text: string, headers: Field[] = grpcHeaders()) => ({
    method: "POST",
    path: SAY,
    authority: "test",
    headers,
    body: Stream.die("the body stream was read"),
    signal: new AbortController().signal,
    bodyIfComplete: () => msgEnvelope({ text }),
  });
  const run = (served: ServedNow) =>
    Effect.runPromise(Effect.scoped(Effect.isEffect(served) ? served : Effect.succeed(served)));
  // Calls that end synchronously (with or without a deadline) give the response itself; the
  // same as running the lazy handler.
  for (
    const [text, headers] of [
      ["hi", grpcHeaders()],
      ["fail", grpcHeaders()],
      ["die", grpcHeaders()],
      ["hi", grpcHeaders([{ name: "grpc-timeout", value: "1S" }])],
    ] as const
  ) {
    const served: ServedNow = await Effect.runPromise(
      Effect.sync((): ServedNow => serveNow(request(text, headers))),
    );
    assert.ok(!Effect.isEffect(served), `${text} answered synchronously`);
    assert.deepEqual(await run(served), await run(handler(request(text, headers))));
  }
  // A handler that suspends leaves an Effect to run.
  const pending: ServedNow = await Effect.runPromise(
    Effect.sync((): ServedNow => serveNow(request("suspend"))),
  );
  assert.ok(Effect.isEffect(pending));
  const res = await run(pending);
  assert.equal(
    Echo.methods.Say.output.deserialize((res.body as Uint8Array).subarray(5)).text,
    "after a sleep",
  );
});

Deno.test("makeServer gives a whole-body handler the call's deadline", async () => {
  const handler = server();
  for (const whole of [false, true]) {
    const before = Date.now();
    const r = await exchange(
      handler,
      [msgEnvelope({ text: "deadline" })],
      whole,
      grpcHeaders([{ name: "grpc-timeout", value: "10S" }]),
    );
    const text = Echo.methods.Say.output.deserialize(r.body.subarray(5)).text ?? "";
    const deadline = Number(text.replace("deadline ", ""));
    assert.ok(deadline >= before + 10_000 && deadline <= Date.now() + 10_000, text);
  }
});

Deno.test("makeServer whole-body answers carry the expected statuses", async () => {
  const handler = server();
  const status = async (body: Uint8Array[]) => {
    const r = await exchange(handler, body, true);
    return get(r.headersOnly ? r.headers : r.trailers, "grpc-status");
  };
  assert.equal(await status([msgEnvelope({ text: "hi" })]), "0");
  assert.equal(await status([msgEnvelope({ text: "fail" })]), String(Code.NOT_FOUND));
  assert.equal(await status([msgEnvelope({ text: "die" })]), String(Code.INTERNAL));
  assert.equal(await status([msgEnvelope({ text: "big" })]), String(Code.RESOURCE_EXHAUSTED));
  assert.equal(await status([]), String(Code.INTERNAL));
});

Deno.test("makeServer reads the streamed body when bodyIfComplete has nothing yet", async () => {
  const handler = server();
  const res = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const r = yield* handler({
      method: "POST",
      path: SAY,
      authority: "test",
      headers: grpcHeaders(),
      body: Stream.make(msgEnvelope({ text: "streamed" })),
      signal: new AbortController().signal,
      bodyIfComplete: () => undefined,
    });
    return r;
  })));
  assert.ok(res.body instanceof Uint8Array);
  assert.equal(Echo.methods.Say.output.deserialize(res.body.subarray(5)).text, "echo streamed");
});

Deno.test("makeServer keeps deadlines and interceptors on a whole unary body", async () => {
  // A deadline: the handler sleeping past it is cut off with DEADLINE_EXCEEDED.
  const sleepy = makeServer([implement(Echo, { Say: () => Effect.never })]);
  const late = await exchange(
    sleepy,
    [msgEnvelope({ text: "x" })],
    true,
    grpcHeaders([{ name: "grpc-timeout", value: "20m" }]),
  );
  assert.equal(get(late.headers, "grpc-status"), String(Code.DEADLINE_EXCEEDED));
  // An interceptor rejects the call before the (broken) body is decoded.
  const guarded = server({
    interceptors: [() => Effect.fail(new RpcError({ code: Code.UNAUTHENTICATED, message: "who" }))],
  });
  for (const whole of [false, true]) {
    const r = await exchange(guarded, [new Uint8Array([9, 9])], whole);
    assert.equal(get(r.headers, "grpc-status"), String(Code.UNAUTHENTICATED));
  }
});

Deno.test("makeServer does not leak a caller's CurrentDeadline into a whole-body call", async () => {
  const handler = server();
  for (const whole of [false, true]) {
    const text = await Effect.runPromise(
      Effect.scoped(Effect.gen(function* () {
        const res = yield* handler({
          method: "POST",
          path: SAY,
          authority: "test",
          headers: grpcHeaders(),
          body: Stream.make(msgEnvelope({ text: "deadline" })),
          signal: new AbortController().signal,
          bodyIfComplete: whole ? () => msgEnvelope({ text: "deadline" }) : undefined,
        });
        return Echo.methods.Say.output.deserialize((res.body as Uint8Array).subarray(5)).text;
      })).pipe(Effect.provideService(CurrentDeadline, 12345)),
    );
    assert.equal(text, "deadline undefined");
  }
});

Deno.test("toH2Handler offers a unary body that came with its headers through bodyIfComplete", async () => {
  const seen: Array<number | undefined> = [];
  const inner = server();
  const handler: ServerHandler = (request) => {
    // Probe without consuming: a second server sees the same request through a wrapper.
    const bytes = request.bodyIfComplete?.();
    seen.push(bytes?.length);
    return inner({ ...request, bodyIfComplete: bytes === undefined ? undefined : () => bytes });
  };
  const text = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const srv = yield* serveRpc(handler, { onError: () => {} });
    const client = makeClient(Echo, yield* connectRpc(srv.url));
    return (yield* client.Say({ text: "over h2" })).text;
  })));
  assert.equal(text, "echo over h2");
  assert.deepEqual(seen, [msgEnvelope({ text: "over h2" }).length]);
});

Deno.test("serveRpc interrupts a suspended unary handler when the client cancels", async () => {
  const started = Deferred.makeUnsafe<void>();
  const interrupted = Deferred.makeUnsafe<void>();
  const handler = makeServer([implement(Echo, {
    Say: () =>
      Deferred.succeed(started, undefined).pipe(
        Effect.andThen(Effect.never),
        Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined)),
      ),
  })]);
  await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const srv = yield* serveRpc(handler, { onError: () => {} });
    const client = makeClient(Echo, yield* connectRpc(srv.url));
    const call = yield* Effect.forkChild(client.Say({ text: "wait" }));
    yield* Deferred.await(started);
    yield* Fiber.interrupt(call);
    yield* Deferred.await(interrupted).pipe(Effect.timeout(3_000));
  })));
  assert.ok(Deferred.isDoneUnsafe(interrupted));
});

Deno.test("serveRpc applies grpc-timeout to a suspended unary handler", async () => {
  const handler = makeServer([implement(Echo, { Say: () => Effect.never })]);
  const status = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const srv = yield* serveRpc(handler, { onError: () => {} });
    // A raw HTTP/2 request, so the status is the server's (a gRPC client has its own timer).
    const client = yield* connect(srv.url);
    const res = yield* client.request({
      method: "POST",
      path: SAY,
      headers: grpcHeaders([{ name: "grpc-timeout", value: "30m" }]),
      body: msgEnvelope({ text: "slow" }),
    });
    yield* res.bytes;
    const trailers = yield* res.trailers;
    return get(trailers.length > 0 ? trailers : res.headers, "grpc-status");
  })));
  assert.equal(status, String(Code.DEADLINE_EXCEEDED));
});

/** Count with a behaviour per request text, for the server-streaming comparisons. */
const count = (m: Msg, ctx: ServerCallContext): Stream.Stream<Msg, unknown> => {
  const n = Number(m.n ?? 0);
  const numbers = Stream.range(1, n).pipe(Stream.map((i) => ({ n: i })));
  switch (m.text) {
    case "fail-after":
      return Stream.concat(
        numbers,
        Stream.fail(new RpcError({ code: Code.ABORTED, message: "x" })),
      );
    case "die-after":
      return Stream.concat(numbers, Stream.die(new Error("stream bug")));
    case "throw":
      throw new Error("thrown before the stream");
    case "big-after":
      return Stream.concat(numbers, Stream.make({ text: "x".repeat(2000) }, { n: 99 }));
    case "metadata":
      ctx.responseHeaders.set("x-head", "h");
      return Stream.concat(
        numbers,
        Stream.fromEffect(Effect.sync(() => {
          ctx.responseTrailers.set("x-tail", "t");
          return { text: "last" };
        })),
      );
    case "compress":
      ctx.setCompression(true);
      return numbers.pipe(Stream.map((x) => ({ ...x, text: "z".repeat(100) })));
    case "batched":
      return Stream.fromIterable(Array.from({ length: n }, (_, i) => ({ n: i })));
    case "suspend":
      return numbers.pipe(Stream.mapEffect((x) => Effect.as(Effect.sleep(1), x)));
    case "hang-after":
      // The messages, then nothing until the call is cut off (its deadline): counts finalizers.
      return Stream.concat(numbers, Stream.never).pipe(
        Stream.ensuring(Effect.sync(() => hangFinalized++)),
      );
    case "deadline":
      // The deadline as the handler sees it, from the stream's own Effects and from ctx.
      return Stream.fromEffect(Effect.gen(function* () {
        const d = yield* CurrentDeadline;
        return { text: `${d === ctx.deadline} ${d !== undefined}` };
      }));
    default:
      return numbers;
  }
};

const COUNT = "/test.echo.Echo/Count";
/** How many "hang-after" streams have run their finalizer. */
let hangFinalized = 0;

/** The streaming methods under test; `slow` takes the general path instead of the fast one. */
function streamingServer(slow: boolean): ServerHandler {
  return makeServer([implement(Echo, { Count: count, Chat: chat, Sum: sum })], {
    compressions: new CompressionRegistry([gzip]),
    maxSendMessageBytes: 1000,
    // A pass-through interceptor takes the general path (handler fiber and queue).
    interceptors: slow ? [(_ctx, next) => next] : [],
  });
}

function streamExchange(
  handler: ServerHandler,
  body: Uint8Array,
  headers: Field[],
): Promise<RawResponse> {
  return Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const res = yield* handler({
      method: "POST",
      path: COUNT,
      authority: "test",
      headers,
      body: Stream.make(body),
      signal: new AbortController().signal,
      bodyIfComplete: () => body,
    });
    return yield* collectResponse(res);
  })));
}

const STREAM_CASES: Array<{ name: string; msg: Msg; headers?: Field[] }> = [
  { name: "three messages", msg: { n: 3 } },
  { name: "no message", msg: { n: 0 } },
  { name: "failure after two", msg: { text: "fail-after", n: 2 } },
  { name: "failure before any", msg: { text: "fail-after", n: 0 } },
  { name: "defect after one", msg: { text: "die-after", n: 1 } },
  { name: "synchronous throw", msg: { text: "throw" } },
  { name: "message over the send limit", msg: { text: "big-after", n: 2 } },
  { name: "message over the send limit first", msg: { text: "big-after", n: 0 } },
  { name: "metadata", msg: { text: "metadata", n: 2 } },
  {
    name: "compressed",
    msg: { text: "compress", n: 3 },
    headers: grpcHeaders([{ name: "grpc-accept-encoding", value: "gzip" }]),
  },
  { name: "one chunk of many messages", msg: { text: "batched", n: 50 } },
  { name: "suspending stream", msg: { text: "suspend", n: 3 } },
];

for (const c of STREAM_CASES) {
  Deno.test(`makeServer streams a server-streaming answer like the general path: ${c.name}`, async () => {
    const body = msgEnvelope(c.msg);
    const headers = c.headers ?? grpcHeaders();
    const slow = await streamExchange(streamingServer(true), body, headers);
    const fast = await streamExchange(streamingServer(false), body, headers);
    assert.deepEqual(fast, slow);
  });
}

Deno.test("makeServer server streaming over h2: messages, then a mid-stream status", async () => {
  const result = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const srv = yield* serveRpc(streamingServer(false), { onError: () => {} });
    const client = makeClient(Echo, yield* connectRpc(srv.url));
    const ok = yield* Stream.runCollect(client.Count({ n: 200 }));
    const failed = yield* Effect.exit(
      Stream.runCollect(client.Count({ text: "fail-after", n: 2 })),
    );
    return {
      ok: Array.from(ok).map((m) => Number(m.n)),
      code: failed._tag === "Failure"
        ? (failed.cause.reasons.find((r) => r._tag === "Fail") as { error: RpcError }).error.code
        : undefined,
    };
  })));
  assert.deepEqual(result.ok, Array.from({ length: 200 }, (_, i) => i + 1));
  assert.equal(result.code, Code.ABORTED);
});

Deno.test("serveRpc stops a server stream's handler when the client cancels", async () => {
  const finalized = Deferred.makeUnsafe<void>();
  const handler = makeServer([implement(Echo, {
    Count: () =>
      Stream.concat(Stream.make({ n: 1 }), Stream.never).pipe(
        Stream.ensuring(Deferred.succeed(finalized, undefined)),
      ),
  })]);
  await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const srv = yield* serveRpc(handler, { onError: () => {} });
    const client = makeClient(Echo, yield* connectRpc(srv.url));
    const first = yield* Stream.runCollect(client.Count({ n: 1 }).pipe(Stream.take(1)));
    assert.equal(Array.from(first).length, 1);
    yield* Deferred.await(finalized).pipe(Effect.timeout(3_000));
  })));
  assert.ok(Deferred.isDoneUnsafe(finalized));
});

/** Chat: each request answered by Count's stream for it. */
const chat = (requests: Stream.Stream<Msg, RpcError>, ctx: ServerCallContext) =>
  requests.pipe(Stream.flatMap((m) => count(m, ctx)));

/** Sum: the request texts, each prefixed by whether it arrived compressed ("z") or not ("p"). */
const sum = (requests: Stream.Stream<Msg, RpcError>, ctx: ServerCallContext) =>
  requests.pipe(
    Stream.runFold(() => "", (acc, m) => `${acc}${ctx.requestCompressed ? "z" : "p"}${m.text}`),
    Effect.map((text) => ({ text })),
  );

/**
 * Runs a client-streaming or bidi exchange whose request body is `chunks`: `pull` registers a
 * body pull (as the h2 transport does), else the body is a plain Stream.
 */
function requestStreamExchange(
  handler: ServerHandler,
  path: string,
  chunks: Uint8Array[],
  pull: boolean,
  headers: Field[] = grpcHeaders([{ name: "grpc-encoding", value: "gzip" }]),
): Promise<RawResponse> {
  let next = 0;
  const body = Stream.fromIterable(chunks);
  return Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const res = yield* handler({
      method: "POST",
      path,
      authority: "test",
      headers,
      body: pull
        ? withBodyPull(
          Stream.suspend(() => body),
          Effect.sync(() => next < chunks.length ? [chunks[next++]] : undefined),
        )
        : body,
      signal: new AbortController().signal,
    });
    return yield* collectResponse(res);
  })));
}

/** A gzip-compressed request envelope. */
function gzipEnvelope(msg: Msg): Uint8Array {
  return encodeEnvelope(gzip.compress(Echo.methods.Say.input.serialize(msg)), true);
}

const REQUEST_STREAM_CASES: Array<{ name: string; chunks: Uint8Array[] }> = [
  { name: "two requests", chunks: [msgEnvelope({ text: "a", n: 2 }), msgEnvelope({ n: 1 })] },
  { name: "no request", chunks: [] },
  {
    name: "two requests in one chunk",
    chunks: [concatBytes([msgEnvelope({ text: "a", n: 1 }), msgEnvelope({ text: "b", n: 2 })])],
  },
  {
    name: "a request split in two",
    chunks: [msgEnvelope({ text: "cut" }).subarray(0, 4), msgEnvelope({ text: "cut" }).subarray(4)],
  },
  {
    name: "compressed, then plain",
    chunks: [gzipEnvelope({ text: "c", n: 1 }), msgEnvelope({ text: "d" })],
  },
  {
    name: "failure after a request",
    chunks: [msgEnvelope({ n: 1 }), msgEnvelope({ text: "fail-after", n: 1 })],
  },
  { name: "defect", chunks: [msgEnvelope({ text: "die-after", n: 1 })] },
  {
    name: "truncated request",
    chunks: [msgEnvelope({ text: "x", n: 1 }), msgEnvelope({ text: "cut" }).subarray(0, 7)],
  },
  { name: "undecodable request", chunks: [new Uint8Array([0, 0, 0, 0, 2, 0xff, 0xff])] },
];

for (const c of REQUEST_STREAM_CASES) {
  for (
    const [kind, path] of [["bidi", "/test.echo.Echo/Chat"], [
      "client-streaming",
      "/test.echo.Echo/Sum",
    ]]
  ) {
    Deno.test(`makeServer answers a ${kind} call read through a body pull like the general path: ${c.name}`, async () => {
      const slow = await requestStreamExchange(streamingServer(true), path, c.chunks, false);
      const fast = await requestStreamExchange(streamingServer(false), path, c.chunks, true);
      assert.deepEqual(fast, slow);
    });
  }
}

Deno.test("makeServer notes each streamed request's own compression flag, with or without a body pull", async () => {
  // A compressed and a plain message in one chunk: each is seen with its own flag, whether the
  // body is read through a registered pull or (another transport, interceptors) as a Stream.
  for (const [pull, slow] of [[true, false], [false, false], [false, true]]) {
    const res = await requestStreamExchange(
      streamingServer(slow),
      "/test.echo.Echo/Sum",
      [concatBytes([
        gzipEnvelope({ text: "a" }),
        msgEnvelope({ text: "b" }),
        gzipEnvelope({ text: "c" }),
      ])],
      pull,
    );
    assert.equal(
      Echo.methods.Say.output.deserialize(res.body.subarray(5)).text,
      "zapbzc",
      `pull ${pull}, interceptors ${slow}`,
    );
  }
});

/** Like `streamExchange`, reading the response body through its registered pull. */
function pulledStreamExchange(body: Uint8Array, headers: Field[]): Promise<RawResponse> {
  return Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const res = yield* streamingServer(false)({
      method: "POST",
      path: COUNT,
      authority: "test",
      headers,
      body: Stream.make(body),
      signal: new AbortController().signal,
      bodyIfComplete: () => body,
    });
    return yield* collectResponse(res, (body) =>
      Effect.gen(function* () {
        const pull = bodyPullOf(body);
        assert.ok(pull !== undefined, "a directly streamed body carries a pull");
        const chunks: Uint8Array[] = [];
        for (;;) {
          const batch = yield* pull;
          if (batch === undefined) return chunks;
          chunks.push(...batch);
        }
      }) as Effect.Effect<Uint8Array[]>);
  })));
}

for (const c of STREAM_CASES) {
  Deno.test(`makeServer's response-body pull sends what its Stream would: ${c.name}`, async () => {
    const body = msgEnvelope(c.msg);
    const headers = c.headers ?? grpcHeaders();
    const viaStream = await streamExchange(streamingServer(false), body, headers);
    const viaPull = await pulledStreamExchange(body, headers);
    assert.deepEqual(viaPull, viaStream);
  });
}

Deno.test("serveRpc stops a bidi handler mid-stream when the client cancels", async () => {
  const finalized = Deferred.makeUnsafe<void>();
  const handler = makeServer([implement(Echo, {
    // Answers the first request, then waits for more that never come.
    Chat: (requests) =>
      requests.pipe(
        Stream.take(1),
        Stream.concat(Stream.never),
        Stream.ensuring(Deferred.succeed(finalized, undefined)),
      ),
  })]);
  await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const srv = yield* serveRpc(handler, { onError: () => {} });
    const client = makeClient(Echo, yield* connectRpc(srv.url));
    const requests = Stream.concat(Stream.make({ text: "one" }), Stream.never);
    const first = yield* Stream.runCollect(client.Chat(requests).pipe(Stream.take(1)));
    assert.deepEqual(Array.from(first).map((m) => m.text), ["one"]);
    yield* Deferred.await(finalized).pipe(Effect.timeout(3_000));
  })));
  assert.ok(Deferred.isDoneUnsafe(finalized));
});

Deno.test("serveRpc ends a bidi call mid-stream at its deadline", async () => {
  const handler = makeServer([implement(Echo, {
    Chat: (requests) => requests.pipe(Stream.concat(Stream.never)),
  })]);
  const result = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const srv = yield* serveRpc(handler, { onError: () => {} });
    const client = makeClient(Echo, yield* connectRpc(srv.url));
    const seen: string[] = [];
    const exit = yield* Effect.exit(
      client.Chat(Stream.concat(Stream.make({ text: "a" }), Stream.never), {
        timeoutMs: 300,
      }).pipe(Stream.runForEach((m) => Effect.sync(() => seen.push(m.text ?? "")))),
    );
    return { seen, exit };
  })));
  assert.deepEqual(result.seen, ["a"]);
  assert.ok(result.exit._tag === "Failure");
  const failure = result.exit.cause.reasons.find((r) => r._tag === "Fail") as { error: RpcError };
  assert.equal(failure.error.code, Code.DEADLINE_EXCEEDED);
});

/** gRPC request headers with a `grpc-timeout`. */
const withTimeout = (timeout: string, extra: Field[] = []): Field[] =>
  grpcHeaders([...extra, { name: "grpc-timeout", value: timeout }]);

for (const c of STREAM_CASES) {
  Deno.test(`makeServer streams a server-streaming answer with a deadline like the general path: ${c.name}`, async () => {
    // A far deadline that never fires: same answer as the general path (handler fiber and
    // queue), and sent through the body pull (so the call took the direct path).
    const body = msgEnvelope(c.msg);
    // The case's own extra headers (after grpcHeaders' content-type and te), plus the timeout.
    const headers = withTimeout("10S", c.headers?.slice(2));
    const slow = await streamExchange(streamingServer(true), body, headers);
    const fast = await streamExchange(streamingServer(false), body, headers);
    assert.deepEqual(fast, slow);
    assert.deepEqual(await pulledStreamExchange(body, headers), fast);
  });
}

for (const c of REQUEST_STREAM_CASES) {
  Deno.test(`makeServer answers a bidi call with a deadline like the general path: ${c.name}`, async () => {
    const headers = withTimeout("10S", [{ name: "grpc-encoding", value: "gzip" }]);
    const path = "/test.echo.Echo/Chat";
    const slow = await requestStreamExchange(
      streamingServer(true),
      path,
      c.chunks,
      false,
      headers,
    );
    const fast = await requestStreamExchange(
      streamingServer(false),
      path,
      c.chunks,
      true,
      headers,
    );
    assert.deepEqual(fast, slow);
  });
}

Deno.test("makeServer shows a streaming handler its deadline on the direct path", async () => {
  const res = await pulledStreamExchange(msgEnvelope({ text: "deadline" }), withTimeout("10S"));
  assert.equal(Echo.methods.Say.output.deserialize(res.body.subarray(5)).text, "true true");
});

Deno.test("makeServer ends a server stream mid-stream at its deadline like the general path", async () => {
  // Two messages, then the handler waits forever: DEADLINE_EXCEEDED after the two, and the
  // handler's stream finalized, on both paths.
  const body = msgEnvelope({ text: "hang-after", n: 2 });
  const headers = withTimeout("50m");
  const before = hangFinalized;
  const slow = await streamExchange(streamingServer(true), body, headers);
  const fast = await streamExchange(streamingServer(false), body, headers);
  assert.deepEqual(fast, slow);
  assert.equal(get(fast.trailers, "grpc-status"), String(Code.DEADLINE_EXCEEDED));
  assert.equal(fast.body.length, 2 * msgEnvelope({ n: 1 }).length);
  assert.equal(hangFinalized, before + 2);
  // Through the body pull too (what the h2 transport uses).
  const pulled = await pulledStreamExchange(body, headers);
  assert.deepEqual(pulled, fast);
  assert.equal(hangFinalized, before + 3);
});

Deno.test("makeServer answers Trailers-Only DEADLINE_EXCEEDED when the deadline passes before the first message", async () => {
  const body = msgEnvelope({ text: "hang-after", n: 0 });
  const headers = withTimeout("20m");
  const before = hangFinalized;
  const slow = await streamExchange(streamingServer(true), body, headers);
  const fast = await streamExchange(streamingServer(false), body, headers);
  assert.deepEqual(fast, slow);
  assert.equal(get(fast.headers, "grpc-status"), String(Code.DEADLINE_EXCEEDED));
  assert.equal(hangFinalized, before + 2);
});

Deno.test("serveRpc ends a server stream mid-stream at its deadline and finalizes the handler", async () => {
  const finalized = Deferred.makeUnsafe<void>();
  const handler = makeServer([implement(Echo, {
    Count: (m) =>
      Stream.concat(Stream.range(1, Number(m.n)).pipe(Stream.map((i) => ({ n: i }))), Stream.never)
        .pipe(Stream.ensuring(Deferred.succeed(finalized, undefined))),
  })]);
  const result = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const srv = yield* serveRpc(handler, { onError: () => {} });
    const client = makeClient(Echo, yield* connectRpc(srv.url));
    const seen: number[] = [];
    const exit = yield* Effect.exit(
      client.Count({ n: 3 }, { timeoutMs: 300 }).pipe(
        Stream.runForEach((m) => Effect.sync(() => seen.push(Number(m.n)))),
      ),
    );
    yield* Deferred.await(finalized).pipe(Effect.timeout(3_000));
    return { seen, exit };
  })));
  assert.deepEqual(result.seen, [1, 2, 3]);
  assert.ok(result.exit._tag === "Failure");
  const failure = result.exit.cause.reasons.find((r) => r._tag === "Fail") as { error: RpcError };
  assert.equal(failure.error.code, Code.DEADLINE_EXCEEDED);
});

Deno.test("serveRpc ends a bidi call mid-stream at its deadline and finalizes the handler", async () => {
  const finalized = Deferred.makeUnsafe<void>();
  const handler = makeServer([implement(Echo, {
    Chat: (requests) =>
      requests.pipe(
        Stream.concat(Stream.never),
        Stream.ensuring(Deferred.succeed(finalized, undefined)),
      ),
  })]);
  const result = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const srv = yield* serveRpc(handler, { onError: () => {} });
    const client = makeClient(Echo, yield* connectRpc(srv.url));
    const seen: string[] = [];
    const exit = yield* Effect.exit(
      client.Chat(Stream.make({ text: "a" }, { text: "b" }), { timeoutMs: 300 }).pipe(
        Stream.runForEach((m) => Effect.sync(() => seen.push(m.text ?? ""))),
      ),
    );
    yield* Deferred.await(finalized).pipe(Effect.timeout(3_000));
    return { seen, exit };
  })));
  assert.deepEqual(result.seen, ["a", "b"]);
  assert.ok(result.exit._tag === "Failure");
  const failure = result.exit.cause.reasons.find((r) => r._tag === "Fail") as { error: RpcError };
  assert.equal(failure.error.code, Code.DEADLINE_EXCEEDED);
});

Deno.test("makeServer leaves no deadline timer behind once a streaming call ended", async () => {
  // A child process serving calls with a one-minute deadline: a timer still pending after the
  // calls ended would keep it alive for that minute.
  const probe = new URL("./_stream_deadline_probe.ts", import.meta.url);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", probe.pathname],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const started = Date.now();
  const timer = setTimeout(() => child.kill(), 30_000);
  try {
    const out = await child.output();
    assert.equal(new TextDecoder().decode(out.stdout).trim(), "3 1");
    assert.ok(out.success, "the probe was killed: a timer kept it running");
    assert.ok(Date.now() - started < 30_000);
  } finally {
    clearTimeout(timer);
  }
});
