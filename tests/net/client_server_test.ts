import assert from "node:assert/strict";
import { Cause, Deferred, Effect, Exit, Fiber, Stream } from "effect";
import { connect } from "../../net/client.ts";
import type { ServerResponse } from "../../net/server.ts";
import { CA, CERT, KEY, startServer, withServer } from "./_helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function describeExit(exit: Exit.Exit<unknown, unknown>): string {
  if (Exit.isSuccess(exit)) return "success";
  if (Cause.hasInterruptsOnly(exit.cause)) return "interrupted";
  const e = Cause.squash(exit.cause) as { _tag?: string; code?: number; initiator?: string };
  return `${e._tag}:${e.code}:${e.initiator}`;
}

function runScoped<A, E>(effect: Effect.Effect<A, E, import("effect").Scope.Scope>): Promise<A> {
  return Effect.runPromise(Effect.scoped(effect));
}

Deno.test("serve answers a client over TLS with ALPN h2 and over h2c", async () => {
  for (const tls of [undefined, { cert: CERT, key: KEY }]) {
    await withServer({
      tls,
      handler: (req) =>
        Effect.succeed({ body: `${req.method} ${req.scheme} ${req.path} ${req.header("x-a")}` }),
    }, async (server) => {
      const url = tls ? `https://localhost:${server.port}` : server.url;
      const text = await runScoped(Effect.gen(function* () {
        const client = yield* connect(url, { caCerts: [CA] });
        const res = yield* client.request({ path: "/p?q=1", headers: { "X-A": "b" } });
        assert.equal(res.status, 200);
        const text = yield* res.text;
        assert.equal(res.header("content-length"), String(text.length));
        return text;
      }));
      assert.equal(text, `GET ${tls ? "https" : "http"} /p?q=1 b`);
    });
  }
});

Deno.test("serve streams a request body back (echo) with trailers both ways", async () => {
  await withServer({
    handler: (req) =>
      Effect.succeed<ServerResponse>({
        body: req.body,
        trailers: Effect.map(req.trailers, (t) => ({ "x-got": t.map((f) => f.value).join(",") })),
      }),
  }, async (server) => {
    const chunks = Array.from({ length: 50 }, (_, i) => new Uint8Array(10_000).fill(i));
    const result = await runScoped(Effect.gen(function* () {
      const client = yield* connect(server.url);
      const res = yield* client.request({
        method: "POST",
        path: "/echo",
        body: Stream.fromIterable(chunks),
        trailers: { "x-sum": "42" },
      });
      const bytes = yield* res.bytes;
      const trailers = yield* res.trailers;
      return { bytes, trailers };
    }));
    assert.equal(result.bytes.length, 500_000);
    for (let i = 0; i < 50; i++) assert.equal(result.bytes[i * 10_000], i);
    assert.deepEqual(result.trailers, [{ name: "x-got", value: "42" }]);
  });
});

Deno.test("serve pushes a resource and sends 103 Early Hints to a client that enables push", async () => {
  await withServer({
    handler: (req) =>
      Effect.gen(function* () {
        yield* req.informational(103, { link: "</style.css>; rel=preload" });
        const pushed = yield* req.push({ path: "/style.css", response: { body: "css!" } });
        return { body: pushed ? "pushed" : "not pushed" };
      }),
  }, async (server) => {
    const withPush = await runScoped(Effect.gen(function* () {
      const client = yield* connect(server.url, { enablePush: true });
      const res = yield* client.request({ path: "/" });
      const body = yield* res.text;
      const pushes = Array.from(yield* Stream.runCollect(res.pushes));
      const pushedBodies = yield* Effect.forEach(
        pushes,
        (p) => Effect.flatMap(p.response, (r) => Effect.map(r.text, (t) => `${p.path}=${t}`)),
      );
      return { body, pushedBodies, hints: res.informational.map((h) => h[0].value) };
    }));
    assert.deepEqual(withPush, {
      body: "pushed",
      pushedBodies: ["/style.css=css!"],
      hints: ["103"],
    });
    const withoutPush = await runScoped(Effect.gen(function* () {
      const client = yield* connect(server.url);
      const res = yield* client.request({ path: "/" });
      return [yield* res.text, Array.from(yield* Stream.runCollect(res.pushes)).length];
    }));
    assert.deepEqual(withoutPush, ["not pushed", 0]);
  });
});

