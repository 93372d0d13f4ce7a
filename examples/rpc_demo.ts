/**
 * h2kit's gRPC in one process: a TLS HTTP/2 server (ALPN h2) with a Greeter
 * service, and a client on one multiplexed connection, showing
 *
 * 1. a unary call whose messages travel Brotli-compressed (`grpc-encoding: br`),
 * 2. a bidirectional chat stream,
 * 3. a server stream cut short by a deadline (DEADLINE_EXCEEDED),
 * 4. concurrent calls sharing the connection.
 *
 * Usage: `deno run -A examples/rpc_demo.ts` (or `deno task demo:rpc` if configured). Exits 0.
 *
 * @module
 */

import "../net/effect_async_context.ts"; // first: before Effect is evaluated
import { type Cause, Effect, Queue, Stream } from "effect";
import { loadBrotliCompression } from "../rpc/brotli_compression.ts";
import { makeClient } from "../rpc/client.ts";
import { Code } from "../rpc/code.ts";
import { CompressionRegistry, gzip } from "../rpc/compression.ts";
import type { ClientTransport } from "../rpc/exchange.ts";
import { connectRpc, serveRpc } from "../rpc/h2_transport.ts";
import { implement, makeServer } from "../rpc/server.ts";
import {
  type BidiStreaming,
  parseProto,
  type ServerStreaming,
  serviceFromRoot,
  type Unary,
} from "../rpc/service.ts";
import { RpcError } from "../rpc/status.ts";

const PROTO = `syntax = "proto3";
package demo;
message HelloRequest { string name = 1; }
message HelloReply { string message = 1; }
message ChatMessage { string from = 1; string text = 2; }
message TickRequest { int32 count = 1; int32 interval_ms = 2; }
message Tick { int32 n = 1; }
service Greeter {
  rpc SayHello(HelloRequest) returns (HelloReply);
  rpc Chat(stream ChatMessage) returns (stream ChatMessage);
  rpc Ticks(TickRequest) returns (stream Tick);
}`;

type GreeterSpec = {
  SayHello: Unary<{ name?: string }, { message?: string }>;
  Chat: BidiStreaming<{ from?: string; text?: string }, { from?: string; text?: string }>;
  Ticks: ServerStreaming<{ count?: number; interval_ms?: number }, { n?: number }>;
};

const greeter = serviceFromRoot<GreeterSpec>(parseProto(PROTO), "demo.Greeter");

const certs = new URL("../tests/_support/certs/", import.meta.url);
const TLS = {
  cert: Deno.readTextFileSync(new URL("server.crt", certs)),
  key: Deno.readTextFileSync(new URL("server.key", certs)),
};
const CA = Deno.readTextFileSync(new URL("ca.crt", certs));

const replies: Record<string, string> = {
  hello: "hello to you too",
  "how are you?": "streaming along nicely",
  bye: "see you",
};

/** What the wire carried for one call: encodings and response body bytes. */
interface WireStats {
  sent: string;
  received: string;
  bytes: number;
}

/** Wraps a transport to observe each exchange's encodings and response body size. */
function observed(transport: ClientTransport, stats: WireStats): ClientTransport {
  return (request) =>
    Effect.map(transport(request), (response) => {
      stats.sent = request.headers.find((f) => f.name === "grpc-encoding")?.value ?? "identity";
      stats.received = response.headers.find((f) => f.name === "grpc-encoding")?.value ??
        "identity";
      return {
        ...response,
        body: Stream.tap(
          response.body,
          (chunk) => Effect.sync(() => (stats.bytes += chunk.length)),
        ),
      };
    });
}

const program = Effect.gen(function* () {
  const br = yield* Effect.promise(() => loadBrotliCompression({ quality: 5 }));
  const compressions = new CompressionRegistry([br, gzip]);

  const handler = makeServer([implement(greeter, {
    SayHello: (req) => Effect.succeed({ message: `Hello, ${req.name}!` }),
    Chat: (messages) =>
      Stream.map(messages, (m) => ({
        from: "server",
        text: replies[m.text ?? ""] ?? `you said "${m.text}"`,
      })),
    Ticks: (req) =>
      Stream.range(1, req.count ?? 0).pipe(
        Stream.mapEffect((n) => Effect.as(Effect.sleep(req.interval_ms ?? 0), { n })),
      ),
  })], { compressions, sendCompression: ["br", "gzip"] });

  const server = yield* serveRpc(handler, { tls: TLS, drainTimeoutMs: 1_000 });
  const url = `https://localhost:${server.port}`;
  console.log(`gRPC server on ${url} (TLS, ALPN h2)`);

  const stats: WireStats = { sent: "", received: "", bytes: 0 };
  const transport = observed(yield* connectRpc(url, { caCerts: [CA] }), stats);
  const client = makeClient(greeter, transport, { compressions });

  // 1. Unary, Brotli both ways.
  const name = "Ada Lovelace, ".repeat(200).trim();
  const hello = yield* client.SayHello({ name }, { compression: "br" });
  const plain = (hello.message ?? "").length;
  console.log(`\n1. SayHello with a ${name.length}-character name`);
  console.log(`   request grpc-encoding: ${stats.sent}, response grpc-encoding: ${stats.received}`);
  console.log(
    `   reply: ${plain} characters, ${stats.bytes} bytes on the wire ` +
      `(${(plain / Math.max(1, stats.bytes)).toFixed(1)}x smaller)`,
  );
  console.log(`   starts: "${hello.message?.slice(0, 40)}…"`);

  // 2. Bidirectional stream, in turns: each line is sent once the previous reply arrived.
  console.log("\n2. Chat (bidirectional stream)");
  const lines = ["hello", "how are you?", "bye"];
  const outbox = yield* Queue.unbounded<{ from: string; text: string }, Cause.Done>();
  const say = (i: number) =>
    i < lines.length
      ? Effect.andThen(
        Effect.sync(() => console.log(`   client > ${lines[i]}`)),
        Queue.offer(outbox, { from: "client", text: lines[i] }),
      )
      : Queue.end(outbox);
  yield* say(0);
  let turn = 0;
  yield* client.Chat(Stream.fromQueue(outbox)).pipe(
    Stream.runForEach((m) =>
      Effect.andThen(Effect.sync(() => console.log(`   ${m.from} < ${m.text}`)), say(++turn))
    ),
  );

  // 3. A deadline that expires mid-stream.
  console.log("\n3. Ticks: 10 ticks 100 ms apart, with a 350 ms deadline");
  let received = 0;
  const outcome = yield* client.Ticks({ count: 10, interval_ms: 100 }, { timeoutMs: 350 }).pipe(
    Stream.runForEach((t) =>
      Effect.sync(() => {
        received++;
        console.log(`   tick ${t.n}`);
      })
    ),
    Effect.as("completed"),
    Effect.catch((e: RpcError) => Effect.succeed(e)),
  );
  if (outcome instanceof RpcError && outcome.code === Code.DEADLINE_EXCEEDED) {
    console.log(`   stopped after ${received} ticks: ${outcome.codeName} (${outcome.message})`);
  } else {
    console.log(`   unexpected outcome: ${outcome}`);
  }

  // 4. Multiplexing.
  const many = yield* Effect.forEach(
    Array.from({ length: 50 }, (_, i) => `guest ${i}`),
    (guest) => client.SayHello({ name: guest }),
    { concurrency: "unbounded" },
  );
  console.log(`\n4. 50 concurrent SayHello calls on one connection: ${many.length} replies`);
  console.log(`   last: "${many[49].message}"`);
  console.log("\ndone");
});

if (import.meta.main) {
  await Effect.runPromise(Effect.scoped(program));
}
