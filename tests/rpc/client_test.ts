import { strict as assert } from "node:assert";
import { Effect, Stream } from "effect";
import { makeClient } from "../../rpc/client.ts";
import { Code } from "../../rpc/code.ts";
import { parseTimeout } from "../../rpc/deadline.ts";
import { encodeEnvelope } from "../../rpc/envelope.ts";
import type { Fields, ServerHandler, ServerResponse } from "../../rpc/exchange.ts";
import { makeInMemoryTransport } from "../../rpc/in_memory_transport.ts";
import { Metadata } from "../../rpc/metadata.ts";
import { implement, makeServer } from "../../rpc/server.ts";
import { RpcError } from "../../rpc/status.ts";
import { Echo, get, msgEnvelope } from "./_support.ts";

function fixed(response: ServerResponse): ServerHandler {
  return () => Effect.succeed(response);
}

function clientFor(handler: ServerHandler) {
  return makeClient(Echo, makeInMemoryTransport(handler));
}

const ok: Fields = [{ name: "grpc-status", value: "0" }];
const grpcCt = { name: "content-type", value: "application/grpc" };

Deno.test("makeClient maps non-gRPC HTTP responses with http-grpc-status-mapping", async () => {
  const cases: Array<[number, string, Code]> = [
    [503, "text/plain", Code.UNAVAILABLE],
    [404, "text/html", Code.UNIMPLEMENTED],
    [401, "application/grpc", Code.UNAUTHENTICATED],
    [500, "text/plain", Code.UNKNOWN],
    [200, "text/html", Code.UNKNOWN],
  ];
  for (const [status, ct, code] of cases) {
    const c = clientFor(fixed({ status, headers: [{ name: "content-type", value: ct }] }));
    const err = await Effect.runPromise(Effect.flip(c.Say({})));
    assert.equal(err.code, code, `${status} ${ct}`);
  }
});

Deno.test("makeClient reads a Trailers-Only status and its metadata", async () => {
  const c = clientFor(fixed({
    status: 200,
    headers: [
      grpcCt,
      { name: "grpc-status", value: "5" },
      { name: "grpc-message", value: "not%20here %E2%98%BA" },
      { name: "x-why", value: "gone" },
    ],
  }));
  const err = await Effect.runPromise(Effect.flip(c.Say({})));
  assert.equal(err.code, Code.NOT_FOUND);
  assert.equal(err.message, "not here ☺");
  assert.equal(err.metadata.get("x-why"), "gone");
  const unknown = clientFor(
    fixed({ status: 200, headers: [grpcCt, { name: "grpc-status", value: "x" }] }),
  );
  assert.equal((await Effect.runPromise(Effect.flip(unknown.Say({})))).code, Code.UNKNOWN);
});

Deno.test("makeClient treats an OK stream without a message as an error for unary calls", async () => {
  const c = clientFor(fixed({ status: 200, headers: [grpcCt, ...ok] }));
  assert.equal((await Effect.runPromise(Effect.flip(c.Say({})))).code, Code.UNIMPLEMENTED);
  const none = await Effect.runPromise(Stream.runCollect(c.Count({})));
  assert.equal(Array.from(none).length, 0);
  const two = clientFor(fixed({
    status: 200,
    headers: [grpcCt],
    body: Stream.make(msgEnvelope({}), msgEnvelope({})),
    trailers: Effect.succeed(ok),
  }));
  assert.equal((await Effect.runPromise(Effect.flip(two.Say({})))).code, Code.INTERNAL);
});

