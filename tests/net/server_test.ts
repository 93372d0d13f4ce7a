import assert from "node:assert/strict";
import { Cause, Deferred, Effect, Exit, Fiber, Stream } from "effect";
import { ErrorCode, H2Connection } from "../../core/mod.ts";
import { connect } from "../../net/client.ts";
import type { ServerResponse } from "../../net/server.ts";
import { withServer } from "./_helpers.ts";

const CHUNK = 64 * 1024;

function runScoped<A, E>(effect: Effect.Effect<A, E, import("effect").Scope.Scope>): Promise<A> {
  return Effect.runPromise(Effect.scoped(effect));
}

Deno.test("serve delivers a response to a request it stopped reading, then resets with NO_ERROR", async () => {
  // The handler reads one chunk, gives up on the body, and answers only after the client has
  // pushed three stream windows more: that upload can only progress if the discarded DATA is
  // still credited back, and the answer must arrive although the body was never finished.
  const uploaded = Deferred.makeUnsafe<void>();
  const errors: string[] = [];
  const chunks = Array.from({ length: 48 }, () => new Uint8Array(CHUNK));
  await withServer({
    onError: (m) => errors.push(m),
    connection: { initialWindowSize: 1024 * 1024, connectionWindowSize: 1024 * 1024 },
    handler: (req) =>
      Effect.gen(function* () {
        const first = yield* req.body.pipe(Stream.take(1), Stream.runCollect);
        yield* Deferred.await(uploaded);
        return {
          status: 200,
          body: `read ${Array.from(first)[0].length}`,
          trailers: { "grpc-status": "3" },
        } satisfies ServerResponse;
      }),
  }, async (server) => {
    const out = await runScoped(
      Effect.gen(function* () {
        const client = yield* connect(server.url);
        const body = Stream.concat(
          Stream.fromIterable(chunks),
          Stream.fromEffect(Deferred.succeed(uploaded, undefined)).pipe(
            Stream.flatMap(() => Stream.never),
          ),
        );
        const res = yield* client.request({ method: "POST", path: "/early", body });
        const text = yield* res.text;
        const trailers = yield* res.trailers;
        return { status: res.status, text, trailers };
      }).pipe(Effect.timeout("10 seconds")),
    );
    assert.equal(out.status, 200);
    assert.ok(/^read \d+$/.test(out.text), out.text);
    assert.deepEqual(out.trailers, [{ name: "grpc-status", value: "3" }]);
  });
  assert.deepEqual(errors, []);
});

Deno.test("serve resets an unread upload with NO_ERROR, not CANCEL, after the full response", async () => {
  const pumpEnded = Deferred.makeUnsafe<string>();
  await withServer({
    handler: () => Effect.succeed<ServerResponse>({ body: new Uint8Array(200_000).fill(7) }),
  }, async (server) => {
    const got = await runScoped(
      Effect.gen(function* () {
        const client = yield* connect(server.url, {
          // A small client window: the response waits for WINDOW_UPDATEs, and an early reset
          // would drop its queued DATA.
          connection: { initialWindowSize: 16_384, connectionWindowSize: 65_535 },
        });
        const body = Stream.fromEffectRepeat(Effect.succeed(new Uint8Array(1024))).pipe(
          Stream.onExit((exit) =>
            Deferred.succeed(
              pumpEnded,
              Exit.isSuccess(exit) ? "success" : (() => {
                const e = Cause.squash(exit.cause) as { _tag?: string; code?: number };
                return `${e._tag}:${e.code}`;
              })(),
            )
          ),
        );
        const res = yield* client.request({ method: "POST", body });
        const bytes = yield* res.bytes;
        return [bytes.length, bytes[199_999], yield* Deferred.await(pumpEnded)] as const;
      }).pipe(Effect.timeout("10 seconds")),
    );
    assert.deepEqual(got, [200_000, 7, "StreamReset:0"]);
  });
});

