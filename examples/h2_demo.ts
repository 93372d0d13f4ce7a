/**
 * The h2kit network demo: a TLS HTTP/2 server (ALPN h2) and the Effect client
 * talking to it over a real socket on 127.0.0.1 — plain GET, trailers, server
 * push, a streamed upload echoed back, 100 multiplexed requests, and a graceful
 * shutdown. Run with `deno run -A examples/demo_net.ts` from the repository.
 *
 * @module
 */

import "../net/effect_async_context.ts"; // first: before Effect is evaluated
import { Effect, Stream } from "effect";
import { route } from "./h2_server.ts";
import { connect } from "../net/client.ts";
import { serve } from "../net/server.ts";

const certs = new URL("../tests/_support/certs/", import.meta.url);
const read = (name: string) => Deno.readTextFileSync(new URL(name, certs));
const show = (fields: ReadonlyArray<{ name: string; value: string }>) =>
  fields.map((f) => `${f.name}: ${f.value}`).join(", ");

const program = Effect.scoped(Effect.gen(function* () {
  const server = yield* serve({
    handler: route,
    tls: { cert: read("server.crt"), key: read("server.key") },
  });
  console.log(`server: listening on https://localhost:${server.port} (TLS, ALPN h2)`);
  const client = yield* connect(`https://localhost:${server.port}`, {
    caCerts: [read("ca.crt")],
    enablePush: true,
  });

  const hello = yield* client.request({ path: "/" });
  console.log(`GET /          -> ${hello.status} ${JSON.stringify(yield* hello.text)}`);

  const tr = yield* client.request({ path: "/trailers" });
  const trBody = yield* tr.text;
  console.log(
    `GET /trailers  -> ${tr.status}, ${trBody.length} bytes, trailers { ${
      show(yield* tr.trailers)
    } }`,
  );

  const push = yield* client.request({ path: "/push" });
  console.log(`GET /push      -> ${push.status} ${JSON.stringify(yield* push.text)}`);
  for (const p of yield* Stream.runCollect(push.pushes)) {
    const r = yield* p.response;
    console.log(
      `  pushed ${p.path} on stream ${p.streamId} -> ${r.status} ${JSON.stringify(yield* r.text)}`,
    );
  }

  const chunks = ["stream", "ed ", "upl", "oad"].map((s) => new TextEncoder().encode(s));
  const echo = yield* client.request({
    method: "POST",
    path: "/echo",
    body: Stream.fromIterable(chunks),
  });
  console.log(
    `POST /echo     -> ${echo.status} ${
      JSON.stringify(yield* echo.text)
    } (sent in ${chunks.length} chunks)`,
  );

  const big = yield* client.request({ path: "/big" });
  console.log(
    `GET /big       -> ${big.status}, ${(yield* big.bytes).length} bytes, flow-controlled as read`,
  );

  const t0 = performance.now();
  const many = yield* Effect.forEach(
    Array.from({ length: 100 }, () => 0),
    () => Effect.flatMap(client.request({ path: "/" }), (r) => r.text),
    { concurrency: "unbounded" },
  );
  console.log(
    `100 concurrent GET / on one connection: ${many.length} answers in ${
      (performance.now() - t0).toFixed(1)
    } ms`,
  );
  console.log(
    `client: ${client.connectionsOpened} connection opened; closing the scope sends GOAWAY and drains`,
  );
}));

await Effect.runPromise(program);
console.log("server: shut down gracefully");
