/**
 * gRPC for h2kit: the gRPC wire protocol (length-prefixed messages, status
 * trailers, metadata, deadlines, compression) over a transport-neutral
 * exchange, with typed Effect servers and clients built from `.proto` files.
 *
 * The HTTP/2 transport lives in `net/`; {@link makeInMemoryTransport} connects
 * a client to a server in the same process.
 *
 * @example Unary call in memory
 * ```ts
 * import { Effect } from "effect";
 * import { strict as assert } from "node:assert";
 * import {
 *   implement, makeClient, makeInMemoryTransport, makeServer, parseProto, serviceFromRoot,
 *   type Unary,
 * } from "./mod.ts";
 *
 * const root = parseProto(`syntax = "proto3"; package demo;
 *   message Req { string name = 1; } message Res { string text = 1; }
 *   service Greeter { rpc Hello(Req) returns (Res); }`);
 * type Spec = { Hello: Unary<{ name: string }, { text: string }> };
 * const greeter = serviceFromRoot<Spec>(root, "demo.Greeter");
 * const server = makeServer([
 *   implement(greeter, { Hello: (req) => Effect.succeed({ text: `hi ${req.name}` }) }),
 * ]);
 * const client = makeClient(greeter, makeInMemoryTransport(server));
 * const res = await Effect.runPromise(client.Hello({ name: "ada" }));
 * assert.equal(res.text, "hi ada");
 * ```
 *
 * @module
 */

// First: it must run before Effect is evaluated (docs/effect-under-deno.md).
import "../net/effect_async_context.ts";
export * from "./code.ts";
export * from "./status.ts";
export * from "./http_status.ts";
export * from "./grpc_message.ts";
export * from "./status_details.ts";
export * from "./metadata.ts";
export * from "./deadline.ts";
export * from "./envelope.ts";
export * from "./codec.ts";
export * from "./compression.ts";
export * from "./exchange.ts";
export * from "./in_memory_transport.ts";
export * from "./service.ts";
export * from "./server.ts";
export * from "./client.ts";
export * from "./promise_client.ts";
export * from "./health.ts";
export * from "./reflection.ts";
export * from "./h2_transport.ts";
export * from "./backoff.ts";
export * from "./channel.ts";
