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
  bodyFile,
  CA,
  grpcFrame,
  h2load,
  median,
  numberOption,
  ratios,
  startServer,
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

const servers = benchServers(TLS);
const file = await bodyFile(grpcFrame(streamingRequest(MESSAGES, SIZE)));
const results = new Map<string, number[]>(servers.map((s) => [s.name, []]));
// Server CPU microseconds per message, per server.
const cpu = new Map<string, number[]>(servers.map((s) => [s.name, []]));
try {
  for (let rep = 0; rep < REPS; rep++) {
    for (const server of rep % 2 === 0 ? servers : [...servers].reverse()) {
      const running = await startServer(server);
      try {
        await checkAnswer(running.port);
        const run = (n: number) =>
          h2load({
            port: running.port,
            tls: TLS,
            path: PATH,
            bodyFile: file,
            n,
            clients: CLIENTS,
            streams: STREAMS,
            headers: timeoutHeaders(),
          });
        await run(Math.max(200, Math.floor(N / 10))); // warm-up (JIT)
        const cpu0 = running.cpuSeconds();
        const { rps } = await run(N);
        const usPerMessage = (running.cpuSeconds() - cpu0) / (N * MESSAGES) * 1e6;
        results.get(server.name)!.push(rps * MESSAGES);
        cpu.get(server.name)!.push(usPerMessage);
        console.error(
          `rep ${rep + 1}: ${server.name}: ${(rps * MESSAGES).toFixed(0)} msg/s, ` +
            `${usPerMessage.toFixed(2)} us CPU/message`,
        );
      } finally {
        await running.kill();
      }
    }
  }
} finally {
  await Deno.remove(file);
}

console.log(
  `\nServer streaming (StreamingOutputCall, ${MESSAGES} x ${SIZE}-byte responses per call), ` +
    `${TLS ? "TLS" : "h2c"}${
      Deno.args.includes("--timeout") ? ", grpc-timeout 10S" : ""
    }, h2load -n ${N} -c ${CLIENTS} -m ${STREAMS}, median of ${REPS}\n`,
);
console.log(
  "| server | messages/s (median) | MB/s payload | all runs | server CPU us/message (median) |",
);
console.log("|---|---|---|---|---|");
for (const [name, xs] of results) {
  const m = median(xs);
  console.log(
    `| ${name} | ${m.toFixed(0)} | ${(m * SIZE / 1e6).toFixed(1)} | ${
      xs.map((x) => x.toFixed(0)).join(", ")
    } | ${median(cpu.get(name)!).toFixed(2)} |`,
  );
}
console.log(`\nThroughput: ${ratios(results)}`);
const perCpuSecond = new Map([...cpu].map(([n, xs]) => [n, xs.map((x) => 1e6 / x)]));
console.log(`Messages per server CPU second: ${ratios(perCpuSecond)}`);
