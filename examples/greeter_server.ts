/**
 * The smallest gRPC server on h2kit: `helloworld.Greeter` (the classic gRPC
 * example, so any gRPC client can call it) over HTTP/2.
 *
 * Usage: `deno run -A examples/greeter_server.ts [--port N] [--tls]`
 * Prints `LISTENING <port>` once ready; `--tls` uses the test certificate in
 * `tests/_support/certs/`. Try it with `examples/greeter_client.ts`.
 *
 * @module
 */

import "../net/effect_async_context.ts"; // first: before Effect is evaluated
import { Effect, Stream } from "effect";
import type { ServerHandler } from "../rpc/exchange.ts";
import { serveRpc } from "../rpc/h2_transport.ts";
import { implement, makeServer } from "../rpc/server.ts";
import {
  parseProto,
  type ServerStreaming,
  type ServiceDescriptor,
  serviceFromRoot,
  type Unary,
} from "../rpc/service.ts";

/**
 * `helloworld.proto` plus a server-streaming variant: `examples/protos/greeter.proto`, the same
 * file `deno task gen:proto` turns into `examples/generated/` (see `examples/greeter_static.ts`).
 */
export const GREETER_PROTO: string = Deno.readTextFileSync(
  new URL("./protos/greeter.proto", import.meta.url),
);

/** The Greeter's method types. */
export type GreeterSpec = {
  SayHello: Unary<{ name?: string }, { message?: string }>;
  SayHelloStream: ServerStreaming<{ name?: string }, { message?: string }>;
};

/** The `helloworld.Greeter` descriptor. */
export const Greeter: ServiceDescriptor<GreeterSpec> = serviceFromRoot<GreeterSpec>(
  parseProto(GREETER_PROTO),
  "helloworld.Greeter",
);

/** The Greeter's RPC handler: greets in one reply, or in three languages as a stream. */
export const greeterHandler: ServerHandler = makeServer([implement(Greeter, {
  SayHello: (req) => Effect.succeed({ message: `Hello ${req.name ?? "world"}` }),
  SayHelloStream: (req) =>
    Stream.make("Hello", "Bonjour", "Hola").pipe(
      Stream.map((word) => ({ message: `${word} ${req.name ?? "world"}` })),
    ),
})]);

function flag(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const next = Deno.args[i + 1];
  return next === undefined || next.startsWith("--") ? "true" : next;
}

if (import.meta.main) {
  const certs = new URL("../tests/_support/certs/", import.meta.url);
  const tls = flag("tls") === "true"
    ? {
      cert: Deno.readTextFileSync(new URL("server.crt", certs)),
      key: Deno.readTextFileSync(new URL("server.key", certs)),
    }
    : undefined;
  await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const server = yield* serveRpc(greeterHandler, { port: Number(flag("port") ?? 0), tls });
    console.log(`LISTENING ${server.port}`);
    // Serve until SIGINT/SIGTERM, then close the scope: graceful GOAWAY and drain.
    yield* Effect.callback<void>((resume) => {
      const stop = () => resume(Effect.void);
      Deno.addSignalListener("SIGINT", stop);
      Deno.addSignalListener("SIGTERM", stop);
    });
  })));
}
