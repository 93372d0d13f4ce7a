import { strict as assert } from "node:assert";
import { Deferred, Effect, Fiber, Stream } from "effect";
import { decodeBase64 } from "../../rpc/_base64.ts";
import { makeClient } from "../../rpc/client.ts";
import { Code } from "../../rpc/code.ts";
import { CompressionRegistry, gzip } from "../../rpc/compression.ts";
import { CurrentDeadline, parseTimeout } from "../../rpc/deadline.ts";
import { makeInMemoryTransport } from "../../rpc/in_memory_transport.ts";
import { implement, makeServer, type ServerInterceptor } from "../../rpc/server.ts";
import { RpcError } from "../../rpc/status.ts";
import { decodeStatusDetails } from "../../rpc/status_details.ts";
import { Echo, get, grpcHeaders, type Msg, msgEnvelope, rawExchange } from "./_support.ts";

const echo = implement(Echo, {
  Say: (m) => Effect.succeed({ text: m.text }),
  Count: (m) => Stream.range(1, Number(m.n)).pipe(Stream.map((i) => ({ n: i }))),
  Sum: (ms) =>
    Stream.runFold(ms, () => 0n, (a, m) => a + BigInt(m.n ?? 0)).pipe(
      Effect.map((n) => ({ n: String(n) })),
    ),
  Chat: (ms) => ms,
});
const server = makeServer([echo]);
const SAY = "/test.echo.Echo/Say";

Deno.test("makeServer answers 405 to non-POST and 415 to non-gRPC content types", async () => {
  const get405 = await rawExchange(server, { path: SAY, method: "GET" });
  assert.equal(get405.status, 405);
  const html = await rawExchange(server, {
    path: SAY,
    headers: [{ name: "content-type", value: "text/html" }, { name: "te", value: "trailers" }],
  });
  assert.equal(html.status, 415);
  assert.equal(get(html.headers, "grpc-status"), undefined);
});

Deno.test("makeServer rejects a non-protobuf gRPC subtype and a missing te: trailers", async () => {
  const json = await rawExchange(server, {
    path: SAY,
    headers: [{ name: "content-type", value: "application/grpc+json" }, {
      name: "te",
      value: "trailers",
    }],
  });
  assert.equal(json.status, 200);
  assert.equal(get(json.headers, "grpc-status"), String(Code.INTERNAL));
  const noTe = await rawExchange(server, {
    path: SAY,
    headers: [{ name: "content-type", value: "application/grpc+proto" }],
    body: [msgEnvelope({ text: "x" })],
  });
  assert.equal(get(noTe.headers, "grpc-status"), String(Code.INTERNAL));
  const lenient = makeServer([echo], { requireTeTrailers: false });
  const ok = await rawExchange(lenient, {
    path: SAY,
    headers: [{ name: "content-type", value: "application/grpc; charset=x" }],
    body: [msgEnvelope({ text: "x" })],
  });
  assert.equal(get(ok.trailers, "grpc-status"), "0");
});

Deno.test("makeServer answers unknown methods and services with Trailers-Only UNIMPLEMENTED", async () => {
  for (const path of ["/test.echo.Echo/Nope", "/test.other.Svc/Say", "/", "garbage"]) {
    const res = await rawExchange(server, { path, body: [msgEnvelope({})] });
    assert.equal(res.status, 200);
    assert.equal(res.headersOnly, true, path);
    assert.equal(get(res.headers, "content-type"), "application/grpc");
    assert.equal(get(res.headers, "grpc-status"), String(Code.UNIMPLEMENTED), path);
  }
});

Deno.test("makeServer answers an unsupported grpc-encoding with UNIMPLEMENTED and its accept list", async () => {
  const res = await rawExchange(server, {
    path: SAY,
    headers: grpcHeaders([{ name: "grpc-encoding", value: "snappy" }]),
    body: [msgEnvelope({})],
  });
  assert.equal(get(res.headers, "grpc-status"), String(Code.UNIMPLEMENTED));
  assert.equal(get(res.headers, "grpc-accept-encoding"), "identity,gzip,deflate");
});

Deno.test("makeServer rejects a malformed grpc-timeout", async () => {
  const res = await rawExchange(server, {
    path: SAY,
    headers: grpcHeaders([{ name: "grpc-timeout", value: "123456789S" }]),
    body: [msgEnvelope({})],
  });
  assert.equal(get(res.headers, "grpc-status"), String(Code.INTERNAL));
});

