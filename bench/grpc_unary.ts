/**
 * Unary gRPC QPS: h2kit's interop server (`examples/interop_server.ts`, Deno)
 * against the grpc-js interop server (`tests/interop/node/interop_server.mjs`,
 * Node 20), both serving grpc.testing.TestService, driven by the same load
 * generator in the same run: h2load POSTing one fixed gRPC request body with
 * `content-type: application/grpc` and `te: trailers`.
 *
 * Usage: deno run -A bench/grpc_unary.ts [--reps N] [--n N] [--clients C] [--streams M]
 *   [--tls] [--baseline DIR]
 *
 * Each server is started, warmed up, measured and killed in turn (one at a time, PIDs owned
 * by this script), alternating for `reps` rounds; the median is reported. Before measuring,
 * one call per server is made with h2kit's gRPC client to check the answer is right.
 * `--baseline DIR` adds an h2kit server from another checkout (see `grpc_bench_support.ts`).
 *
 * @module
 */

import "../net/effect_async_context.ts"; // first: before Effect is evaluated
import { Effect } from "effect";
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
  simpleRequest,
} from "./grpc_bench_support.ts";

const REPS = numberOption("reps", 3);
const N = numberOption("n", 30_000);
const CLIENTS = numberOption("clients", 2);
const STREAMS = numberOption("streams", 32);
const TLS = Deno.args.includes("--tls");
const PATH = "/grpc.testing.TestService/UnaryCall";

async function checkAnswer(port: number): Promise<void> {
  const services = testingServices(await loadTestingRoot());
  const size = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const url = `${TLS ? "https://localhost" : "http://127.0.0.1"}:${port}`;
    const client = makeClient(services.testService, yield* connectRpc(url, { caCerts: [CA] }));
    const res = yield* client.UnaryCall({
      response_size: 100,
      payload: { body: new Uint8Array(100) },
    });
    return res.payload?.body?.length;
  })));
  if (size !== 100) throw new Error(`Bad answer: payload of ${size} bytes`);
}

// SimpleRequest{response_size: 100, payload: {body: 100 zero bytes}} in one gRPC frame.
const runs = await runInterleaved({
  servers: benchServers(TLS),
  reps: REPS,
  body: grpcFrame(simpleRequest(100)),
  check: checkAnswer,
  load: { tls: TLS, path: PATH, clients: CLIENTS, streams: STREAMS },
  n: N,
  warmup: Math.max(1000, N / 10),
  unit: "call",
});

reportInterleaved(
  `Unary gRPC (UnaryCall, 100-byte request and response), ${TLS ? "TLS" : "h2c"}, ` +
    `h2load -n ${N} -c ${CLIENTS} -m ${STREAMS}, median of ${REPS}`,
  runs,
  "call",
);
