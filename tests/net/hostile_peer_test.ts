import assert from "node:assert/strict";
import { Cause, Effect, Exit } from "effect";
import { connect } from "../../net/client.ts";
import { SeededRng } from "../_support/seeded_rng.ts";
import { CONNECTION_PREFACE } from "../../core/connection.ts";
import { goAwayCodes, readUntilClosed, withServer } from "./_helpers.ts";

Deno.test("serve answers garbage after the preface with GOAWAY and keeps serving others", async () => {
  await withServer({ handler: () => Effect.succeed({ body: "ok" }) }, async (server) => {
    for (const seed of [1, 2, 3]) {
      const rng = new SeededRng(seed);
      const garbage = rng.bytes(4096);
      // A frame header claiming a huge frame is a FRAME_SIZE_ERROR on any connection.
      garbage.set([0xff, 0xff, 0xff, 0x0, 0x0, 0, 0, 0, 0], 0);
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      await conn.write(CONNECTION_PREFACE);
      await conn.write(garbage);
      const codes = goAwayCodes((await readUntilClosed(conn, 3000)).bytes);
      assert.notEqual(codes[0], undefined, `seed ${seed}: no GOAWAY`);
      assert.notEqual(codes[0], 0);
    }
    // A bad preface (an HTTP/1.1 request) is closed too.
    const h1 = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await h1.write(new TextEncoder().encode("GET / HTTP/1.1\r\nhost: x\r\n\r\n"));
    await readUntilClosed(h1, 3000);
    const text = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      const client = yield* connect(server.url);
      return yield* Effect.flatMap(client.request({}), (r) => r.text);
    })));
    assert.equal(text, "ok");
  });
});

Deno.test("H2Client keepalive fails requests with Timeout when the server stops answering", async () => {
  // A TCP peer that accepts and reads but never answers (not even SETTINGS or PING ACKs).
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const c of listener) {
      held.push(c);
      (async () => {
        const buf = new Uint8Array(4096);
        try {
          while ((await c.read(buf)) !== null) { /* swallow */ }
        } catch {
          // Closed.
        }
      })();
    }
  })();
  try {
    const exit = await Effect.runPromiseExit(
      Effect.scoped(Effect.gen(function* () {
        const client = yield* connect(`http://127.0.0.1:${port}`, {
          keepAlive: { intervalMs: 50, timeoutMs: 100 },
        });
        return yield* client.request({ path: "/" });
      })).pipe(Effect.timeout("5 seconds")),
    );
    assert.ok(Exit.isFailure(exit));
    const e = Cause.squash(exit.cause) as { _tag: string; initiator: string };
    assert.equal(e._tag, "Timeout");
    assert.equal(e.initiator, "local");
  } finally {
    listener.close();
    for (const c of held) {
      try {
        c.close();
      } catch {
        // Already closed.
      }
    }
    await accepting.catch(() => {});
  }
});
