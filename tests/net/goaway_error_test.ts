import assert from "node:assert/strict";
import { Cause, Effect, Exit } from "effect";
import { ErrorCode, H2Connection } from "../../core/mod.ts";
import { connect } from "../../net/client.ts";
import type { GoAwayError } from "../../net/errors.ts";

/**
 * A raw HTTP/2 server (the sans-I/O core over a socket) that waits for `requests` requests on
 * one connection, then sends GOAWAY(code, lastStreamId, debug) and closes the socket shortly
 * after, answering nothing.
 */
function goAwayServer(
  requests: number,
  code: number,
  lastStreamId: number,
  debug: string,
): { port: number; done: Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    const conn = await listener.accept();
    listener.close();
    const h2 = new H2Connection({ role: "server" });
    h2.initiateConnection();
    await conn.write(h2.dataToSend());
    const buf = new Uint8Array(65536);
    let seen = 0;
    while (seen < requests) {
      const n = await conn.read(buf);
      if (n === null) return;
      for (const ev of h2.receive(buf.subarray(0, n))) {
        if (ev.type === "request_received") seen++;
      }
      await conn.write(h2.dataToSend());
    }
    h2.closeConnection(code, { lastStreamId, debugData: new TextEncoder().encode(debug) });
    await conn.write(h2.dataToSend());
    await new Promise((r) => setTimeout(r, 50));
    conn.close();
  })();
  return { port: (listener.addr as Deno.NetAddr).port, done };
}

function goAwayOf(exit: Exit.Exit<unknown, unknown>): GoAwayError {
  assert.ok(Exit.isFailure(exit), "the request succeeded");
  const e = Cause.squash(exit.cause) as GoAwayError;
  assert.equal(e._tag, "GoAway", `failed with ${String(e)}`);
  return e;
}

Deno.test("client requests cut off by an error GOAWAY fail with its code: retryable above the last stream id, not at or below it", async () => {
  const server = goAwayServer(2, ErrorCode.ENHANCE_YOUR_CALM, 1, "calm down");
  const [first, second] = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const client = yield* connect(`http://127.0.0.1:${server.port}`);
    return yield* Effect.all(
      [client.request({ path: "/a" }), client.request({ path: "/b" })].map(Effect.exit),
      { concurrency: "unbounded" },
    );
  })));
  await server.done;

  // Stream 1 (at the last stream id): the peer may have processed it.
  const processed = goAwayOf(first);
  assert.equal(processed.code, ErrorCode.ENHANCE_YOUR_CALM);
  assert.equal(processed.retryable, false);
  assert.equal(processed.initiator, "remote");
  assert.equal(processed.lastStreamId, 1);
  assert.match(processed.reason, /ENHANCE_YOUR_CALM.*calm down/);

  // Stream 3 (above it): never processed, safe to send again.
  const refused = goAwayOf(second);
  assert.equal(refused.code, ErrorCode.ENHANCE_YOUR_CALM);
  assert.equal(refused.retryable, true);
  assert.equal(refused.lastStreamId, 1);
});

Deno.test("client requests at or below the last stream id of a NO_ERROR GOAWAY that closes fail as a lost connection", async () => {
  const server = goAwayServer(1, ErrorCode.NO_ERROR, 1, "");
  const exit = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const client = yield* connect(`http://127.0.0.1:${server.port}`);
    return yield* Effect.exit(client.request({ path: "/a" }));
  })));
  await server.done;
  assert.ok(Exit.isFailure(exit));
  const e = Cause.squash(exit.cause) as { _tag: string };
  assert.equal(e._tag, "ConnectionLost");
});
