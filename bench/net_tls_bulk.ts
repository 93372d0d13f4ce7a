/**
 * Bulk TLS throughput with the same client stack on both sides of the comparison: h2kit's
 * client fetching 1 MiB responses from h2kit's example server (another process), against a raw
 * Deno TLS server process pushing the same bytes in 1 MiB writes to a raw Deno TLS reader.
 * Both ends of both runs are Deno/rustls, so the ratio isolates what HTTP/2 framing and
 * h2kit cost. (h2load speaks only HTTP/2, so it cannot read the raw socket and show that
 * ratio.) Also prints each server's CPU time per MiB sent (Linux `/proc`), which is steadier
 * than throughput on a shared machine, and the client's (this process): the h2kit client does
 * more per MiB than the raw reader (frame parsing, window updates, assembling bodies), so when
 * it is the busier side it, not the server, sets the h2kit row's MiB/s.
 *
 * Usage: deno run -A bench/net_tls_bulk.ts [--n 1000] [--reps 3] [--server label=path ...]
 *
 * `--server` adds another h2kit server script to compare side by side (for example the same
 * example from a checkout of an earlier commit); the default is `examples/h2_server.ts`.
 *
 * @module
 */

import "../net/effect_async_context.ts"; // first: before Effect is evaluated
import { Effect } from "effect";
import process from "node:process";
import { connect } from "../net/client.ts";

const args = Deno.args;
function opt(name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
}
const N = opt("n", 1000);
const REPS = opt("reps", 3);
const MIB = 1 << 20;

const root = new URL("../", import.meta.url).pathname;
const certs = `${root}tests/_support/certs/`;
const CERT = `${certs}server.crt`;
const KEY = `${certs}server.key`;
const CA = Deno.readTextFileSync(`${certs}ca.crt`);

// Child mode: a raw TLS server that pushes `n` MiB to each connection, then closes it.
const rawAt = args.indexOf("--raw-server");
if (rawAt >= 0) {
  const port = Number(args[rawAt + 1]);
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port,
    cert: Deno.readTextFileSync(CERT),
    key: Deno.readTextFileSync(KEY),
  });
  const chunk = new Uint8Array(MIB).fill(0x78);
  for await (const c of listener) {
    (async () => {
      try {
        for (let i = 0; i < N; i++) {
          let off = 0;
          while (off < chunk.length) off += await c.write(chunk.subarray(off));
        }
      } catch {
        // A readiness probe or a reader that went away.
      } finally {
        try {
          c.close();
        } catch {
          // Already closed.
        }
      }
    })();
  }
  Deno.exit(0);
}

const servers: Array<{ label: string; path: string }> = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--server") {
    const [label, path] = args[i + 1].split("=");
    servers.push({ label, path });
  }
}
if (servers.length === 0) servers.push({ label: "h2kit", path: `${root}examples/h2_server.ts` });

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

/** CPU time (user + system) of a process in milliseconds, from /proc. */
function cpuMs(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10; // USER_HZ = 100
}

function spawn(cmdArgs: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), { args: cmdArgs, stdout: "null", stderr: "null" })
    .spawn();
}

async function stop(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch {
    // Exited.
  }
  await child.status;
}

/** h2kit client: `n` GETs of /big, 4 in flight on one connection. */
async function fetchBig(port: number, n: number): Promise<number> {
  return await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const client = yield* connect(`https://localhost:${port}`, { caCerts: [CA] });
    const t0 = performance.now();
    let bytes = 0;
    yield* Effect.forEach(
      Array.from({ length: n }, () => 0),
      () =>
        Effect.flatMap(
          client.request({ path: "/big", headers: { "accept-encoding": "identity" } }),
          (r) =>
            Effect.map(r.bytes, (b) => {
              bytes += b.length;
            }),
        ),
      { concurrency: 4, discard: true },
    );
    if (bytes !== n * MIB) throw new Error(`Received ${bytes} bytes, expected ${n * MIB}`);
    return bytes / MIB / ((performance.now() - t0) / 1000);
  })));
}

async function readRaw(port: number): Promise<number> {
  const conn = await Deno.connectTls({ hostname: "localhost", port, caCerts: [CA] });
  const buf = new Uint8Array(256 * 1024);
  const t0 = performance.now();
  let n = 0;
  for (;;) {
    const r = await conn.read(buf);
    if (r === null) break;
    n += r;
  }
  conn.close();
  if (n !== N * MIB) throw new Error(`Raw read ${n} bytes, expected ${N * MIB}`);
  return n / MIB / ((performance.now() - t0) / 1000);
}

/** CPU time (user + system) of this process in milliseconds. */
function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const results = new Map<string, { mibs: number[]; cpu: number[]; clientCpu: number[] }>();
function record(key: string, mibs: number, cpu: number, clientCpu: number): void {
  const r = results.get(key) ??
    results.set(key, { mibs: [], cpu: [], clientCpu: [] }).get(key)!;
  r.mibs.push(mibs);
  r.cpu.push(cpu);
  r.clientCpu.push(clientCpu);
}

for (let rep = 0; rep < REPS; rep++) {
  for (const s of servers) {
    const port = freePort();
    const child = spawn([
      "run",
      "-A",
      s.path,
      "--port",
      String(port),
      "--cert",
      CERT,
      "--key",
      KEY,
    ]);
    try {
      await waitPort(port);
      await fetchBig(port, 50); // warm-up
      const c0 = cpuMs(child.pid);
      const own0 = ownCpuMs();
      const mibs = await fetchBig(port, N);
      const client = (ownCpuMs() - own0) * 1000 / N;
      record(s.label, mibs, (cpuMs(child.pid) - c0) * 1000 / N, client);
    } finally {
      await stop(child);
    }
  }
  const port = freePort();
  const child = spawn([
    "run",
    "-A",
    new URL(import.meta.url).pathname,
    "--raw-server",
    String(port),
    "--n",
    String(N),
  ]);
  try {
    await waitPort(port);
    const c0 = cpuMs(child.pid);
    const own0 = ownCpuMs();
    const mibs = await readRaw(port);
    const client = (ownCpuMs() - own0) * 1000 / N;
    record("raw Deno TLS socket", mibs, (cpuMs(child.pid) - c0) * 1000 / N, client);
  } finally {
    await stop(child);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
console.log(`\n${N} x 1 MiB over TLS, Deno client; median of ${REPS} (min..max)\n`);
console.log("| server | MiB/s | server CPU µs per MiB | client CPU µs per MiB |");
console.log("| --- | --- | --- | --- |");
for (const [key, r] of results) {
  console.log(
    `| ${key} | ${fmt(median(r.mibs))} (${fmt(Math.min(...r.mibs))}..${
      fmt(Math.max(...r.mibs))
    }) | ${fmt(median(r.cpu))} | ${fmt(median(r.clientCpu))} |`,
  );
}
const raw = median(results.get("raw Deno TLS socket")!.mibs);
for (const s of servers) {
  console.log(`- ${s.label} / raw: ${(median(results.get(s.label)!.mibs) / raw).toFixed(2)}x`);
}
