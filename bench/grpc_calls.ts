/**
 * Client-streaming and bidi gRPC server cost: h2kit's interop server against the grpc-js one
 * (see `grpc_bench_support.ts`), same run, same load generator. h2load posts one fixed request
 * body holding `--messages` request envelopes per call:
 *
 * - `--kind client-streaming` (default): `StreamingInputCall`, each request carrying a
 *   `--size`-byte payload; the server answers one aggregate message.
 * - `--kind bidi`: `FullDuplexCall`, each request asking for one `--size`-byte response, so a
 *   call answers `--messages` messages.
 *
 * Reports calls/s and server CPU microseconds per call (the figure that stays meaningful when
 * other processes share the cores), median of `--reps`, servers interleaved.
 *
 * Usage: deno run -A bench/grpc_calls.ts [--kind client-streaming|bidi] [--reps N] [--n CALLS]
 *   [--messages M] [--size BYTES] [--clients C] [--streams S] [--tls] [--timeout] [--baseline DIR]
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
  varint,
} from "./grpc_bench_support.ts";

const kindAt = Deno.args.indexOf("--kind");
const KIND = kindAt >= 0 ? Deno.args[kindAt + 1] : "client-streaming";
if (KIND !== "client-streaming" && KIND !== "bidi") {
  throw new TypeError(`Unknown --kind "${KIND}": expected "client-streaming" or "bidi"`);
}
const BIDI = KIND === "bidi";
const REPS = numberOption("reps", 5);
const N = numberOption("n", 10_000);
const MESSAGES = numberOption("messages", 4);
const SIZE = numberOption("size", 100);
const CLIENTS = numberOption("clients", 2);
const STREAMS = numberOption("streams", 8);
const TLS = Deno.args.includes("--tls");
const PATH = `/grpc.testing.TestService/${BIDI ? "FullDuplexCall" : "StreamingInputCall"}`;

// `StreamingInputCallRequest{payload: {body: size zero bytes}}`.
function inputRequest(size: number): number[] {
  const payload = [0x12, ...varint(size), ...new Array(size).fill(0)]; // Payload.body (2)
  return [0x0a, ...varint(payload.length), ...payload]; // payload (1)
}

// The request body of one call: MESSAGES envelopes, back to back.
function callBody(): Uint8Array {
  const one = grpcFrame(BIDI ? streamingRequest(1, SIZE) : inputRequest(SIZE));
  const body = new Uint8Array(one.length * MESSAGES);
  for (let i = 0; i < MESSAGES; i++) body.set(one, i * one.length);
  return body;
}

// One real call through h2kit's client, so a server answering a wrong message or a non-OK
// `grpc-status` (h2load only sees HTTP 200) fails the run.
async function checkAnswer(port: number): Promise<void> {
  const services = testingServices(await loadTestingRoot());
  await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const url = `${TLS ? "https://localhost" : "http://127.0.0.1"}:${port}`;
    const client = makeClient(services.testService, yield* connectRpc(url, { caCerts: [CA] }));
    if (BIDI) {
      const requests = Array.from(
        { length: MESSAGES },
        () => ({ response_parameters: [{ size: SIZE }] }),
      );
      const out = yield* Stream.runCollect(client.FullDuplexCall(Stream.fromIterable(requests)));
      const sizes = Array.from(out, (r) => r.payload?.body?.length ?? 0);
      if (sizes.length !== MESSAGES || sizes.some((n) => n !== SIZE)) {
        throw new Error(`Bad answer: ${sizes.length} messages`);
      }
    } else {
      const requests = Array.from(
        { length: MESSAGES },
        () => ({ payload: { body: new Uint8Array(SIZE) } }),
      );
      const out = yield* client.StreamingInputCall(Stream.fromIterable(requests));
      if (out.aggregated_payload_size !== MESSAGES * SIZE) {
        throw new Error(`Bad answer: ${out.aggregated_payload_size}`);
      }
    }
  })));
}

const runs = await runInterleaved({
  servers: benchServers(TLS),
  reps: REPS,
  body: callBody(),
  check: checkAnswer,
  load: { tls: TLS, path: PATH, clients: CLIENTS, streams: STREAMS, headers: timeoutHeaders() },
  n: N,
  warmup: Math.max(500, Math.floor(N / 5)),
  unit: "call",
});

const what = BIDI
  ? `Bidi streaming (FullDuplexCall, ${MESSAGES} requests each asking for one ${SIZE}-byte response)`
  : `Client streaming (StreamingInputCall, ${MESSAGES} x ${SIZE}-byte requests per call)`;
reportInterleaved(
  `${what}, ${TLS ? "TLS" : "h2c"}, h2load -n ${N} -c ${CLIENTS} -m ${STREAMS}, median of ${REPS}`,
  runs,
  "call",
);
