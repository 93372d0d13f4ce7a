/**
 * Unary gRPC latency, p50 and p99, at 1 and at 32 calls in flight: h2kit's
 * interop server against the grpc-js one (see `grpc_bench_support.ts`), same
 * run, same load generator (h2load on one connection, `--log-file` gives every
 * call's time from request start to end of response, trailers included).
 *
 * Usage: deno run -A bench/grpc_latency.ts [--reps N] [--n CALLS] [--tls] [--baseline DIR]
 *
 * @module
 */

import {
  benchServers,
  bodyFile,
  grpcFrame,
  h2load,
  median,
  numberOption,
  simpleRequest,
  startServer,
} from "./grpc_bench_support.ts";

const REPS = numberOption("reps", 3);
const N = numberOption("n", 5_000);
const TLS = Deno.args.includes("--tls");
const PATH = "/grpc.testing.TestService/UnaryCall";
const IN_FLIGHT = [1, 32];

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function latencies(logFile: string): Promise<Float64Array> {
  const text = await Deno.readTextFile(logFile);
  const rows = text.split("\n").filter((l) => l !== "");
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const cols = rows[i].split("\t");
    if (cols[1] !== "200") throw new Error(`A call failed: ${rows[i]}`);
    out[i] = Number(cols[2]);
  }
  return out.sort();
}

const servers = benchServers(TLS);
const file = await bodyFile(grpcFrame(simpleRequest(100)));
const logFile = await Deno.makeTempFile({ prefix: "grpc-latency-", suffix: ".log" });
// name -> in flight -> [p50s], [p99s]
const results = new Map<string, Map<number, { p50: number[]; p99: number[] }>>();
for (const s of servers) {
  results.set(s.name, new Map(IN_FLIGHT.map((m) => [m, { p50: [], p99: [] }])));
}
try {
  for (let rep = 0; rep < REPS; rep++) {
    for (const server of rep % 2 === 0 ? servers : [...servers].reverse()) {
      const running = await startServer(server);
      try {
        const base = { port: running.port, tls: TLS, path: PATH, bodyFile: file, clients: 1 };
        await h2load({ ...base, n: Math.max(1000, N / 2), streams: 32 }); // warm-up (JIT)
        for (const m of IN_FLIGHT) {
          await h2load({ ...base, n: N, streams: m, logFile });
          const sorted = await latencies(logFile);
          const r = results.get(server.name)!.get(m)!;
          r.p50.push(percentile(sorted, 0.5));
          r.p99.push(percentile(sorted, 0.99));
          console.error(
            `rep ${rep + 1}: ${server.name}, ${m} in flight: p50 ${
              percentile(sorted, 0.5)
            } us, p99 ${percentile(sorted, 0.99)} us`,
          );
        }
      } finally {
        await running.kill();
      }
    }
  }
} finally {
  await Deno.remove(file);
  await Deno.remove(logFile);
}

console.log(
  `\nUnary gRPC latency (UnaryCall, 100-byte request and response), ${TLS ? "TLS" : "h2c"}, ` +
    `h2load -n ${N} -c 1 -m {1,32} --log-file, median of ${REPS} runs, microseconds\n`,
);
console.log("| server | in flight | p50 (us) | p99 (us) |");
console.log("|---|---|---|---|");
for (const [name, byM] of results) {
  for (const [m, r] of byM) {
    console.log(`| ${name} | ${m} | ${median(r.p50).toFixed(0)} | ${median(r.p99).toFixed(0)} |`);
  }
}
