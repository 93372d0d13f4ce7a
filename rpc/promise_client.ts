/**
 * A Promise / AsyncIterable facade over the Effect client, for code that does
 * not use Effect.
 *
 * @module
 */

import { Cause, Effect, Exit, Stream } from "effect";
import { type CallOptions, type ClientOptions, makeClient } from "./client.ts";
import { Code } from "./code.ts";
import type { ClientTransport } from "./exchange.ts";
import type { ServiceDescriptor, ServiceSpec } from "./service.ts";
import { RpcError } from "./status.ts";

/** Per-call options of the promise client: the Effect options plus an abort signal. */
export interface PromiseCallOptions extends CallOptions {
  /** Aborting cancels the call; it then rejects with CANCELLED. */
  readonly signal?: AbortSignal;
}

/** The promise-client method type for a method spec. */
export type PromiseMethodFor<M> = M extends { kind: "unary"; input: infer I; output: infer O }
  ? (request: I, options?: PromiseCallOptions) => Promise<O>
  : M extends { kind: "server_streaming"; input: infer I; output: infer O }
    ? (request: I, options?: PromiseCallOptions) => AsyncIterable<O>
  : M extends { kind: "client_streaming"; input: infer I; output: infer O }
    ? (requests: AsyncIterable<I> | Iterable<I>, options?: PromiseCallOptions) => Promise<O>
  : M extends { kind: "bidi_streaming"; input: infer I; output: infer O }
    ? (requests: AsyncIterable<I> | Iterable<I>, options?: PromiseCallOptions) => AsyncIterable<O>
  : never;

/** A promise client: one method per service method. Failures reject with {@link RpcError}. */
export type PromiseClient<S extends ServiceSpec> = {
  readonly [K in keyof S]: PromiseMethodFor<S[K]>;
};

function toStream<I>(requests: AsyncIterable<I> | Iterable<I>): Stream.Stream<I, RpcError> {
  if (Symbol.asyncIterator in requests) {
    return Stream.fromAsyncIterable(
      requests as AsyncIterable<I>,
      (e) => RpcError.from(e, Code.CANCELLED),
    );
  }
  return Stream.fromIterable(requests as Iterable<I>);
}

async function run<A>(effect: Effect.Effect<A, RpcError>, signal?: AbortSignal): Promise<A> {
  const exit = await Effect.runPromiseExit(effect, { signal });
  if (Exit.isSuccess(exit)) return exit.value;
  const fail = exit.cause.reasons.find(Cause.isFailReason);
  if (fail !== undefined) throw fail.error;
  if (Cause.hasInterruptsOnly(exit.cause)) {
    throw new RpcError({ code: Code.CANCELLED, message: "Call cancelled" });
  }
  throw RpcError.from(Cause.squash(exit.cause), Code.INTERNAL);
}

async function* iterate<O>(
  stream: Stream.Stream<O, RpcError>,
  signal?: AbortSignal,
): AsyncGenerator<O> {
  // Pull through a reader so breaking out of the loop cancels the call.
  const reader = Stream.toReadableStream(stream).getReader();
  const onAbort = () => {
    reader.cancel().catch(() => {});
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    while (true) {
      if (signal?.aborted) throw new RpcError({ code: Code.CANCELLED, message: "Call cancelled" });
      const { done, value } = await reader.read();
      if (done) {
        if (signal?.aborted) {
          throw new RpcError({ code: Code.CANCELLED, message: "Call cancelled" });
        }
        return;
      }
      yield value;
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await reader.cancel().catch(() => {});
  }
}

/**
 * A client whose methods return Promises and AsyncIterables: unary and
 * client-streaming calls resolve with the response, streaming responses are
 * consumed with `for await`; breaking out of the loop or aborting the signal
 * cancels the call.
 *
 * @typeParam S The service spec.
 * @param service The service descriptor.
 * @param transport Where calls go.
 * @param options Client options.
 * @returns The promise client.
 */
export function makePromiseClient<S extends ServiceSpec>(
  service: ServiceDescriptor<S>,
  transport: ClientTransport,
  options: ClientOptions = {},
): PromiseClient<S> {
  // deno-lint-ignore no-explicit-any
  const inner = makeClient(service, transport, options) as Record<string, (...a: any[]) => any>;
  const out: Record<string, unknown> = {};
  for (const method of Object.values(service.methods)) {
    const call = inner[method.name];
    switch (method.kind) {
      case "unary":
        out[method.name] = (req: unknown, o?: PromiseCallOptions) => run(call(req, o), o?.signal);
        break;
      case "server_streaming":
        out[method.name] = (req: unknown, o?: PromiseCallOptions) =>
          iterate(call(req, o), o?.signal);
        break;
      case "client_streaming":
        out[method.name] = (reqs: AsyncIterable<unknown>, o?: PromiseCallOptions) =>
          run(call(toStream(reqs), o), o?.signal);
        break;
      case "bidi_streaming":
        out[method.name] = (reqs: AsyncIterable<unknown>, o?: PromiseCallOptions) =>
          iterate(call(toStream(reqs), o), o?.signal);
        break;
    }
  }
  return out as PromiseClient<S>;
}