Deno.test("serve turns a handler failure into 500 and a mid-body failure into RST_STREAM(INTERNAL_ERROR)", async () => {
  const errors: string[] = [];
  await withServer({
    onError: (m) => errors.push(m),
    handler: (req) =>
      req.path === "/fail"
        ? Effect.fail("boom")
        : req.path === "/die"
        ? Effect.die(new Error("defect"))
        : Effect.succeed<ServerResponse>({
          body: Stream.concat(Stream.make(enc.encode("partial")), Stream.fail("body broke")),
        }),
  }, async (server) => {
    const out = await runScoped(Effect.gen(function* () {
      const client = yield* connect(server.url);
      const a = yield* client.request({ path: "/fail" });
      const b = yield* client.request({ path: "/die" });
      const c = yield* client.request({ path: "/mid" });
      const cBody = yield* Effect.exit(c.bytes);
      // The connection survives: another request works.
      const d = yield* client.request({ path: "/fail" });
      return { a: a.status, b: b.status, c: c.status, cBody, d: d.status };
    }));
    assert.equal(out.a, 500);
    assert.equal(out.b, 500);
    assert.equal(out.c, 200);
    assert.equal(out.d, 500);
    assert.ok(Exit.isFailure(out.cBody));
    const err = Cause.squash(out.cBody.cause) as { _tag: string; code: number; initiator: string };
    assert.equal(err._tag, "StreamReset");
    assert.equal(err.code, 0x2);
    assert.equal(err.initiator, "remote");
    assert.ok(errors.length >= 2);
  });
});

Deno.test("serve interrupts the handler and fails its body when the client resets", async () => {
  const handlerStarted = Deferred.makeUnsafe<void>();
  const handlerInterrupted = Deferred.makeUnsafe<void>();
  const bodyError = Deferred.makeUnsafe<string>();
  let signal: AbortSignal | undefined;
  await withServer({
    handler: (req) =>
      Effect.gen(function* () {
        signal = req.signal;
        yield* Deferred.succeed(handlerStarted, undefined);
        const exit = yield* Effect.exit(Stream.runDrain(req.body));
        if (Exit.isFailure(exit)) {
          const e = Cause.squash(exit.cause) as { _tag?: string; code?: number };
          yield* Deferred.succeed(bodyError, `${e._tag}:${e.code}`);
        }
        return yield* Effect.never;
      }).pipe(Effect.onInterrupt(() => Deferred.succeed(handlerInterrupted, undefined))),
  }, async (server) => {
    await runScoped(
      Effect.gen(function* () {
        const client = yield* connect(server.url);
        const fiber = yield* Effect.forkChild(
          client.request({ method: "POST", body: Stream.never }),
        );
        yield* Deferred.await(handlerStarted);
        yield* Fiber.interrupt(fiber);
        assert.equal(yield* Deferred.await(bodyError), "StreamReset:8");
        yield* Deferred.await(handlerInterrupted);
        assert.equal(signal?.aborted, true);
        assert.equal((signal?.reason as { _tag?: string })._tag, "StreamReset");
      }).pipe(Effect.timeout("5 seconds")),
    );
  });
});