Deno.test("makeServer answers malformed messages with INTERNAL and keeps serving", async () => {
  const bad = [
    new Uint8Array([0, 0, 0, 0, 3, 0xff, 0xff, 0xff]), // invalid protobuf
    new Uint8Array([1, 0, 0, 0, 1, 0]), // compressed flag without grpc-encoding
    new Uint8Array([0, 0, 0, 0, 9, 1]), // truncated
    new Uint8Array([0x80, 0, 0, 0, 0]), // undefined flag bit
  ];
  for (const body of bad) {
    const res = await rawExchange(server, { path: SAY, body: [body] });
    assert.equal(get(res.headers, "grpc-status"), String(Code.INTERNAL), String(body));
  }
  const zero = await rawExchange(server, { path: SAY, body: [] });
  assert.equal(get(zero.headers, "grpc-status"), String(Code.INTERNAL));
  const two = await rawExchange(server, { path: SAY, body: [msgEnvelope({}), msgEnvelope({})] });
  assert.equal(get(two.headers, "grpc-status"), String(Code.INTERNAL));
  const ok = await rawExchange(server, { path: SAY, body: [msgEnvelope({ text: "fine" })] });
  assert.equal(get(ok.trailers, "grpc-status"), "0");
});

Deno.test("makeServer enforces the receive and send limits with RESOURCE_EXHAUSTED", async () => {
  const small = makeServer([echo], { maxReceiveMessageBytes: 10 });
  const res = await rawExchange(small, {
    path: SAY,
    body: [msgEnvelope({ text: "x".repeat(20) })],
  });
  assert.equal(get(res.headers, "grpc-status"), String(Code.RESOURCE_EXHAUSTED));
  const noSend = makeServer([echo], { maxSendMessageBytes: 5 });
  const res2 = await rawExchange(noSend, {
    path: SAY,
    body: [msgEnvelope({ text: "x".repeat(20) })],
  });
  assert.equal(get(res2.headers, "grpc-status"), String(Code.RESOURCE_EXHAUSTED));
  // A compressed bomb is stopped by the same limit after decompression.
  const gz = makeServer([echo], { maxReceiveMessageBytes: 1000 });
  const bomb = Echo.methods.Say.input.serialize({ text: "a".repeat(100_000) });
  const res3 = await rawExchange(gz, {
    path: SAY,
    headers: grpcHeaders([{ name: "grpc-encoding", value: "gzip" }]),
    body: [new Uint8Array([1, ...sizePrefix(gzip.compress(bomb))])],
  });
  assert.equal(get(res3.headers, "grpc-status"), String(Code.RESOURCE_EXHAUSTED));
});

function sizePrefix(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + data.length);
  new DataView(out.buffer).setUint32(0, data.length);
  out.set(data, 4);
  return out;
}

Deno.test("makeServer turns a handler defect into INTERNAL for that call only", async () => {
  const s = makeServer([implement(Echo, {
    Say: (m) => m.text === "die" ? Effect.die(new Error("secret detail")) : Effect.succeed(m),
    Count: () => Stream.make({ n: 1 }).pipe(Stream.concat(Stream.die("boom"))),
  })]);
  const res = await rawExchange(s, { path: SAY, body: [msgEnvelope({ text: "die" })] });
  assert.equal(get(res.headers, "grpc-status"), String(Code.INTERNAL));
  assert.equal(get(res.headers, "grpc-message"), "Internal server error");
  const streamed = await rawExchange(s, { path: "/test.echo.Echo/Count", body: [msgEnvelope({})] });
  assert.equal(get(streamed.trailers, "grpc-status"), String(Code.INTERNAL));
  assert.ok(streamed.body.length > 0); // the first message went out before the defect
  const ok = await rawExchange(s, { path: SAY, body: [msgEnvelope({ text: "live" })] });
  assert.equal(get(ok.trailers, "grpc-status"), "0");
});

Deno.test("makeServer maps plain failures to UNKNOWN and sends status details", async () => {
  const details = [{ typeUrl: "type.googleapis.com/x.Y", value: new Uint8Array([8, 1]) }];
  const s = makeServer([implement(Echo, {
    Say: (m) =>
      m.text === "plain" ? Effect.fail(new Error("plain failure")) : Effect.fail(
        new RpcError({ code: Code.FAILED_PRECONDITION, message: "rich 100%", details }),
      ),
  })]);
  const plain = await rawExchange(s, { path: SAY, body: [msgEnvelope({ text: "plain" })] });
  assert.equal(get(plain.headers, "grpc-status"), String(Code.UNKNOWN));
  assert.equal(get(plain.headers, "grpc-message"), "plain failure");
  const rich = await rawExchange(s, { path: SAY, body: [msgEnvelope({ text: "rich" })] });
  assert.equal(get(rich.headers, "grpc-message"), "rich 100%25");
  const status = decodeStatusDetails(decodeBase64(get(rich.headers, "grpc-status-details-bin")!)!);
  assert.equal(status?.code, Code.FAILED_PRECONDITION);
  assert.deepEqual(status?.details, details);
  // And the client surfaces them.
  const client = makeClient(Echo, makeInMemoryTransport(s));
  const err = await Effect.runPromise(Effect.flip(client.Say({ text: "rich" })));
  assert.equal(err.code, Code.FAILED_PRECONDITION);
  assert.equal(err.message, "rich 100%");
  assert.deepEqual(err.details, details);
});

