/**
 * Server-streaming gRPC throughput in messages per second: h2kit's interop
 * server against the grpc-js one (see `grpc_bench_support.ts`), same run,
 * same load generator. h2load posts one `StreamingOutputCall` request asking
 * for `--messages` responses of `--size` bytes (default 100 x 1 KiB); messages/s
 * is calls/s times messages per call.
 *
 * Usage: deno run -A bench/grpc_streaming.ts [--reps N] [--n CALLS] [--messages M]
 *   [--size BYTES] [--clients C] [--streams S] [--tls] [--timeout] [--baseline DIR]
 *
 * @module
 */

import "../net/effect_async_context.ts"; // first: before Effect is evaluated
import { Effect, Stream } from "effect";
import { makeClient } from "../rpc/client.ts";
import { connectRpc } from "../rpc/h2_transport.ts";
import { loadTestingRoot, testingServices } from "../rpc/testing/test_service.ts";
import {
  benchServers,
  CA,
  grpcFrame,
  numberOption,
  reportInterleaved,
  runInterleaved,
  streamingRequest,
  timeoutHeaders,
} from "./grpc_bench_support.ts";

const REPS = numberOption("reps", 3);
const N = numberOption("n", 2_000);
const MESSAGES = numberOption("messages", 100);
const SIZE = numberOption("size", 1024);
const CLIENTS = numberOption("clients", 2);
const STREAMS = numberOption("streams", 8);
const TLS = Deno.args.includes("--tls");
const PATH = "/grpc.testing.TestService/StreamingOutputCall";

async function checkAnswer(port: number): Promise<void> {
  const services = testingServices(await loadTestingRoot());
  const sizes = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const url = `${TLS ? "https://localhost" : "http://127.0.0.1"}:${port}`;
    const client = makeClient(services.testService, yield* connectRpc(url, { caCerts: [CA] }));
    const out = yield* Stream.runCollect(client.StreamingOutputCall({
      response_parameters: Array.from({ length: MESSAGES }, () => ({ size: SIZE })),
    }));
    return Array.from(out, (r) => r.payload?.body?.length ?? 0);
  })));
  if (sizes.length !== MESSAGES || sizes.some((n) => n !== SIZE)) {
    throw new Error(`Bad answer: ${sizes.length} messages`);
  }
}

const runs = await runInterleaved({
  servers: benchServers(TLS),
  reps: REPS,
  body: grpcFrame(streamingRequest(MESSAGES, SIZE)),
  check: checkAnswer,
  load: { tls: TLS, path: PATH, clients: CLIENTS, streams: STREAMS, headers: timeoutHeaders() },
  n: N,
  warmup: Math.max(200, Math.floor(N / 10)),
  unitsPerCall: MESSAGES,
  unit: "message",
});

reportInterleaved(
  `Server streaming (StreamingOutputCall, ${MESSAGES} x ${SIZE}-byte responses per call), ` +
    `${TLS ? "TLS" : "h2c"}${
      Deno.args.includes("--timeout") ? ", grpc-timeout 10S" : ""
    }, h2load -n ${N} -c ${CLIENTS} -m ${STREAMS}, median of ${REPS}`,
  runs,
  "message",
  SIZE,
);
