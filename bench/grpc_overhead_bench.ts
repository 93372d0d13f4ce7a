/**
 * Per-call CPU cost of the gRPC server layers, in process (no sockets): the RPC
 * server alone (`makeServer` answering UnaryCall from a registered body pull),
 * the same behind the HTTP/2 adapter (`toH2Handler` over a stand-in net
 * request whose body is a one-chunk Stream, and with the whole body offered up front, as
 * net does for a request that arrived in one read), and the single-message reader.
 * Run with `deno bench -A bench/grpc_overhead_bench.ts`.
 *
 * @module
 */

import "../net/effect_async_context.ts"; // first: before Effect is evaluated
import { Effect, Exit, Stream } from "effect";
import { readSingleMessage } from "../rpc/codec.ts";
import { identity } from "../rpc/compression.ts";
import { type ServerRequest, withBodyPull } from "../rpc/exchange.ts";
import { toH2Handler } from "../rpc/h2_transport.ts";
import { makeServer } from "../rpc/server.ts";
import {
  loadTestingRoot,
  testingServices,
  testServiceImplementation,
} from "../rpc/testing/test_service.ts";
import type { ServerRequest as NetServerRequest } from "../net/server.ts";
import { grpcFrame, simpleRequest } from "./grpc_bench_support.ts";

const services = testingServices(await loadTestingRoot());
const handler = makeServer([testServiceImplementation(services)]);
const h2 = toH2Handler(handler);
// The same service behind one pass-through interceptor (the shape of a metrics or auth check).
const intercepted = toH2Handler(
  makeServer([testServiceImplementation(services)], { interceptors: [(_ctx, next) => next] }),
);
const body = grpcFrame(simpleRequest(100));
const headers = [
  { name: "content-type", value: "application/grpc" },
  { name: "te", value: "trailers" },
];
const headersWithTimeout = [...headers, { name: "grpc-timeout", value: "10S" }];
const PATH = "/grpc.testing.TestService/UnaryCall";
// One signal for every stand-in request (none is ever aborted): net makes a request's signal
// only when asked, so a new AbortController per iteration would be a cost the server never has.
const NEVER_ABORTED = new AbortController().signal;

function onceBody(): Stream.Stream<Uint8Array> {
  let done = false;
  return withBodyPull(
    Stream.succeed(body),
    Effect.sync(() => {
      if (done) return undefined;
      done = true;
      return [body];
    }),
  );
}

function check(exit: Exit.Exit<unknown, unknown>): void {
  if (Exit.isFailure(exit)) throw new Error(`Call failed: ${exit.cause}`);
}

Deno.bench("rpc server: UnaryCall from a body pull", { group: "call" }, () => {
  const req: ServerRequest = {
    method: "POST",
    path: PATH,
    authority: "bench",
    headers,
    body: onceBody(),
    signal: NEVER_ABORTED,
  };
  check(Effect.runSyncExit(Effect.scoped(handler(req))));
});

Deno.bench("toH2Handler + rpc server: UnaryCall, Stream body", { group: "call" }, () => {
  const req = {
    streamId: 1,
    method: "POST",
    scheme: "http",
    authority: "bench",
    path: PATH,
    headers,
    header: () => undefined,
    body: Stream.succeed(body),
    bytes: Effect.succeed(body),
    trailers: Effect.succeed([]),
    signal: NEVER_ABORTED,
    push: () => Effect.succeed(false),
    informational: () => Effect.void,
  } satisfies NetServerRequest;
  check(Effect.runSyncExit(h2(req)));
});

/** A stand-in net request whose body arrived whole with its headers (the common unary case). */
function wholeRequest(
  path: string,
  bytes: Uint8Array,
  fields: { name: string; value: string }[] = headers,
): NetServerRequest {
  return {
    streamId: 1,
    method: "POST",
    scheme: "http",
    authority: "bench",
    path,
    headers: fields,
    header: () => undefined,
    body: Stream.succeed(bytes),
    bytes: Effect.succeed(bytes),
    trailers: Effect.succeed([]),
    signal: NEVER_ABORTED,
    push: () => Effect.succeed(false),
    informational: () => Effect.void,
    bodyIfComplete: () => bytes,
  } satisfies NetServerRequest;
}

Deno.bench("toH2Handler + rpc server: UnaryCall, whole body (bodyIfComplete)", {
  group: "call",
  baseline: true,
}, () => {
  check(Effect.runSyncExit(h2(wholeRequest(PATH, body))));
});

Deno.bench("toH2Handler + rpc server: UnaryCall, whole body, grpc-timeout", {
  group: "call",
}, () => {
  check(Effect.runSyncExit(h2(wholeRequest(PATH, body, headersWithTimeout))));
});

Deno.bench("toH2Handler + rpc server: UnaryCall, whole body, one interceptor", {
  group: "call",
}, () => {
  check(Effect.runSyncExit(intercepted(wholeRequest(PATH, body))));
});

const EMPTY_REQUEST = grpcFrame([]);
Deno.bench("toH2Handler + rpc server: EmptyCall, whole body", { group: "call" }, () => {
  check(Effect.runSyncExit(h2(wholeRequest("/grpc.testing.TestService/EmptyCall", EMPTY_REQUEST))));
});

Deno.bench("readSingleMessage: one 111-byte message", { group: "read" }, () => {
  let done = false;
  const pull = Effect.sync(() => {
    if (done) return undefined;
    done = true;
    return [body];
  });
  check(
    Effect.runSyncExit(
      readSingleMessage(pull, services.testService.methods.UnaryCall.input, {
        compression: identity,
      }),
    ),
  );
});
