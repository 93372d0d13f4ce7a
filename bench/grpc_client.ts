/**
 * Unary gRPC client QPS: h2kit's client (`makeClient` over `connectRpc`, one
 * HTTP/2 connection, Deno) against grpc-js's own client (one channel, Node 20),
 * both calling the same grpc-js interop server with the same number of calls in
 * flight, in the same run. The server runs in its own process; each client in
 * another.
 *
 * Usage: deno run -A bench/grpc_client.ts [--reps N] [--n CALLS] [--concurrency C]
 *   [--baseline DIR]
 *
 * With `--client-only --port P`, runs just h2kit's side against a server at P and prints
 * `RESULT <calls/s>` (the mode the driver uses for its child process).
 *
 * @module
 */

import "../net/effect_async_context.ts"; // first: before Effect is evaluated
import process from "node:process";
import { Effect } from "effect";
import { makeClient } from "../rpc/client.ts";
import { connectRpc } from "../rpc/h2_transport.ts";
import { loadTestingRoot, testingServices } from "../rpc/testing/test_service.ts";
import {
  benchServers,
  median,
  numberOption,
  ratios,
  ROOT,
  startServer,
} from "./grpc_bench_support.ts";

const REPS = numberOption("reps", 3);
const N = numberOption("n", 20_000);
const CONCURRENCY = numberOption("concurrency", 32);

async function ourClient(port: number): Promise<{ qps: number; cpuUsPerCall: number }> {
  const services = testingServices(await loadTestingRoot());
  const request = { response_size: 100, payload: { body: new Uint8Array(100) } };
  return await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const client = makeClient(
      services.testService,
      yield* connectRpc(`http://127.0.0.1:${port}`),
    );
    const call = client.UnaryCall(request).pipe(
      Effect.flatMap((res) =>
        res.payload?.body?.length === 100 ? Effect.void : Effect.die(new Error("Bad answer"))
      ),
    );
    const run = (total: number) =>
      Effect.gen(function* () {
        let left = total;
        const worker = Effect.whileLoop({
          while: () => left-- > 0,
          body: () => call,
          step: () => {},
        });
        const t0 = performance.now();
        const cpu0 = process.cpuUsage();
        yield* Effect.all(Array.from({ length: CONCURRENCY }, () => worker), {
          concurrency: "unbounded",
        });
        const cpu = process.cpuUsage(cpu0);
        return {
          qps: total / ((performance.now() - t0) / 1000),
          cpuUsPerCall: (cpu.user + cpu.system) / total,
        };
      });
    yield* run(Math.max(1000, N / 10)); // warm-up (JIT, connection)
    return yield* run(N);
  })));
}

async function child(cmd: string, args: string[]): Promise<{ qps: number; cpu: number }> {
  const out = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "inherit",
    signal: AbortSignal.timeout(300_000),
  }).output();
  const m = /RESULT (\d+) ([\d.]+)/.exec(new TextDecoder().decode(out.stdout));
  if (!out.success || !m) throw new Error(`${cmd} client failed`);
  return { qps: Number(m[1]), cpu: Number(m[2]) };
}

if (Deno.args.includes("--client-only")) {
  const r = await ourClient(numberOption("port", 0));
  console.log(`RESULT ${r.qps.toFixed(0)} ${r.cpuUsPerCall.toFixed(1)}`);
} else {
  const clients = [
    {
      name: "h2kit client (Deno)",
      run: (port: number) =>
        child(Deno.execPath(), [
          "run",
          "-A",
          `${ROOT}bench/grpc_client.ts`,
          "--client-only",
          "--port",
          String(port),
          "--n",
          String(N),
          "--concurrency",
          String(CONCURRENCY),
        ]),
    },
    {
      name: "grpc-js 1.14.7 client (Node 20)",
      run: (port: number) =>
        child("node", [
          `${ROOT}bench/grpc_client_node.mjs`,
          "--port",
          String(port),
          "--n",
          String(N),
          "--concurrency",
          String(CONCURRENCY),
        ]),
    },
  ];
  const b = Deno.args.indexOf("--baseline");
  if (b >= 0) {
    // The same driver in another checkout (see grpc_bench_support.ts), as a third client.
    const dir = Deno.args[b + 1].replace(/\/?$/, "/");
    clients.splice(1, 0, {
      name: "h2kit baseline client (Deno)",
      run: (port: number) =>
        child(Deno.execPath(), [
          "run",
          "-A",
          `--config=${dir}deno.json`,
          `${dir}bench/grpc_client.ts`,
          "--client-only",
          "--port",
          String(port),
          "--n",
          String(N),
          "--concurrency",
          String(CONCURRENCY),
        ]),
    });
  }
  const server = benchServers(false).at(-1)!; // grpc-js
  const results = new Map<string, number[]>(clients.map((c) => [c.name, []]));
  const cpu = new Map<string, number[]>(clients.map((c) => [c.name, []]));
  for (let rep = 0; rep < REPS; rep++) {
    const running = await startServer(server);
    try {
      for (const c of rep % 2 === 0 ? clients : [...clients].reverse()) {
        const r = await c.run(running.port);
        results.get(c.name)!.push(r.qps);
        cpu.get(c.name)!.push(r.cpu);
        console.error(`rep ${rep + 1}: ${c.name}: ${r.qps} calls/s, ${r.cpu} us CPU/call`);
      }
    } finally {
      await running.kill();
    }
  }
  console.log(
    `\nUnary gRPC client QPS against the grpc-js server (UnaryCall, 100-byte request and ` +
      `response), h2c, one connection, ${CONCURRENCY} calls in flight, ${N} calls, median of ` +
      `${REPS}\n`,
  );
  console.log("| client | calls/s (median) | all runs | client CPU us/call (median) |");
  console.log("|---|---|---|---|");
  for (const [name, xs] of results) {
    console.log(
      `| ${name} | ${median(xs).toFixed(0)} | ${xs.join(", ")} | ${median(cpu.get(name)!)} |`,
    );
  }
  console.log(`\nThroughput: ${ratios(results)}`);
  const perCpuSecond = new Map([...cpu].map(([n, xs]) => [n, xs.map((x) => 1e6 / x)]));
  console.log(`Calls per client CPU second: ${ratios(perCpuSecond)}`);
}