Deno.test("makeClient reports missing trailers status, bad encodings and truncated bodies", async () => {
  const base = { status: 200, headers: [grpcCt], body: Stream.make(msgEnvelope({ text: "x" })) };
  const noStatus = clientFor(fixed({ ...base, trailers: Effect.succeed([]) }));
  assert.equal((await Effect.runPromise(Effect.flip(noStatus.Say({})))).code, Code.INTERNAL);
  const badEnc = clientFor(fixed({
    ...base,
    headers: [grpcCt, { name: "grpc-encoding", value: "lz4" }],
    trailers: Effect.succeed(ok),
  }));
  assert.equal((await Effect.runPromise(Effect.flip(badEnc.Say({})))).code, Code.INTERNAL);
  const truncated = clientFor(fixed({
    ...base,
    body: Stream.make(msgEnvelope({ text: "x" }).subarray(0, 4)),
    trailers: Effect.succeed(ok),
  }));
  assert.equal((await Effect.runPromise(Effect.flip(truncated.Say({})))).code, Code.INTERNAL);
});

Deno.test("makeClient enforces maxReceiveMessageBytes", async () => {
  const c = makeClient(
    Echo,
    makeInMemoryTransport(fixed({
      status: 200,
      headers: [grpcCt],
      body: Stream.make(encodeEnvelope(new Uint8Array(100))),
      trailers: Effect.succeed(ok),
    })),
    { maxReceiveMessageBytes: 50 },
  );
  assert.equal((await Effect.runPromise(Effect.flip(c.Say({})))).code, Code.RESOURCE_EXHAUSTED);
});

Deno.test("makeClient enforces maxSendMessageBytes before anything is sent", async () => {
  let called = false;
  const c = makeClient(
    Echo,
    makeInMemoryTransport(
      makeServer([implement(Echo, {
        Say: (m) => Effect.sync(() => (called = true)).pipe(Effect.as(m)),
      })]),
    ),
    { maxSendMessageBytes: 10 },
  );
  const err = await Effect.runPromise(Effect.flip(c.Say({ text: "x".repeat(50) })));
  assert.equal(err.code, Code.RESOURCE_EXHAUSTED);
  assert.equal(called, false);
});

Deno.test("makeClient sends grpc-timeout, metadata, encoding and te headers", async () => {
  let seen: Fields = [];
  const server = makeServer([implement(Echo, { Say: (m) => Effect.succeed(m) })]);
  const c = makeClient(
    Echo,
    makeInMemoryTransport((req) => {
      seen = req.headers;
      return server(req);
    }),
    { defaults: { metadata: new Metadata({ "x-default": "d" }) } },
  );
  const res = await Effect.runPromise(
    c.Say({ text: "hello ".repeat(50) }, {
      timeoutMs: 1500,
      compression: "gzip",
      metadata: new Metadata({ "x-call": "c", "x-bin": new Uint8Array([255]) }),
    }),
  );
  assert.equal(res.text, "hello ".repeat(50));
  assert.equal(get(seen, "te"), "trailers");
  assert.equal(get(seen, "content-type"), "application/grpc");
  assert.equal(get(seen, "grpc-encoding"), "gzip");
  assert.equal(get(seen, "grpc-accept-encoding"), "identity,gzip,deflate");
  assert.equal(get(seen, "x-default"), "d");
  assert.equal(get(seen, "x-call"), "c");
  assert.equal(get(seen, "x-bin"), "/w");
  const t = parseTimeout(get(seen, "grpc-timeout")!)!;
  assert.ok(t > 1000 && t <= 1500);
});

Deno.test("makeClient refuses an unregistered request compression", async () => {
  const c = clientFor(fixed({ status: 200, headers: [grpcCt, ...ok] }));
  const err = await Effect.runPromise(Effect.flip(c.Say({}, { compression: "br" })));
  assert.equal(err.code, Code.INTERNAL);
});

Deno.test("makeClient fails with DEADLINE_EXCEEDED when the server never answers", async () => {
  const c = clientFor(() => Effect.never);
  const err = await Effect.runPromise(Effect.flip(c.Say({}, { timeoutMs: 10 })));
  assert.equal(err.code, Code.DEADLINE_EXCEEDED);
  const s = await Effect.runPromise(Effect.flip(Stream.runDrain(c.Count({}, { timeoutMs: 10 }))));
  assert.equal(s.code, Code.DEADLINE_EXCEEDED);
});