Deno.test("ClientResponse body consumer interruption resets the stream with CANCEL", async () => {
  const pumpEnded = Deferred.makeUnsafe<string>();
  await withServer({
    handler: () =>
      Effect.succeed<ServerResponse>({
        body: Stream.fromEffectRepeat(Effect.succeed(new Uint8Array(16_384))).pipe(
          Stream.onExit((exit) => Deferred.succeed(pumpEnded, describeExit(exit))),
        ),
      }),
  }, async (server) => {
    const got = await runScoped(
      Effect.gen(function* () {
        const client = yield* connect(server.url);
        const res = yield* client.request({ path: "/infinite" });
        const n = yield* res.body.pipe(Stream.take(3), Stream.runCount);
        return [n, yield* Deferred.await(pumpEnded)] as const;
      }).pipe(Effect.timeout("5 seconds")),
    );
    assert.equal(got[0], 3);
    // The server's body pump stopped because the client reset the stream with CANCEL (0x8).
    assert.equal(got[1], "StreamReset:8:remote");
  });
});

Deno.test("ClientResponse backpressure: a slow reader bounds what the server pulls", async () => {
  let produced = 0;
  const chunk = new Uint8Array(16_384);
  const window = 256 * 1024;
  await withServer({
    handler: () =>
      Effect.succeed<ServerResponse>({
        body: Stream.fromEffectRepeat(Effect.sync(() => {
          produced += chunk.length;
          return chunk;
        })).pipe(Stream.take(1024)), // 16 MiB
      }),
  }, async (server) => {
    const maxAhead = await runScoped(Effect.gen(function* () {
      const client = yield* connect(server.url, {
        connection: { initialWindowSize: window, connectionWindowSize: window },
      });
      const res = yield* client.request({ path: "/" });
      let consumed = 0;
      let ahead = 0;
      yield* res.body.pipe(Stream.runForEach((c) =>
        Effect.gen(function* () {
          consumed += c.length;
          ahead = Math.max(ahead, produced - consumed);
          if ((consumed & 0x3ffff) < c.length) yield* Effect.sleep("2 millis");
        })
      ));
      assert.equal(consumed, 16 * 1024 * 1024);
      return ahead;
    }));
    // Produced-but-unread data is bounded by the window plus the sender's small queue.
    assert.ok(maxAhead <= window + 256 * 1024, `server ran ${maxAhead} bytes ahead`);
  });
});

Deno.test("H2Client waits for a slot beyond the server's MAX_CONCURRENT_STREAMS", async () => {
  let live = 0;
  let peak = 0;
  await withServer({
    connection: { maxConcurrentStreams: 3 },
    handler: () =>
      Effect.gen(function* () {
        live++;
        peak = Math.max(peak, live);
        yield* Effect.sleep("5 millis");
        live--;
        return { body: "ok" };
      }),
  }, async (server) => {
    const texts = await runScoped(Effect.gen(function* () {
      const client = yield* connect(server.url);
      yield* client.ping; // the server's SETTINGS are in
      return yield* Effect.forEach(
        Array.from({ length: 30 }, (_, i) => i),
        () => Effect.flatMap(client.request({ path: "/" }), (r) => r.text),
        { concurrency: "unbounded" },
      );
    }));
    assert.equal(texts.length, 30);
    assert.ok(texts.every((t) => t === "ok"));
    // Every request succeeded (the server would refuse streams beyond 3) and the server never
    // saw more than its limit at once.
    assert.ok(peak >= 1 && peak <= 3, `peak ${peak}`);
  });
});

Deno.test("serve shutdown lets in-flight streams finish, and the client reconnects after GOAWAY", async () => {
  const release = Deferred.makeUnsafe<void>();
  const started = Deferred.makeUnsafe<void>();
  const running = await startServer({
    handler: (req) =>
      req.path === "/slow"
        ? Effect.gen(function* () {
          yield* Deferred.succeed(started, undefined);
          yield* Deferred.await(release);
          return { body: "finished" };
        })
        : Effect.succeed({ body: "fast" }),
  });
  try {
    const out = await runScoped(
      Effect.gen(function* () {
        const client = yield* connect(running.server.url);
        const slow = yield* Effect.forkChild(
          Effect.flatMap(client.request({ path: "/slow" }), (r) => r.text),
        );
        yield* Deferred.await(started);
        const closing = running.close();
        yield* Effect.sleep("50 millis"); // GOAWAY + PING round trip
        yield* Deferred.succeed(release, undefined);
        const text = yield* Fiber.join(slow);
        yield* Effect.promise(() => closing);
        // The listener is gone: a new request needs a new connection, which now fails.
        const after = yield* Effect.exit(client.request({ path: "/" }));
        return { text, after, opened: client.connectionsOpened };
      }).pipe(Effect.timeout("5 seconds")),
    );
    assert.equal(out.text, "finished");
    assert.ok(Exit.isFailure(out.after));
    assert.equal((Cause.squash(out.after.cause) as { _tag: string })._tag, "ConnectionLost");
  } finally {
    await running.close();
  }
});

