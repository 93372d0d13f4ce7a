/**
 * `helloworld.Greeter` from statically generated code: the service module
 * `examples/generated/greeter.ts` (made by `deno task gen:proto --out
 * examples/generated examples/protos/greeter.proto`) types the handlers and
 * the client, and protobufjs's static classes encode the messages. Serves the
 * Greeter over h2c on a free port, calls it once unary and once streaming,
 * prints the replies and exits.
 *
 * Usage: `deno run -A examples/greeter_static.ts [--name NAME]`
 *
 * @module
 */

import "../net/effect_async_context.ts"; // first: before Effect is evaluated
import { Effect, Stream } from "effect";
import { makeClient } from "../rpc/client.ts";
import { connectRpc, serveRpc } from "../rpc/h2_transport.ts";
import { implement, makeServer } from "../rpc/server.ts";
import { Greeter, type GreeterHandlers, HelloReply } from "./generated/greeter.ts";

/**
 * The Greeter's handlers: `req` is typed by `helloworld.HelloRequest`'s fields
 * and the replies are `HelloReply` instances, so a misspelt field does not compile.
 */
export const greeterHandlers: GreeterHandlers = {
  SayHello: (req) => Effect.succeed(HelloReply.create({ message: `Hello ${req.name || "world"}` })),
  SayHelloStream: (req) =>
    Stream.make("Hello", "Bonjour", "Hola").pipe(
      Stream.map((word) => HelloReply.create({ message: `${word} ${req.name || "world"}` })),
    ),
};

function flag(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  return i < 0 ? undefined : Deno.args[i + 1];
}

if (import.meta.main) {
  const name = flag("name") ?? "world";
  const exit = await Effect.runPromiseExit(Effect.scoped(Effect.gen(function* () {
    const server = yield* serveRpc(makeServer([implement(Greeter, greeterHandlers)]), {
      hostname: "127.0.0.1",
      port: 0,
    });
    const greeter = makeClient(Greeter, yield* connectRpc(`http://127.0.0.1:${server.port}`));
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