Deno.test("makeServer sends response headers before the first message and trailers after", async () => {
  const s = makeServer([implement(Echo, {
    Say: (m, ctx) => {
      ctx.responseHeaders.set("x-head", "h");
      ctx.responseTrailers.set("x-tail-bin", new Uint8Array([1, 2]));
      return Effect.succeed(m);
    },
    Count: (_m, ctx) => {
      ctx.responseTrailers.set("x-tail", "t");
      return Stream.fail(new RpcError({ code: Code.ABORTED, message: "nope" }));
    },
  })]);
  const res = await rawExchange(s, { path: SAY, body: [msgEnvelope({ text: "a" })] });
  assert.equal(get(res.headers, "x-head"), "h");
  assert.equal(get(res.headers, "grpc-status"), undefined);
  assert.equal(get(res.trailers, "grpc-status"), "0");
  assert.equal(get(res.trailers, "x-tail-bin"), "AQI");
  // An error before any message is a Trailers-Only response carrying the trailing metadata.
  const only = await rawExchange(s, { path: "/test.echo.Echo/Count", body: [msgEnvelope({})] });
  assert.equal(only.headersOnly, true);
  assert.equal(get(only.headers, "grpc-status"), String(Code.ABORTED));
  assert.equal(get(only.headers, "x-tail"), "t");
});

Deno.test("makeServer applies grpc-timeout as a deadline and interrupts the handler", async () => {
  let interrupted = false;
  let seen: number | undefined;
  const s = makeServer([implement(Echo, {
    Say: (_m, ctx) =>
      Effect.gen(function* () {
        seen = yield* CurrentDeadline;
        assert.equal(seen, ctx.deadline);
        return yield* Effect.never;
      }).pipe(Effect.onInterrupt(() => Effect.sync(() => (interrupted = true)))),
  })]);
  const res = await rawExchange(s, {
    path: SAY,
    headers: grpcHeaders([{ name: "grpc-timeout", value: "20m" }]),
    body: [msgEnvelope({})],
  });
  assert.equal(get(res.headers, "grpc-status"), String(Code.DEADLINE_EXCEEDED));
  assert.ok(interrupted);
  assert.ok(typeof seen === "number");
});

Deno.test("makeServer propagates the deadline to outgoing calls made by a handler", async () => {
  let forwarded: string | undefined;
  const backend = makeServer([implement(Echo, {
    Say: (m, ctx) => {
      forwarded = ctx.requestMetadata.get("x-probe") as string;
      return Effect.succeed(m);
    },
  })], { interceptors: [] });
  const timeouts: string[] = [];
  const spy = makeInMemoryTransport((req) => {
    const t = get(req.headers, "grpc-timeout");
    if (t) timeouts.push(t);
    return backend(req);
  });
  const backendClient = makeClient(Echo, spy);
  const front = makeServer([implement(Echo, {
    Say: (m) => backendClient.Say(m, { timeoutMs: 60_000 }),
  })]);
  const client = makeClient(Echo, makeInMemoryTransport(front));
  await Effect.runPromise(client.Say({ text: "x" }, { timeoutMs: 5_000 }));
  assert.equal(timeouts.length, 1);
  const ms = parseTimeout(timeouts[0])!;
  assert.ok(ms <= 5_000 && ms > 4_000, `forwarded timeout ${timeouts[0]}`);
  assert.equal(forwarded, undefined);
});

Deno.test("makeServer interrupts the handler and aborts its signal when the client cancels", async () => {
  const started = Effect.runSync(Deferred.make<void>());
  let interrupted = false;
  let signal: AbortSignal | undefined;
  const s = makeServer([implement(Echo, {
    Chat: (_ms, ctx) => {
      signal = ctx.signal;
      return Stream.fromEffect(Deferred.succeed(started, undefined)).pipe(
        Stream.flatMap(() => Stream.never),
        Stream.onExit(() => Effect.sync(() => (interrupted = true))),
      );
    },
  })]);
  const client = makeClient(Echo, makeInMemoryTransport(s));
  await Effect.runPromise(Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(Stream.runDrain(client.Chat(Stream.never)));
    yield* Deferred.await(started);
    yield* Fiber.interrupt(fiber);
  }));
  assert.ok(interrupted);
  assert.equal(signal?.aborted, true);
});

