/**
 * Unary gRPC QPS: h2kit's interop server (`examples/interop_server.ts`, Deno)
 * against the grpc-js interop server (`tests/interop/node/interop_server.mjs`,
 * Node 20), both serving grpc.testing.TestService, driven by the same load
 * generator in the same run: h2load POSTing one fixed gRPC request body with
 * `content-type: application/grpc` and `te: trailers`.
 *
 * Usage: deno run -A bench/grpc_unary.ts [--reps N] [--n N] [--clients C] [--streams M]
 *   [--tls]
 *
 * Each server is started, warmed up, measured and killed in turn (one at a time, PIDs owned
 * by this script), alternating for `reps` rounds; the median is reported. Before measuring,
 * one call per server is made with h2kit's gRPC client to check the answer is right.
 *
 * @module
 */

import { Effect } from "effect";
import { makeClient } from "../rpc/client.ts";
import { connectRpc } from "../rpc/h2_transport.ts";
import { loadTestingRoot, testingServices } from "../rpc/testing/test_service.ts";

const args = Deno.args;
function opt(name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
}
const REPS = opt("reps", 3);
const N = opt("n", 30_000);
const CLIENTS = opt("clients", 2);
const STREAMS = opt("streams", 32);
const TLS = args.includes("--tls");

const root = new URL("../", import.meta.url).pathname;
const CA = Deno.readTextFileSync(`${root}tests/_support/certs/ca.crt`);

interface Server {
  name: string;
  cmd: string;
  args: string[];
}
const servers: Server[] = [
  {
    name: "h2kit (Deno)",
    cmd: Deno.execPath(),
    args: ["run", "-A", `${root}examples/interop_server.ts`, "--port", "0"],
  },
  {
    name: "grpc-js 1.14.7 (Node 20)",
    cmd: "node",
    args: [`${root}tests/interop/node/interop_server.mjs`, "--port", "0"],
  },
];
if (TLS) { for (const s of servers) s.args.push("--use_tls"); }

// SimpleRequest{response_size: 100, payload: {body: 100 zero bytes}} in one gRPC frame.
function requestBody(): Uint8Array {
  const payload = [0x12, 100, ...new Array(100).fill(0)]; // Payload.body (field 2), 100 bytes
  const message = [0x10, 100, 0x1a, payload.length, ...payload]; // response_size, payload
  return new Uint8Array([0, 0, 0, 0, message.length, ...message]);
}

async function start(server: Server): Promise<{ port: number; kill: () => Promise<void> }> {
  const child = new Deno.Command(server.cmd, {
    args: server.args,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const kill = async () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await child.status;
  };
  const reader = child.stdout.getReader();
  let text = "";
  const timer = setTimeout(() => kill(), 20_000);
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) throw new Error(`${server.name} exited before listening`);
      text += new TextDecoder().decode(r.value);
      const m = /LISTENING (\d+)/.exec(text);
      if (m) {
        (async () => {
          while (!(await reader.read()).done) { /* drain */ }
        })().catch(() => {});
        return { port: Number(m[1]), kill };
      }
    }
  } catch (e) {
    await kill();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

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

async function h2load(port: number, bodyFile: string, n: number): Promise<number> {
  const url = `${TLS ? "https://localhost" : "http://127.0.0.1"}:${port}` +
    "/grpc.testing.TestService/UnaryCall";
  const out = await new Deno.Command("h2load", {
    args: [
      "-n",
      String(n),
      "-c",
      String(CLIENTS),
      "-m",
      String(STREAMS),
      "-d",
      bodyFile,
      "-H",
      "content-type: application/grpc",
      "-H",
      "te: trailers",
      url,
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(300_000),
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const rps = /finished in [^,]+, ([\d.]+) req\/s/.exec(text);
  const ok = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded/.exec(text);
  if (!rps || !ok || Number(ok[1]) !== n) throw new Error(`h2load failed:\n${text}`);
  return Number(rps[1]);
}

const bodyFile = await Deno.makeTempFile({ prefix: "grpc-unary-", suffix: ".bin" });
await Deno.writeFile(bodyFile, requestBody());
const results = new Map<string, number[]>(servers.map((s) => [s.name, []]));
try {
  for (let rep = 0; rep < REPS; rep++) {
    for (const server of rep % 2 === 0 ? servers : [...servers].reverse()) {
      const running = await start(server);
      try {
        await checkAnswer(running.port);
        await h2load(running.port, bodyFile, Math.max(1000, N / 10)); // warm-up (JIT)
        const rps = await h2load(running.port, bodyFile, N);
        results.get(server.name)!.push(rps);
        console.error(`rep ${rep + 1}: ${server.name}: ${rps.toFixed(0)} req/s`);
      } finally {
        await running.kill();
      }
    }
  }
} finally {
  await Deno.remove(bodyFile);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ours = median(results.get(servers[0].name)!);
const theirs = median(results.get(servers[1].name)!);
console.log(
  `\nUnary gRPC (UnaryCall, 100-byte request and response), ${TLS ? "TLS" : "h2c"}, ` +
    `h2load -n ${N} -c ${CLIENTS} -m ${STREAMS}, median of ${REPS}\n`,
);
console.log("| server | req/s (median) | all runs |");
console.log("|---|---|---|");
for (const [name, xs] of results) {
  console.log(`| ${name} | ${median(xs).toFixed(0)} | ${xs.map((x) => x.toFixed(0)).join(", ")} |`);
}
console.log(`\nh2kit / grpc-js = ${(ours / theirs).toFixed(2)}x`);