Deno.test("serve answers many concurrent streams on one connection", async () => {
  await withServer({
    handler: (req) => Effect.succeed({ body: req.path }),
  }, async (server) => {
    const texts = await runScoped(Effect.gen(function* () {
      const client = yield* connect(server.url);
      return yield* Effect.forEach(
        Array.from({ length: 500 }, (_, i) => i),
        (i) => Effect.flatMap(client.request({ path: `/${i}` }), (r) => r.text),
        { concurrency: "unbounded" },
      );
    }));
    texts.forEach((t, i) => assert.equal(t, `/${i}`));
  });
});

Deno.test("ClientRequest body backpressure: an upload is pulled only as the server reads", async () => {
  let pulled = 0;
  const gate = Deferred.makeUnsafe<void>();
  await withServer({
    connection: { initialWindowSize: 65_535, connectionWindowSize: 65_535 },
    handler: (req) =>
      Effect.gen(function* () {
        yield* Deferred.await(gate);
        const n = yield* Stream.runFold(req.body, () => 0, (a, c) => a + c.length);
        return { body: String(n) };
      }),
  }, async (server) => {
    const text = await runScoped(
      Effect.gen(function* () {
        const client = yield* connect(server.url);
        const fiber = yield* Effect.forkChild(Effect.flatMap(
          client.request({
            method: "POST",
            body: Stream.fromEffectRepeat(Effect.sync(() => {
              pulled += 8192;
              return new Uint8Array(8192);
            })).pipe(Stream.take(256)), // 2 MiB
          }),
          (r) => r.text,
        ));
        yield* Effect.sleep("100 millis");
        // The server has not read anything: the client may only have pulled about one window.
        assert.ok(pulled <= 65_535 + 64 * 1024 + 8192, `client pulled ${pulled} bytes`);
        yield* Deferred.succeed(gate, undefined);
        return yield* Fiber.join(fiber);
      }).pipe(Effect.timeout("10 seconds")),
    );
    assert.equal(text, String(2 * 1024 * 1024));
  });
});

Deno.test("connect fails with a typed error when nothing listens", async () => {
  const exit = await Effect.runPromiseExit(Effect.scoped(connect("http://127.0.0.1:1")));
  assert.ok(Exit.isFailure(exit));
  const e = Cause.squash(exit.cause) as { _tag: string; initiator: string };
  assert.equal(e._tag, "ConnectionLost");
  assert.equal(e.initiator, "local");
  void dec;
});

Deno.test("serve shutdown closes streams that outlive the drain timeout", async () => {
  const started = Deferred.makeUnsafe<void>();
  const running = await startServer({
    drainTimeoutMs: 100,
    handler: () => Effect.andThen(Deferred.succeed(started, undefined), Effect.never),
  });
  try {
    const out = await runScoped(
      Effect.gen(function* () {
        const client = yield* connect(running.server.url);
        const pending = yield* Effect.forkChild(client.request({ path: "/forever" }));
        yield* Deferred.await(started);
        const t0 = Date.now();
        yield* Effect.promise(() => running.close());
        const closeMs = Date.now() - t0;
        return { exit: yield* Fiber.await(pending), closeMs };
      }).pipe(Effect.timeout("5 seconds")),
    );
    assert.ok(out.closeMs < 2000, `shutdown took ${out.closeMs} ms`);
    assert.ok(Exit.isFailure(out.exit));
    const e = Cause.squash(out.exit.cause) as { _tag: string };
    assert.ok(["ConnectionLost", "StreamReset", "GoAway"].includes(e._tag), e._tag);
  } finally {
    await running.close();
  }
});

