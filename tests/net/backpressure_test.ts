import assert from "node:assert/strict";
import { Effect, Stream } from "effect";
import { connect } from "../../net/client.ts";
import { withServer } from "./_helpers.ts";

const GiB = 1024 * 1024 * 1024;

Deno.test("ClientResponse streams 1 GiB to a slow reader with bounded memory", async () => {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  let produced = 0;
  await withServer({
    handler: () =>
      Effect.succeed({
        body: Stream.fromEffectRepeat(Effect.sync(() => {
          produced += chunk.length;
          return chunk;
        })).pipe(Stream.take(GiB / chunk.length)),
      }),
  }, async (server) => {
    const before = Deno.memoryUsage().rss;
    let peakRss = before;
    let maxAhead = 0;
    const total = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      const client = yield* connect(server.url);
      const res = yield* client.request({ path: "/gib" });
      let consumed = 0;
      yield* res.body.pipe(Stream.runForEach((c) =>
        Effect.gen(function* () {
          consumed += c.length;
          maxAhead = Math.max(maxAhead, produced - consumed);
          // Slow reader: pause after every 4 MiB read, so the server keeps waiting for window.
          if ((consumed & (4 * 1024 * 1024 - 1)) < c.length) {
            peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
            yield* Effect.sleep("1 millis");
          }
        })
      ));
      return consumed;
    })));
    assert.equal(total, GiB);
    // What the server produced but the reader had not consumed never exceeded the client's
    // windows (1 MiB stream / 8 MiB connection defaults) plus the sender's 64 KiB queue.
    assert.ok(maxAhead <= 1024 * 1024 + 2 * chunk.length, `ran ${maxAhead} bytes ahead`);
    // RSS also counts buffers the GC has not collected yet, so the bound is loose; without
    // backpressure the server would queue the whole GiB and blow well past it.
    const growth = peakRss - before;
    console.log(`peak RSS growth ${(growth / 2 ** 20).toFixed(0)} MiB, max ahead ${maxAhead} B`);
    assert.ok(growth < 512 * 1024 * 1024, `RSS grew by ${growth} bytes`);
  });
});
