/**
 * Helpers for the rpc tests: a tiny proto, and a raw exchange runner that
 * drives a ServerHandler without any client, to check wire-level answers.
 *
 * @module
 */

import { Effect, Stream } from "effect";
import type { Field, Fields, ServerHandler, ServerResponse } from "../../rpc/exchange.ts";
import { concatBytes } from "../_support/bytes.ts";
import { encodeEnvelope } from "../../rpc/envelope.ts";
import { parseProto, type ServiceDescriptor, serviceFromRoot } from "../../rpc/service.ts";
import type { BidiStreaming, ClientStreaming, ServerStreaming, Unary } from "../../rpc/service.ts";
import type { ServiceHandlers } from "../../rpc/server.ts";

/** A small echo service with the four call kinds. */
export const ECHO_PROTO = `syntax = "proto3";
package test.echo;
message Msg { string text = 1; int64 n = 2; bytes blob = 3; }
service Echo {
  rpc Say(Msg) returns (Msg);
  rpc Count(Msg) returns (stream Msg);
  rpc Sum(stream Msg) returns (Msg);
  rpc Chat(stream Msg) returns (stream Msg);
}`;

/** `test.echo.Msg`. */
export interface Msg {
  text?: string;
  n?: string | number;
  blob?: Uint8Array;
}

/** The echo service spec. */
export type EchoSpec = {
  Say: Unary<Msg, Msg>;
  Count: ServerStreaming<Msg, Msg>;
  Sum: ClientStreaming<Msg, Msg>;
  Chat: BidiStreaming<Msg, Msg>;
};

/** The echo service descriptor. */
export const Echo: ServiceDescriptor<EchoSpec> = serviceFromRoot<EchoSpec>(
  parseProto(ECHO_PROTO),
  "test.echo.Echo",
);

/**
 * Plain handlers for the four echo methods: `Say` answers "say <text>", `Count` streams 1..n,
 * `Sum` adds the requests' `n`, `Chat` answers each request with "re <text>".
 */
export const echoHandlers: ServiceHandlers<EchoSpec> = {
  Say: (m) => Effect.succeed({ text: `say ${m.text}` }),
  Count: (m) => Stream.range(1, Number(m.n)).pipe(Stream.map((i) => ({ n: i }))),
  Sum: (ms) =>
    Stream.runFold(ms, () => 0, (a, m: Msg) => a + Number(m.n)).pipe(Effect.map((n) => ({ n }))),
  Chat: (ms) => Stream.map(ms, (m) => ({ text: `re ${m.text}` })),
};

/** Standard gRPC request headers plus extras. */
export function grpcHeaders(extra: Field[] = []): Field[] {
  return [
    { name: "content-type", value: "application/grpc" },
    { name: "te", value: "trailers" },
    ...extra,
  ];
}

/** The first value of a field. */
export function get(fields: Fields, name: string): string | undefined {
  return fields.find((f) => f.name === name)?.value;
}

/** The complete answer to a raw exchange. */
export interface RawResponse {
  status: number;
  headers: Fields;
  body: Uint8Array;
  trailers: Fields;
  /** True when the response ended with its headers (Trailers-Only). */
  headersOnly: boolean;
}

/** Serializes a Msg into an envelope. */
export function msgEnvelope(msg: Msg, compressed = false): Uint8Array {
  return encodeEnvelope(Echo.methods.Say.input.serialize(msg), compressed);
}

/** Runs one exchange straight against a handler. */
export function rawExchange(
  handler: ServerHandler,
  request: { path: string; headers?: Field[]; body?: Uint8Array[]; method?: string },
): Promise<RawResponse> {
  return Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const res = yield* handler({
      method: request.method ?? "POST",
      path: request.path,
      authority: "test",
      headers: request.headers ?? grpcHeaders(),
      body: Stream.fromIterable(request.body ?? []),
      signal: new AbortController().signal,
    });
    return yield* collectResponse(res);
  })));
}

/**
 * Reads a handler's whole response: body (as a Stream, or through `readBody`), trailers, and
 * whether it was Trailers-Only.
 */
export function collectResponse(
  res: ServerResponse,
  readBody: (body: Stream.Stream<Uint8Array, unknown>) => Effect.Effect<Uint8Array[]> = (body) =>
    Effect.map(Stream.runCollect(body), (chunks) => Array.from(chunks)) as Effect.Effect<
      Uint8Array[]
    >,
): Effect.Effect<RawResponse> {
  return Effect.gen(function* () {
    const chunks = res.body === undefined
      ? []
      : res.body instanceof Uint8Array
      ? [res.body]
      : yield* readBody(res.body);
    const trailers = res.trailers === undefined
      ? []
      : Array.isArray(res.trailers)
      ? res.trailers as Field[]
      : yield* (res.trailers as Effect.Effect<ReadonlyArray<Field>>);
    return {
      status: res.status,
      headers: res.headers,
      body: concatBytes(chunks),
      trailers,
      headersOnly: res.body === undefined && res.trailers === undefined,
    };
  });
}
