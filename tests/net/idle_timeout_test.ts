import assert from "node:assert/strict";
import { Effect } from "effect";
import { connect } from "../../net/client.ts";
import { CONNECTION_PREFACE } from "../../core/connection.ts";
import { goAwayCodes, readUntilClosed, withServer } from "./_helpers.ts";

const EMPTY_SETTINGS = new Uint8Array([0, 0, 0, 0x4, 0, 0, 0, 0, 0]);

function waitUntil(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const tick = () => {
      if (cond()) resolve(true);
      else if (Date.now() > deadline) resolve(false);
      else setTimeout(tick, 10);
    };
    tick();
  });
}

Deno.test("serve closes a connection that never opens a stream after idleTimeoutMs with GOAWAY(NO_ERROR)", async () => {
  await withServer({
    idleTimeoutMs: 200,
    drainTimeoutMs: 300, // this raw peer never answers the shutdown PING
    handler: () => Effect.succeed({ body: "ok" }),
  }, async (server) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await conn.write(CONNECTION_PREFACE);
    await conn.write(EMPTY_SETTINGS);
    const started = Date.now();
    const { bytes, peerClosed } = await readUntilClosed(conn, 5_000);
    const elapsed = Date.now() - started;
    assert.ok(peerClosed, "the server did not close the idle connection");
    assert.ok(elapsed >= 150, `closed after ${elapsed} ms, before the idle timeout`);
    const codes = goAwayCodes(bytes);
    assert.ok(codes.length > 0, "no GOAWAY before the close");
    assert.deepEqual(new Set(codes), new Set([0]));
  });
});

Deno.test("serve keeps a connection with a long request open past idleTimeoutMs, then closes it when idle; the client reconnects", async () => {
  await withServer({
    idleTimeoutMs: 250,
    handler: (req) =>
      req.path === "/slow"
        ? Effect.as(Effect.sleep("700 millis"), { body: "slow" })
        : Effect.succeed({ body: "fast" }),
  }, async (server) => {
    await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      const client = yield* connect(server.url);
      // A request outliving the idle timeout is not cut off: only streamless time counts.
      const slow = yield* client.request({ path: "/slow" });
      assert.equal(yield* slow.text, "slow");
      assert.equal(server.connections, 1);
      // Now idle: the server sends GOAWAY, the client answers the PING, the connection closes.
      const closed = yield* Effect.promise(() => waitUntil(() => server.connections === 0, 5_000));
      assert.ok(closed, "the idle connection was not closed");
      // The next request opens a new connection transparently.
      const again = yield* client.request({ path: "/" });
      assert.equal(yield* again.text, "fast");
      assert.equal(client.connectionsOpened, 2);
    })));
  });
});

Deno.test("serve with idleTimeoutMs 0 keeps an idle connection open", async () => {
  await withServer({
    idleTimeoutMs: 0,
    handler: () => Effect.succeed({ body: "ok" }),
  }, async (server) => {
    await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      const client = yield* connect(server.url);
      const res = yield* client.request({ path: "/" });
      assert.equal(yield* res.text, "ok");
      yield* Effect.sleep("400 millis");
      assert.equal(server.connections, 1);
      assert.equal(client.connectionsOpened, 1);
    })));
  });
});
