import assert from "node:assert/strict";
import { Cause, Effect, Exit, Fiber, type Scope, Stream } from "effect";
import { connect } from "../../net/client.ts";
import { CA, CERT_FILES, freePort, type Peer, spawnPeer } from "./_helpers.ts";

const NODE_PEER = new URL("./_node_h2_peer.mjs", import.meta.url).pathname;

function runScoped<A, E>(effect: Effect.Effect<A, E, Scope.Scope>): Promise<A> {
  return Effect.runPromise(Effect.scoped(effect).pipe(Effect.timeout("15 seconds")));
}

async function withPeer<A>(start: () => Promise<Peer>, fn: (peer: Peer) => Promise<A>) {
  const peer = await start();
  try {
    return await fn(peer);
  } finally {
    await peer.kill();
  }
}

async function docroot(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "h2kit-nghttpd-" });
  await Deno.writeTextFile(`${dir}/index.html`, "hello, world\n");
  await Deno.writeFile(`${dir}/big`, new Uint8Array(1 << 20).fill(0x78));
  return dir;
}

function nghttpd(dir: string, tls: boolean): () => Promise<Peer> {
  return () => {
    const port = freePort();
    const args = tls
      ? ["-a", "127.0.0.1", "-d", dir, String(port), CERT_FILES.key, CERT_FILES.cert]
      : ["--no-tls", "-a", "127.0.0.1", "-d", dir, String(port)];
    return spawnPeer("nghttpd", args, { port });
  };
}

function nodePeer(tls: boolean): () => Promise<Peer> {
  const args = tls ? [NODE_PEER, "--tls", CERT_FILES.cert, CERT_FILES.key] : [NODE_PEER];
  return () => spawnPeer("node", args, { ready: /LISTENING (\d+)/ });
}

for (const tls of [false, true]) {
  Deno.test(`H2Client fetches small, large and 200 concurrent responses from nghttpd (${tls ? "TLS" : "h2c"})`, async () => {
    const dir = await docroot();
    try {
      await withPeer(nghttpd(dir, tls), async (peer) => {
        const url = `${tls ? "https://localhost" : "http://127.0.0.1"}:${peer.port}`;
        const out = await runScoped(Effect.gen(function* () {
          const client = yield* connect(url, { caCerts: [CA] });
          const small = yield* Effect.flatMap(client.request({ path: "/" }), (r) => r.text);
          const big = yield* Effect.flatMap(client.request({ path: "/big" }), (r) => r.bytes);
          const many = yield* Effect.forEach(
            Array.from({ length: 200 }, () => 0),
            () => Effect.flatMap(client.request({ path: "/" }), (r) => r.text),
            { concurrency: "unbounded" },
          );
          const missing = yield* client.request({ path: "/nope" });
          return { small, big, many, missing: missing.status, opened: client.connectionsOpened };
        }));
        assert.equal(out.small, "hello, world\n");
        assert.equal(out.big.length, 1 << 20);
        assert.ok(out.big.every((b) => b === 0x78));
        assert.ok(out.many.every((t) => t === "hello, world\n"));
        assert.equal(out.missing, 404);
        assert.equal(out.opened, 1);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

for (const tls of [false, true]) {
  Deno.test(`H2Client gets trailers, pushes, large bodies and 1000 streams from node:http2 (${tls ? "TLS" : "h2c"})`, async () => {
    await withPeer(nodePeer(tls), async (peer) => {
      const url = `${tls ? "https://localhost" : "http://127.0.0.1"}:${peer.port}`;
      const out = await runScoped(Effect.gen(function* () {
        const client = yield* connect(url, { caCerts: [CA], enablePush: true });
        const t = yield* client.request({ path: "/trailers" });
        const tBody = yield* t.text;
        const trailers = yield* t.trailers;
        const p = yield* client.request({ path: "/push" });
        const pBody = yield* p.text;
        const pushes = Array.from(yield* Stream.runCollect(p.pushes));
        const pushed = yield* Effect.forEach(
          pushes,
          (x) => Effect.flatMap(x.response, (r) => Effect.map(r.text, (b) => `${x.path}=${b}`)),
        );
        const bigs = yield* Effect.forEach(
          [0, 1, 2, 3],
          () => Effect.flatMap(client.request({ path: "/big" }), (r) => r.bytes),
          { concurrency: "unbounded" },
        );
        const many = yield* Effect.forEach(
          Array.from({ length: 1000 }, () => 0),
          () => Effect.flatMap(client.request({ path: "/" }), (r) => r.text),
          { concurrency: "unbounded" },
        );
        return { tBody, trailers, pBody, pushed, bigs, many };
      }));
      assert.equal(out.tBody, "hello, world\nhello, world\n");
      assert.deepEqual(out.trailers, [
        { name: "x-checksum", value: "26" },
        { name: "x-status", value: "ok" },
      ]);
      assert.equal(out.pBody, "see /pushed.txt\n");
      assert.deepEqual(out.pushed, ["/pushed.txt=pushed resource\n"]);
      assert.ok(out.bigs.every((b) => b.length === 1 << 20));
      assert.equal(out.many.length, 1000);
      assert.ok(out.many.every((t) => t === "hello, world\n"));
    });
  });
}

Deno.test("H2Client opens a new connection after node:http2 sends GOAWAY", async () => {
  await withPeer(nodePeer(false), async (peer) => {
    const out = await runScoped(Effect.gen(function* () {
      const client = yield* connect(`http://127.0.0.1:${peer.port}`);
      const bye = yield* Effect.flatMap(client.request({ path: "/bye" }), (r) => r.text);
      yield* Effect.sleep("50 millis"); // the GOAWAY follows the response
      const next = yield* Effect.flatMap(client.request({ path: "/" }), (r) => r.text);
      return { bye, next, opened: client.connectionsOpened };
    }));
    assert.deepEqual(out, { bye: "bye", next: "hello, world\n", opened: 2 });
  });
});

Deno.test("H2Client fails requests above GOAWAY's last-stream-id with a retryable error", async () => {
  await withPeer(nodePeer(false), async (peer) => {
    const out = await runScoped(Effect.gen(function* () {
      const client = yield* connect(`http://127.0.0.1:${peer.port}`);
      const first = yield* Effect.forkChild(
        Effect.flatMap(client.request({ path: "/hold" }), (r) => r.text),
      );
      yield* client.ping;
      const second = yield* Effect.forkChild(
        Effect.flatMap(client.request({ path: "/hold" }), (r) => r.text),
      );
      yield* client.ping;
      yield* Effect.forkChild(client.request({ path: "/goaway" }));
      const a = yield* Fiber.await(first);
      const b = yield* Fiber.await(second);
      // A retry goes to a fresh connection.
      const retry = yield* Effect.flatMap(client.request({ path: "/" }), (r) => r.text);
      return { a, b, retry, opened: client.connectionsOpened };
    }));
    assert.ok(Exit.isSuccess(out.a));
    assert.equal(out.a.value, "held");
    assert.ok(Exit.isFailure(out.b));
    const err = Cause.squash(out.b.cause) as {
      _tag: string;
      retryable: boolean;
      initiator: string;
    };
    assert.equal(err._tag, "GoAway");
    assert.equal(err.retryable, true);
    assert.equal(err.initiator, "remote");
    assert.equal(out.retry, "hello, world\n");
    assert.equal(out.opened, 2);
  });
});