Deno.test("makeServer runs interceptors outermost first and lets them reject calls", async () => {
  const log: string[] = [];
  const trace = (name: string): ServerInterceptor => (ctx, next) =>
    Effect.sync(() => log.push(`${name}>${ctx.method.name}`)).pipe(
      Effect.andThen(next),
      Effect.tapError((e) => Effect.sync(() => log.push(`${name}!${e.code}`))),
      Effect.tap(() => Effect.sync(() => log.push(`${name}<`))),
    );
  const auth: ServerInterceptor = (ctx, next) =>
    ctx.requestMetadata.get("authorization") === "Bearer ok"
      ? next
      : Effect.fail(new RpcError({ code: Code.UNAUTHENTICATED, message: "No token" }));
  const s = makeServer([echo], { interceptors: [trace("a"), trace("b"), auth] });
  const client = makeClient(Echo, makeInMemoryTransport(s));
  const { Metadata } = await import("../../rpc/metadata.ts");
  const ok = await Effect.runPromise(
    client.Say({ text: "hi" }, { metadata: new Metadata({ authorization: "Bearer ok" }) }),
  );
  assert.equal(ok.text, "hi");
  assert.deepEqual(log, ["a>Say", "b>Say", "b<", "a<"]);
  log.length = 0;
  const err = await Effect.runPromise(Effect.flip(client.Say({ text: "hi" })));
  assert.equal(err.code, Code.UNAUTHENTICATED);
  assert.deepEqual(log, ["a>Say", "b>Say", "b!16", "a!16"]);
});

Deno.test("makeServer compresses responses with the best encoding the client accepts", async () => {
  const fakeBr = {
    name: "br",
    compress: (d: Uint8Array) => d.slice().reverse(),
    decompress: (d: Uint8Array) => d.slice().reverse(),
  };
  const s = makeServer([echo], {
    compressions: new CompressionRegistry([fakeBr, gzip]),
    sendCompression: ["br", "gzip"],
  });
  const text = "z".repeat(200);
  // A client that knows br gets br; one that only knows gzip falls back to gzip.
  for (
    const [accept, want] of [["identity,br,gzip", "br"], ["identity,gzip", "gzip"], [
      "identity",
      undefined,
    ]] as const
  ) {
    const res = await rawExchange(s, {
      path: SAY,
      headers: grpcHeaders([{ name: "grpc-accept-encoding", value: accept }]),
      body: [msgEnvelope({ text })],
    });
    assert.equal(get(res.headers, "grpc-encoding"), want, accept);
    assert.equal(res.body[0], want === undefined ? 0 : 1, accept);
  }
  // End to end through the client, which accepts gzip by default.
  const client = makeClient(Echo, makeInMemoryTransport(s));
  const back = await Effect.runPromise(client.Say({ text }));
  assert.equal(back.text, text);
});

Deno.test("makeServer serves all four kinds to the typed client", async () => {
  const client = makeClient(Echo, makeInMemoryTransport(server));
  const results = await Effect.runPromise(Effect.all([
    client.Say({ text: "one" }),
    Stream.runCollect(client.Count({ n: 3 })),
    client.Sum(Stream.make<Msg[]>({ n: 1 }, { n: "9007199254740993" })),
    Stream.runCollect(client.Chat(Stream.make({ text: "a" }, { text: "b" }))),
  ]));
  assert.equal(results[0].text, "one");
  assert.deepEqual(Array.from(results[1], (m) => m.n), ["1", "2", "3"]);
  assert.equal(results[2].n, "9007199254740994");
  assert.deepEqual(Array.from(results[3], (m) => m.text), ["a", "b"]);
});

Deno.test("makeServer interrupts a unary handler when the client cancels", async () => {
  const started = Effect.runSync(Deferred.make<void>());
  let interrupted = false;
  let signal: AbortSignal | undefined;
  const s = makeServer([implement(Echo, {
    Say: (_m, ctx) => {
      signal = ctx.signal;
      return Deferred.succeed(started, undefined).pipe(
        Effect.andThen(Effect.never),
        Effect.onInterrupt(() => Effect.sync(() => (interrupted = true))),
      );
    },
  })]);
  const client = makeClient(Echo, makeInMemoryTransport(s));
  await Effect.runPromise(Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(client.Say({}));
    yield* Deferred.await(started);
    yield* Fiber.interrupt(fiber);
  }));
  assert.ok(interrupted);
  assert.equal(signal?.aborted, true);
});

Deno.test("makeServer treats the largest grpc-timeout as a far deadline, not an expired one", async () => {
  const res = await rawExchange(server, {
    path: SAY,
    headers: grpcHeaders([{ name: "grpc-timeout", value: "99999999H" }]),
    body: [msgEnvelope({ text: "far" })],
  });
  assert.equal(get(res.trailers, "grpc-status"), "0");
  const zero = await rawExchange(server, {
    path: SAY,
    headers: grpcHeaders([{ name: "grpc-timeout", value: "0n" }]),
    body: [msgEnvelope({ text: "late" })],
  });
  assert.equal(get(zero.headers, "grpc-status"), String(Code.DEADLINE_EXCEEDED));
});