Deno.test("serve closes the stream before a handler reacts to a client reset (no spurious failure)", async () => {
  const errors: string[] = [];
  const started = Deferred.makeUnsafe<void>();
  const reacted = Deferred.makeUnsafe<string>();
  await withServer({
    onError: (m) => errors.push(m),
    handler: (req) =>
      Effect.gen(function* () {
        yield* Deferred.succeed(started, undefined);
        const exit = yield* Effect.exit(Stream.runDrain(req.body));
        // Reacting to the reset by answering: the server must drop the answer silently.
        yield* Deferred.succeed(reacted, Exit.isSuccess(exit) ? "ended" : "failed");
        return { status: 499, body: "client went away" } satisfies ServerResponse;
      }),
  }, async (server) => {
    const reaction = await runScoped(
      Effect.gen(function* () {
        const client = yield* connect(server.url);
        const fiber = yield* Effect.forkChild(
          client.request({ method: "POST", body: Stream.never }),
        );
        yield* Deferred.await(started);
        yield* Fiber.interrupt(fiber);
        const reaction = yield* Deferred.await(reacted);
        // The connection still serves.
        const res = yield* client.request({ method: "POST", body: "x" });
        yield* res.bytes;
        return reaction;
      }).pipe(Effect.timeout("5 seconds")),
    );
    assert.equal(reaction, "failed");
  });
  assert.deepEqual(errors, []);
});

Deno.test("ServerRequest signal aborts with ConnectionLost when the connection drops", async () => {
  const started = Deferred.makeUnsafe<void>();
  const aborted = Deferred.makeUnsafe<string>();
  let signal: AbortSignal | undefined;
  await withServer({
    handler: (req) =>
      Effect.gen(function* () {
        signal = req.signal;
        signal.addEventListener("abort", () => {
          Deferred.doneUnsafe(
            aborted,
            Exit.succeed((signal!.reason as { _tag?: string })._tag ?? "?"),
          );
        });
        yield* Deferred.succeed(started, undefined);
        return yield* Effect.never;
      }),
  }, async (server) => {
    const client = await runScoped(
      Effect.gen(function* () {
        const client = yield* connect(server.url);
        yield* Effect.forkDetach(client.request({ method: "POST", body: Stream.never }));
        yield* Deferred.await(started);
        assert.equal(signal?.aborted, false);
        return client;
        // Leaving the scope closes the client's connection under the open stream.
      }),
    );
    assert.ok(client);
    const reason = await Effect.runPromise(
      Deferred.await(aborted).pipe(Effect.timeout("5 seconds")),
    );
    assert.equal(reason, "ConnectionLost");
    assert.equal(signal?.aborted, true);
  });
});

Deno.test("ServerRequest bodyIfComplete hands over a body that came with its headers", async () => {
  const seen: Array<string | undefined> = [];
  const text = new TextDecoder();
  await withServer({
    handler: (req) =>
      Effect.gen(function* () {
        const whole = req.bodyIfComplete?.();
        seen.push(whole === undefined ? undefined : text.decode(whole));
        // Still open (a streamed upload): the body is untouched and read as usual.
        const rest = whole ?? (yield* req.bytes);
        return { status: 200, body: `got ${text.decode(rest)}` } satisfies ServerResponse;
      }),
  }, async (server) => {
    const answers = await runScoped(Effect.gen(function* () {
      const client = yield* connect(server.url);
      const small = yield* client.request({ method: "POST", path: "/", body: "small body" });
      const a = text.decode(yield* small.bytes);
      const gate = Deferred.makeUnsafe<void>();
      const streamed = yield* client.request({
        method: "POST",
        path: "/",
        body: Stream.concat(
          Stream.make(new TextEncoder().encode("part 1, ")),
          Stream.fromEffect(Deferred.await(gate)).pipe(
            Stream.map(() => new TextEncoder().encode("part 2")),
          ),
        ),
      }).pipe(Effect.forkChild);
      // The handler runs before the second part is sent.
      yield* Effect.sleep(20);
      yield* Deferred.succeed(gate, undefined);
      const res = yield* Fiber.join(streamed);
      return [a, text.decode(yield* res.bytes)];
    }));
    assert.deepEqual(answers, ["got small body", "got part 1, part 2"]);
  });
  assert.deepEqual(seen, ["small body", undefined]);
});

