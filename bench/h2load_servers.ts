/**
 * h2load against h2kit's example server, `Deno.serve` and `node:http2`, TLS
 * and h2c, in the same run on the same machine; prints a markdown table and
 * the ratios the issue asks for. (The TLS bulk bar, a raw Deno TLS socket read by the same
 * reader, is `bench/tls_bulk_pinned.ts`.)
 *
 * Usage: deno run -A bench/h2load_servers.ts [--reps N] [--small-n N] [--big-n N]
 *   [--only small|big] [--baseline DIR]
 *
 * `--baseline DIR` adds "h2kit (before)": `DIR/examples/h2_server.ts` from another checkout
 * (e.g. `git worktree add /tmp/base HEAD~1`), measured interleaved with the current tree.
 * `--only` runs one of the two loads.
 *
 * Servers are started and killed by this script (PIDs it owns), one at a time,
 * on 127.0.0.1. Needs h2load, node and the peers in /work/shared/peers/servers.
 *
 * @module
 */

const args = Deno.args;
function opt(name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
}
const REPS = opt("reps", 3);
const SMALL_N = opt("small-n", 200_000);
const BIG_N = opt("big-n", 2000);
function strOpt(name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}
const ONLY = strOpt("only");
const BASELINE = strOpt("baseline");
const TESTS = ONLY === "small" ? ["small"] : ONLY === "big" ? ["big"] : ["small", "big"];

const root = new URL("../", import.meta.url).pathname;
const certs = `${root}tests/_support/certs/`;
const CERT = `${certs}server.crt`;
const KEY = `${certs}server.key`;
const PEERS = "/work/shared/peers/servers/";

interface ServerSpec {
  name: string;
  tls: boolean;
  cmd: string;
  args: (port: number) => string[];
}

const servers: ServerSpec[] = [];
for (const tls of [true, false]) {
  servers.push({
    name: "h2kit",
    tls,
    cmd: Deno.execPath(),
    args: (port) => [
      "run",
      "-A",
      `${root}examples/h2_server.ts`,
      "--port",
      String(port),
      ...(tls ? ["--cert", CERT, "--key", KEY] : []),
    ],
  });
  if (BASELINE !== undefined) {
    servers.push({
      name: "h2kit (before)",
      tls,
      cmd: Deno.execPath(),
      args: (port) => [
        "run",
        "-A",
        `${BASELINE}/examples/h2_server.ts`,
        "--port",
        String(port),
        ...(tls ? ["--cert", CERT, "--key", KEY] : []),
      ],
    });
  }
  servers.push({
    name: "Deno.serve",
    tls,
    cmd: Deno.execPath(),
    args: (port) => [
      "run",
      "-A",
      `${PEERS}deno_serve.ts`,
      "--port",
      String(port),
      ...(tls ? ["--tls", CERT, KEY] : []),
    ],
  });
  servers.push({
    name: "node:http2",
    tls,
    cmd: "node",
    args: (port) => [
      `${PEERS}node_h2.mjs`,
      "--port",
      String(port),
      ...(tls ? ["--tls", CERT, KEY] : []),
    ],
  });
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function waitPort(port: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** CPU time (user + system) of a process in milliseconds, from Linux /proc (USER_HZ 100). */
function cpuMs(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function h2load(
  url: string,
  extra: string[],
): Promise<{ rps: number; ok: number; bad: number }> {
  const out = await new Deno.Command("h2load", {
    args: ["-t", "1", ...extra, url],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const fin = /finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(text);
  const req = /(\d+) succeeded, (\d+) failed, (\d+) errored/.exec(text);
  if (!fin || !req) throw new Error(`h2load failed: ${text}`);
  return { rps: Number(fin[1]), ok: Number(req[1]), bad: Number(req[2]) + Number(req[3]) };
}

type Key = string;
const results = new Map<Key, number[]>();
const failures: string[] = [];

async function measure(spec: ServerSpec, warm: boolean): Promise<void> {
  const port = freePort();
  const child = new Deno.Command(spec.cmd, {
    args: spec.args(port),
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await waitPort(port);
    const base = `${spec.tls ? "https" : "http"}://127.0.0.1:${port}`;
    const small = ["-n", String(SMALL_N), "-c", "10", "-m", "50"];
    const big = ["-n", String(BIG_N), "-c", "4", "-m", "4"];
    if (warm) {
      if (TESTS.includes("small")) {
        await h2load(`${base}/`, ["-n", "20000", "-c", "10", "-m", "50"]);
      }
      if (TESTS.includes("big")) await h2load(`${base}/big`, ["-n", "200", "-c", "4", "-m", "4"]);
    }
    const runs: Array<readonly [string, { rps: number; bad: number }]> = [];
    if (TESTS.includes("small")) runs.push(["small", await h2load(`${base}/`, small)]);
    const mode = spec.tls ? "TLS" : "h2c";
    if (TESTS.includes("big")) {
      const c0 = cpuMs(child.pid);
      runs.push(["big", await h2load(`${base}/big`, big)]);
      const key = `${spec.name}|${mode}|cpu`;
      (results.get(key) ?? results.set(key, []).get(key)!).push(
        (cpuMs(child.pid) - c0) * 1000 / BIG_N,
      );
    }
    for (const [test, r] of runs) {
      const key = `${spec.name}|${mode}|${test}`;
      (results.get(key) ?? results.set(key, []).get(key)!).push(r.rps);
      if (r.bad > 0) failures.push(`${key}: ${r.bad} failed/errored`);
    }
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // Exited.
    }
    await child.status;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

for (let rep = 0; rep < REPS; rep++) {
  for (const spec of servers) await measure(spec, rep === 0);
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
/** "median (min..max)" of a series, or "-" when it was not measured. */
function cell(key: string): string {
  const xs = results.get(key);
  if (xs === undefined) return "-";
  return `${fmt(median(xs))} (${fmt(Math.min(...xs))}..${fmt(Math.max(...xs))})`;
}
const m = (name: string, mode: string, test: string) => {
  const xs = results.get(`${name}|${mode}|${test}`);
  return xs === undefined ? NaN : median(xs);
};
console.log(`\nh2load -t 1; small: -n ${SMALL_N} -c 10 -m 50; big (1 MiB): -n ${BIG_N} -c 4 -m 4;`);
console.log(`median of ${REPS} interleaved reps (min..max in brackets)\n`);
console.log("| server | mode | small req/s | big MiB/s | server CPU µs per MiB (big) |");
console.log("| --- | --- | --- | --- | --- |");
for (const spec of servers.filter((s) => s.tls).concat(servers.filter((s) => !s.tls))) {
  const mode = spec.tls ? "TLS" : "h2c";
  const k = `${spec.name}|${mode}|`;
  console.log(
    `| ${spec.name} | ${mode} | ${cell(k + "small")} | ${cell(k + "big")} | ${cell(k + "cpu")} |`,
  );
}
console.log("\nRatios (h2kit / other):");
const others = ["Deno.serve", "node:http2", ...(BASELINE !== undefined ? ["h2kit (before)"] : [])];
for (const mode of ["TLS", "h2c"]) {
  for (const other of others) {
    const parts: string[] = [];
    for (const [label, test] of [["small", "small"], ["big", "big"], ["server CPU/MiB", "cpu"]]) {
      const r = m("h2kit", mode, test) / m(other, mode, test);
      if (!Number.isNaN(r)) parts.push(`${label} ${r.toFixed(2)}x`);
    }
    console.log(`- ${mode} vs ${other}: ${parts.join("; ")}`);
  }
}
console.log(failures.length === 0 ? "\nNo failed or errored requests." : failures.join("\n"));
