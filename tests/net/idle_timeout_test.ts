import assert from "node:assert/strict";
import { Effect } from "effect";
import { connect } from "../../net/client.ts";
import { withServer } from "./_helpers.ts";

const PREFACE = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const EMPTY_SETTINGS = new Uint8Array([0, 0, 0, 0x4, 0, 0, 0, 0, 0]);

/** Reads until EOF or `timeoutMs`; returns the bytes and whether the peer closed first. */
async function readUntilClosed(
  conn: Deno.Conn,
  timeoutMs: number,
): Promise<{ bytes: Uint8Array; peerClosed: boolean }> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  let peerClosed = false;
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) {
        peerClosed = true;
        break;
      }
      chunks.push(buf.slice(0, n));
    }
  } catch {
    // Closed by the timer.
  } finally {
    clearTimeout(timer);
  }
  if (peerClosed) conn.close();
  const bytes = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return { bytes, peerClosed };
}

/** The error codes of the GOAWAY frames in raw server output. */
function goAwayCodes(bytes: Uint8Array): number[] {
  const codes: number[] = [];
  let at = 0;
  while (at + 9 <= bytes.length) {
    const len = (bytes[at] << 16) | (bytes[at + 1] << 8) | bytes[at + 2];
    if (bytes[at + 3] === 0x7 && at + 9 + 8 <= bytes.length) {
      const p = at + 9 + 4;
      codes.push(
        ((bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3]) >>> 0,
      );
    }
    at += 9 + len;
  }
  return codes;
}

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
    await conn.write(PREFACE);
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
