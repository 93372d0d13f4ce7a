/**
 * Unary gRPC client cost and QPS: h2kit's client (`makeClient` over `connectRpc`, one HTTP/2
 * connection, Deno) against grpc-js's own client (one channel, Node 20), side by side in the
 * same run, against the same servers.
 *
 * Method. Each client runs in its own process and makes N UnaryCall calls (100-byte request and
 * response) with C in flight, after a warm-up; the server runs in a third process. Both clients
 * are measured against two servers, h2kit's interop server (Deno) and grpc-js's (Node), one
 * server process per repetition, clients in alternating order. For every run the table gives:
 *
 * - calls/s, wall clock;
 * - client CPU µs per call (user + system of the client process, `process.cpuUsage`): what a
 *   call costs the client, the figure that does not depend on who else uses the cores;
 * - server CPU µs per call (from `/proc/<pid>/stat` around the client's process, its warm-up
 *   included, divided by all its calls; each fresh server is warmed up first by an unmeasured
 *   run, or its JIT would be charged to the first client).
 *
 * Why both. A client and a server on loopback share the machine's cores, so calls/s measures
 * the pair (and whatever else runs), not the client alone: against the grpc-js server, whose
 * CPU per call is of the same order as the clients', every client ends at a similar rate, and
 * on a busy machine the runs spread widely. The client's own CPU per call is the honest
 * measure of the client; the headline ratio is calls per client CPU second. Calls/s is
 * reported too and says most against the cheaper server (h2kit's). The server CPU column shows
 * which side a run was bound by.
 *
 * Usage: deno run -A bench/grpc_client.ts [--reps N] [--n CALLS] [--concurrency C]
 *   [--server h2kit|grpc-js|both] [--baseline DIR]
 *
 * With `--client-only --port P`, runs just h2kit's side against a server at P and prints
 * `RESULT <calls/s> <client CPU us/call> <calls made>` (the mode the driver uses for its child
 * process). `--baseline DIR` adds the same client from another checkout (before/after).
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
const WARMUP = Math.max(1000, Math.floor(N / 10));

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
    yield* run(WARMUP); // JIT, connection
    return yield* run(N);
  })));
}

interface ClientRun {
  readonly qps: number;
  readonly cpu: number;
  readonly calls: number;
}

async function child(cmd: string, args: string[]): Promise<ClientRun> {
  const out = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "inherit",
    signal: AbortSignal.timeout(300_000),
  }).output();
  const m = /RESULT (\d+) ([\d.]+)(?: (\d+))?/.exec(new TextDecoder().decode(out.stdout));
  if (!out.success || !m) throw new Error(`${cmd} client failed`);
  // Older drivers (a baseline checkout) do not print their call count: same formula.
  return { qps: Number(m[1]), cpu: Number(m[2]), calls: Number(m[3] ?? N + WARMUP) };
}

if (Deno.args.includes("--client-only")) {
  const r = await ourClient(numberOption("port", 0));
  console.log(`RESULT ${r.qps.toFixed(0)} ${r.cpuUsPerCall.toFixed(1)} ${N + WARMUP}`);
} else {
  const common = ["--n", String(N), "--concurrency", String(CONCURRENCY)];
  const deno = (dir: string, config: string[]) => (port: number) =>
    child(Deno.execPath(), [
      "run",
      "-A",
      ...config,
      `${dir}bench/grpc_client.ts`,
      "--client-only",
      "--port",
      String(port),
      ...common,
    ]);
  const clients = [
    { name: "h2kit client (Deno)", run: deno(ROOT, []) },
    {
      name: "grpc-js 1.14.7 client (Node 20)",
      run: (port: number) =>
        child("node", [`${ROOT}bench/grpc_client_node.mjs`, "--port", String(port), ...common]),
    },
  ];
  const b = Deno.args.indexOf("--baseline");
  if (b >= 0) {
    // The same driver in another checkout (see grpc_bench_support.ts), as a third client.
    const dir = Deno.args[b + 1].replace(/\/?$/, "/");
    clients.splice(1, 0, {
      name: "h2kit baseline client (Deno)",
      run: deno(dir, [`--config=${dir}deno.json`]),
    });
  }
  const which = Deno.args.includes("--server")
    ? Deno.args[Deno.args.indexOf("--server") + 1]
    : "both";
  // benchServers lists h2kit first and grpc-js last (a baseline server is not wanted here).
  const all = benchServers(false);
  const servers = [all[0], all[all.length - 1]].filter((s) =>
    which === "both" || (which === "h2kit" ? s === all[0] : s === all[all.length - 1])
  );

  type Series = { qps: number[]; cpu: number[]; serverCpu: number[] };
  const results = new Map<string, Map<string, Series>>();
  for (const s of servers) {
    results.set(s.name, new Map(clients.map((c) => [c.name, { qps: [], cpu: [], serverCpu: [] }])));
  }
  for (let rep = 0; rep < REPS; rep++) {
    for (const server of servers) {
      const running = await startServer(server);
      try {
        // Unmeasured: the server's own warm-up (JIT) would otherwise be charged to whichever
        // client runs first.
        await child("node", [
          `${ROOT}bench/grpc_client_node.mjs`,
          "--port",
          String(running.port),
          ...common,
        ]);
        for (const c of rep % 2 === 0 ? clients : [...clients].reverse()) {
          const before = running.cpuSeconds();
          const r = await c.run(running.port);
          const serverCpu = ((running.cpuSeconds() - before) * 1e6) / r.calls;
          const series = results.get(server.name)!.get(c.name)!;
          series.qps.push(r.qps);
          series.cpu.push(r.cpu);
          series.serverCpu.push(Math.round(serverCpu));
          console.error(
            `rep ${rep + 1}, ${server.name}: ${c.name}: ${r.qps} calls/s, client ${r.cpu} ` +
              `us CPU/call, server ${serverCpu.toFixed(0)} us CPU/call`,
          );
        }
      } finally {
        await running.kill();
      }
    }
  }

  console.log(
    `\nUnary gRPC clients (UnaryCall, 100-byte request and response), h2c, one connection, ` +
      `${CONCURRENCY} calls in flight, ${N} calls after ${WARMUP} warm-up, median of ${REPS}\n`,
  );
  console.log(
    "| server | client | calls/s | all runs | client CPU µs/call | server CPU µs/call |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const [server, byClient] of results) {
    for (const [name, s] of byClient) {
      console.log(
        `| ${server} | ${name} | ${median(s.qps).toFixed(0)} | ${s.qps.join(", ")} | ` +
          `${median(s.cpu)} | ${median(s.serverCpu)} |`,
      );
    }
  }
  for (const [server, byClient] of results) {
    const qps = new Map([...byClient].map(([n, s]) => [n, s.qps]));
    const perCpuSecond = new Map([...byClient].map(([n, s]) => [n, s.cpu.map((x) => 1e6 / x)]));
    console.log(`\nAgainst ${server}:`);
    console.log(`Calls per client CPU second: ${ratios(perCpuSecond)}`);
    console.log(`Throughput: ${ratios(qps)}`);
  }
}
