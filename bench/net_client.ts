/**
 * Client throughput: h2kit's client fetching many small responses from nghttpd over one
 * connection, against node:http2's client doing the same, in the same run.
 *
 * Usage: deno run -A bench/net_client.ts [--n 100000] [--c 100] [--reps 3]
 *
 * @module
 */

import "../net/effect_async_context.ts"; // first: before Effect is evaluated
import { Effect } from "effect";
import { connect } from "../net/client.ts";

const args = Deno.args;
function opt(name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
}
const N = opt("n", 100_000);
const C = opt("c", 100);
const REPS = opt("reps", 3);

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function ours(url: string): Promise<number> {
  return await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const client = yield* connect(url);
    const t0 = performance.now();
    let bad = 0;
    yield* Effect.forEach(
      Array.from({ length: N }, () => 0),
      () =>
        Effect.flatMap(client.request({ path: "/" }), (r) =>
          Effect.map(r.bytes, (b) => {
            if (b.length !== 13) bad++;
          })),
      { concurrency: C, discard: true },
    );
    if (bad > 0) throw new Error(`${bad} bad bodies`);
    return N / ((performance.now() - t0) / 1000);
  })));
}

async function node(url: string): Promise<number> {
  const out = await new Deno.Command("node", {
    args: [new URL("./net_client_node.mjs", import.meta.url).pathname, url, String(N), String(C)],
    stdout: "piped",
    signal: AbortSignal.timeout(300_000),
  }).output();
  const m = /REQS_PER_SEC (\d+)/.exec(new TextDecoder().decode(out.stdout));
  if (!m) throw new Error("node client failed");
  return Number(m[1]);
}

const dir = await Deno.makeTempDir({ prefix: "h2kit-bench-" });
await Deno.writeTextFile(`${dir}/index.html`, "hello, world\n");
const port = freePort();
const server = new Deno.Command("nghttpd", {
  args: ["-n", "1", "--no-tls", "-a", "127.0.0.1", "-d", dir, String(port)],
  stdout: "null",
  stderr: "null",
}).spawn();
try {
  for (;;) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const url = `http://127.0.0.1:${port}`;
  await ours(url); // warm-up (JIT)
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < REPS; i++) {
    a.push(await ours(url));
    b.push(await node(url));
  }
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  console.log(`${N} GETs of 13 bytes from nghttpd (h2c), one connection, ${C} in flight`);
  console.log(`| client | req/s (median of ${REPS}) |\n| --- | --- |`);
  console.log(`| h2kit | ${Math.round(med(a))} |\n| node:http2 | ${Math.round(med(b))} |`);
  console.log(`ratio h2kit / node:http2: ${(med(a) / med(b)).toFixed(2)}x`);
} finally {
  server.kill("SIGKILL");
  await server.status;
  await Deno.remove(dir, { recursive: true });
}