Deno.test("serve stops a handler whose stream was reset in the batch that opened it", async () => {
  // HEADERS and RST_STREAM in one write: the handler starts after the batch, on a closed
  // stream, and must be interrupted rather than left waiting.
  const interrupted = Deferred.makeUnsafe<void>();
  await withServer({
    handler: () =>
      Effect.never.pipe(Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))),
  }, async (server) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    try {
      const h2 = new H2Connection({ role: "client" });
      h2.initiateConnection();
      const id = h2.getNextAvailableStreamId();
      h2.sendHeaders(id, [
        { name: ":method", value: "GET" },
        { name: ":scheme", value: "http" },
        { name: ":authority", value: "x" },
        { name: ":path", value: "/" },
      ], { endStream: true });
      h2.resetStream(id, ErrorCode.CANCEL);
      await conn.write(h2.dataToSend());
      await Effect.runPromise(Deferred.await(interrupted).pipe(Effect.timeout(3_000)));
    } finally {
      conn.close();
    }
  });
  assert.ok(Deferred.isDoneUnsafe(interrupted));
});

Deno.test("serve sends shared frozen headers and trailers as given, content-length only without trailers", async () => {
  const headers = Object.freeze([
    Object.freeze({ name: "Content-Type", value: "application/grpc" }),
    Object.freeze({ name: "x-shared", value: "1" }),
  ]);
  const tuples = Object.freeze([
    Object.freeze(["content-type", "application/grpc"] as const),
    Object.freeze(["X-Shared", "1"] as const),
  ]);
  const trailers = Object.freeze([Object.freeze({ name: "grpc-status", value: "0" })]);
  const plain = Object.freeze({ "content-type": "text/plain" });
  await withServer({
    handler: (req) =>
      Effect.succeed<ServerResponse>(
        req.path === "/plain"
          ? { headers: plain, body: "hello" }
          : req.path === "/created"
          ? { status: 201, headers: tuples, body: "x", trailers }
          : { headers, body: new Uint8Array([0, 0, 0, 0, 0]), trailers },
      ),
  }, async (server) => {
    const answers = await runScoped(Effect.gen(function* () {
      const client = yield* connect(server.url);
      const out = [];
      for (const path of ["/grpc", "/grpc", "/plain", "/plain", "/created", "/grpc"]) {
        const res = yield* client.request({ method: "POST", path, body: "" });
        const body = yield* res.bytes;
        out.push({
          path,
          status: res.status,
          headers: res.headers.map((h) => `${h.name}: ${h.value}`),
          length: body.length,
          trailers: yield* res.trailers,
        });
      }
      return out;
    }));
    for (const a of answers) {
      if (a.path === "/plain") {
        assert.deepEqual(a.headers, ["content-type: text/plain", "content-length: 5"]);
        assert.equal(a.length, 5);
        assert.deepEqual(a.trailers, []);
      } else {
        // Trailers follow: no content-length (RFC 9113 §8.1.1 makes it optional).
        assert.deepEqual(a.headers, ["content-type: application/grpc", "x-shared: 1"]);
        assert.equal(a.status, a.path === "/created" ? 201 : 200);
        assert.deepEqual(a.trailers, [{ name: "grpc-status", value: "0" }]);
      }
    }
  });
  // The application's lists are left as they were.
  assert.equal(headers[0].name, "Content-Type");
  assert.equal(tuples[1][0], "X-Shared");
  assert.equal(headers.length, 2);
  assert.deepEqual(Object.keys(plain), ["content-type"]);
});
