/**
 * Serves streaming calls with a one-minute deadline on the direct path, in memory and over h2,
 * then returns. Run as its own process by `server_fast_path_test.ts`: a deadline timer left
 * pending after its call ended would keep this process alive for that minute.
 *
 * @module
 */

import { Effect, Stream } from "effect";
import { makeClient } from "../../rpc/client.ts";
import { connectRpc, serveRpc } from "../../rpc/h2_transport.ts";
import { implement, makeServer } from "../../rpc/server.ts";
import { Echo, grpcHeaders, msgEnvelope } from "./_support.ts";

const handler = makeServer([implement(Echo, {
  Count: (m) => Stream.range(1, Number(m.n)).pipe(Stream.map((i) => ({ n: i }))),
  Chat: (requests) => requests,
})]);

await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
  const body = msgEnvelope({ n: 3 });
  const res = yield* handler({
    method: "POST",
    path: "/test.echo.Echo/Count",
    authority: "test",
    headers: grpcHeaders([{ name: "grpc-timeout", value: "1M" }]),
    body: Stream.make(body),
    signal: new AbortController().signal,
    bodyIfComplete: () => body,
  });
  if (res.body !== undefined && !(res.body instanceof Uint8Array)) {
    yield* Stream.runDrain(res.body);
  }
})));

const sizes = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
  const srv = yield* serveRpc(handler, { onError: () => {} });
  const client = makeClient(Echo, yield* connectRpc(srv.url));
  const counted = yield* Stream.runCollect(client.Count({ n: 3 }, { timeoutMs: 60_000 }));
  const chatted = yield* Stream.runCollect(
    client.Chat(Stream.make({ text: "a" }), { timeoutMs: 60_000 }),
  );
  return [counted.length, chatted.length];
})));
console.log(sizes.join(" "));