Deno.test("H2Client rejects an invalid request header with a typed error and stays usable", async () => {
  await withServer({ handler: () => Effect.succeed({ body: "fine" }) }, async (server) => {
    const out = await runScoped(Effect.gen(function* () {
      const client = yield* connect(server.url);
      const bad = yield* Effect.exit(client.request({ headers: { connection: "keep-alive" } }));
      const good = yield* Effect.flatMap(client.request({}), (r) => r.text);
      return { bad, good };
    }));
    assert.ok(Exit.isFailure(out.bad));
    const e = Cause.squash(out.bad.cause) as { _tag: string; initiator: string };
    assert.equal(e._tag, "ProtocolError");
    assert.equal(e.initiator, "user");
    assert.equal(out.good, "fine");
  });
});

Deno.test("ClientResponse pushes that are ignored hold at most one stream window", async () => {
  let produced = 0;
  const window = 128 * 1024;
  const chunk = new Uint8Array(16_384);
  await withServer({
    handler: (req) =>
      Effect.gen(function* () {
        yield* req.push({
          path: "/huge",
          response: {
            body: Stream.fromEffectRepeat(Effect.sync(() => {
              produced += chunk.length;
              return chunk;
            })).pipe(Stream.take(512)), // 8 MiB, never read
          },
        });
        return { body: "parent" };
      }),
  }, async (server) => {
    const text = await runScoped(Effect.gen(function* () {
      const client = yield* connect(server.url, {
        enablePush: true,
        connection: { initialWindowSize: window },
      });
      const res = yield* client.request({});
      const body = yield* res.text;
      yield* Effect.sleep("100 millis"); // let the server push as much as it may
      return body;
    }));
    assert.equal(text, "parent");
    assert.ok(produced <= window + 64 * 1024 + chunk.length, `server produced ${produced} bytes`);
  });
});

Deno.test("ClientResponse cancel resets an unread response with CANCEL", async () => {
  const pumpEnded = Deferred.makeUnsafe<string>();
  await withServer({
    handler: () =>
      Effect.succeed<ServerResponse>({
        body: Stream.fromEffectRepeat(Effect.succeed(new Uint8Array(16_384))).pipe(
          Stream.onExit((exit) => Deferred.succeed(pumpEnded, describeExit(exit))),
        ),
      }),
  }, async (server) => {
    const got = await runScoped(
      Effect.gen(function* () {
        const client = yield* connect(server.url);
        const res = yield* client.request({});
        yield* res.cancel;
        return yield* Deferred.await(pumpEnded);
      }).pipe(Effect.timeout("5 seconds")),
    );
    assert.equal(got, "StreamReset:8:remote");
  });
});

Deno.test("connect with serverName dials the URL's host and checks the certificate against the name", async () => {
  await withServer({
    tls: { cert: CERT, key: KEY },
    handler: (req) => Effect.succeed({ body: req.authority }),
  }, async (server) => {
    const url = `https://127.0.0.1:${server.port}`;
    const authority = await runScoped(Effect.gen(function* () {
      const client = yield* connect(url, { caCerts: [CA], serverName: "foo.test.google.fr" });
      const res = yield* client.request({ path: "/" });
      return yield* res.text;
    }));
    // :authority still names the URL's host.
    assert.equal(authority, `127.0.0.1:${server.port}`);
    const refused = await runScoped(Effect.exit(Effect.gen(function* () {
      const client = yield* connect(url, { caCerts: [CA], serverName: "other.example" });
      return yield* client.request({ path: "/" });
    })));
    assert.ok(Exit.isFailure(refused));
    assert.equal((Cause.squash(refused.cause) as { _tag?: string })._tag, "ConnectionLost");
  });
});