Deno.test("makeClient retries UNAVAILABLE with backoff only when asked", async () => {
  let attempts = 0;
  const flaky = makeServer([implement(Echo, {
    Say: (m) =>
      Effect.suspend(() =>
        ++attempts < 3
          ? Effect.fail(new RpcError({ code: Code.UNAVAILABLE, message: "try again" }))
          : Effect.succeed(m)
      ),
  })]);
  const retry = { maxAttempts: 4, initialBackoffMs: 1, maxBackoffMs: 2 };
  const c = makeClient(Echo, makeInMemoryTransport(flaky), { retry });
  assert.equal((await Effect.runPromise(c.Say({ text: "x" }))).text, "x");
  assert.equal(attempts, 3);

  attempts = 0;
  const noRetry = makeClient(Echo, makeInMemoryTransport(flaky));
  assert.equal((await Effect.runPromise(Effect.flip(noRetry.Say({})))).code, Code.UNAVAILABLE);
  assert.equal(attempts, 1);

  attempts = 0;
  const tooFew = makeClient(Echo, makeInMemoryTransport(flaky), {
    retry: { ...retry, maxAttempts: 2 },
  });
  assert.equal((await Effect.runPromise(Effect.flip(tooFew.Say({})))).code, Code.UNAVAILABLE);
  assert.equal(attempts, 2);

  let other = 0;
  const failing = makeServer([implement(Echo, {
    Say: () =>
      Effect.sync(() => other++).pipe(
        Effect.andThen(Effect.fail(new RpcError({ code: Code.INTERNAL }))),
      ),
  })]);
  const c2 = makeClient(Echo, makeInMemoryTransport(failing), { retry });
  assert.equal((await Effect.runPromise(Effect.flip(c2.Say({})))).code, Code.INTERNAL);
  assert.equal(other, 1);
});

Deno.test("makeClient cancels the call when the request stream fails", async () => {
  let serverSaw: unknown;
  const s = makeServer([implement(Echo, {
    Sum: (ms) =>
      Stream.runDrain(ms).pipe(
        Effect.tapError((e) => Effect.sync(() => (serverSaw = e))),
        Effect.as({}),
      ),
  })]);
  const c = makeClient(Echo, makeInMemoryTransport(s));
  const err = await Effect.runPromise(
    Effect.flip(c.Sum(Stream.make({ n: 1 }).pipe(Stream.concat(Stream.fail("user gave up"))))),
  );
  assert.equal(err.code, Code.CANCELLED);
  assert.equal(err.message, "user gave up");
  assert.ok(serverSaw === undefined || (serverSaw as RpcError).code === Code.CANCELLED);
});

Deno.test("makeClient reports a server reset as INTERNAL", async () => {
  const c = clientFor(() => Effect.die("kaboom"));
  assert.equal((await Effect.runPromise(Effect.flip(c.Say({})))).code, Code.INTERNAL);
});

Deno.test("makeClient retries share the call's deadline instead of restarting it", async () => {
  let attempts = 0;
  const down = makeServer([implement(Echo, {
    Say: () =>
      Effect.suspend(() => {
        attempts++;
        return Effect.fail(new RpcError({ code: Code.UNAVAILABLE, message: "down" }));
      }),
  })]);
  const c = makeClient(Echo, makeInMemoryTransport(down), {
    retry: { maxAttempts: 50, initialBackoffMs: 30, multiplier: 1, maxBackoffMs: 30 },
  });
  const err = await Effect.runPromise(Effect.flip(c.Say({}, { timeoutMs: 100 })));
  assert.equal(err.code, Code.DEADLINE_EXCEEDED);
  // About four attempts fit in 100 ms; a deadline per attempt would have run all fifty.
  assert.ok(attempts >= 1 && attempts < 20, `${attempts} attempts`);
});
