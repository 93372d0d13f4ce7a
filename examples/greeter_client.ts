/**
 * Calls `helloworld.Greeter` (see `examples/greeter_server.ts`, or any gRPC
 * Greeter) over h2kit's HTTP/2 client: one unary call and one server stream.
 *
 * Usage: `deno run -A examples/greeter_client.ts --port N [--host H] [--tls] [--name NAME]`
 * With `--tls` the test CA in `tests/_support/certs/` is trusted.
 *
 * @module
 */

import "../net/effect_async_context.ts"; // first: before Effect is evaluated
import { Effect, Stream } from "effect";
import { makeClient } from "../rpc/client.ts";
import { connectRpc } from "../rpc/h2_transport.ts";
import { Greeter } from "./greeter_server.ts";

function flag(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const next = Deno.args[i + 1];
  return next === undefined || next.startsWith("--") ? "true" : next;
}

if (import.meta.main) {
  const tls = flag("tls") === "true";
  const host = flag("host") ?? (tls ? "localhost" : "127.0.0.1");
  const url = `${tls ? "https" : "http"}://${host}:${flag("port") ?? "50051"}`;
  const ca = tls
    ? [Deno.readTextFileSync(new URL("../tests/_support/certs/ca.crt", import.meta.url))]
    : undefined;
  const name = flag("name") ?? "world";
  const exit = await Effect.runPromiseExit(Effect.scoped(Effect.gen(function* () {
    const greeter = makeClient(Greeter, yield* connectRpc(url, { caCerts: ca }));
    const reply = yield* greeter.SayHello({ name }, { timeoutMs: 5_000 });
    console.log(`SayHello: ${reply.message}`);
    yield* greeter.SayHelloStream({ name }, { timeoutMs: 5_000 }).pipe(
      Stream.runForEach((r) => Effect.sync(() => console.log(`SayHelloStream: ${r.message}`))),
    );
  })));
  if (exit._tag === "Failure") {
    console.error(`Greeter call failed: ${exit.cause}`);
    Deno.exit(1);
  }
}
