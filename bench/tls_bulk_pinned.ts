/**
 * The TLS bulk bar, measured so it can be met or missed: h2kit's example server serving
 * 1 MiB bodies over TLS, against a raw Deno TLS server writing 1 MiB buffers, each read by the
 * same external reader (`bench/tls_bulk_reader.c`, C over OpenSSL, built here with gcc: frame
 * headers only, windows opened up front, so the reader is never the bound).
 *
 * The raw server is measured twice: streaming (it writes as fast as the socket takes bytes: the
 * socket's ceiling) and answering one-octet requests with 1 MiB each, 4 outstanding per
 * connection (the load shape of `h2load -c 4 -m 4 /big`, without HTTP/2). h2kit is read by the
 * same reader and by h2load. Servers run on CPU 0 and readers on CPU 1 (`taskset`); each server
 * process serves every rep of its row; rows interleave. Each row prints MiB/s and the server's
 * CPU time (user + system, Linux `/proc`) per MiB.
 *
 * Usage: deno run -A bench/tls_bulk_pinned.ts [--reps 5] [--mib 2000] [--baseline DIR]
 *
 * `--baseline DIR` adds `DIR/examples/h2_server.ts` (another checkout) as "h2kit (before)".
 * Needs gcc, OpenSSL's headers (libssl-dev), taskset and h2load.
 *
 * @module
 */

const args = Deno.args;
function opt(name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}
const REPS = Number(opt("reps") ?? 5);
const MIB_TOTAL = Number(opt("mib") ?? 2000);
const BASELINE = opt("baseline");
const MIB = 1 << 20;
/** Connections and requests in flight per connection: the issue's `-c 4 -m 4`. */
const CONNS = 4;
const STREAMS = 4;

const root = new URL("../", import.meta.url).pathname;
const certs = `${root}tests/_support/certs/`;
const CERT = `${certs}server.crt`;
const KEY = `${certs}server.key`;
const CA = `${certs}ca.crt`;

// Child mode: a raw TLS server. `--raw-server stream` writes 1 MiB buffers until the reader goes
// away; `--raw-server requests` writes 1 MiB per request octet read, in order.
const rawAt = args.indexOf("--raw-server");
if (rawAt >= 0) {
  const requests = args[rawAt + 1] === "requests";
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: Deno.readTextFileSync(CERT),
    key: Deno.readTextFileSync(KEY),
  });
  const chunk = new Uint8Array(MIB).fill(0x78);
  const writeChunk = async (c: Deno.TlsConn) => {
    let off = 0;
    while (off < chunk.length) off += await c.write(chunk.subarray(off));
  };
  console.log(`LISTENING ${(listener.addr as Deno.NetAddr).port}`);
  for await (const c of listener) {
    (async () => {
      try {
        if (!requests) {
          for (;;) await writeChunk(c);
        }
        let owed = 0;
        let wake: (() => void) | undefined;
        (async () => {
          const buf = new Uint8Array(64);
          try {
            for (;;) {
              const n = await c.read(buf);
              if (n === null) break;
              owed += n;
              wake?.();
            }
          } catch {
            // Closed while reading.
          }
          owed = -1;
          wake?.();
        })();
        for (;;) {
          while (owed === 0) await new Promise<void>((resolve) => wake = resolve);
          if (owed < 0) break;
          owed--;
          await writeChunk(c);
        }
      } catch {
        // The reader went away.
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

const readerBin = `${await Deno.makeTempDir({ prefix: "tls_bulk_" })}/tls_bulk_reader`;
{
  const cc = await new Deno.Command("gcc", {
    args: ["-O2", "-o", readerBin, `${root}bench/tls_bulk_reader.c`, "-lssl", "-lcrypto"],
  }).output();
  if (!cc.success) throw new Error(`gcc: ${new TextDecoder().decode(cc.stderr)}`);
}

interface Server {
  name: string;
  /** What the C reader speaks to it. */
  mode: "raw" | "raw-requests" | "h2";
  proc: Deno.ChildProcess;
  port: number;
}

async function start(
  name: string,
  mode: Server["mode"],
  script: string,
  extra: string[],
): Promise<Server> {
  const proc = new Deno.Command("taskset", {
    args: ["-c", "0", Deno.execPath(), "run", "-A", script, ...extra],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = proc.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${name} exited before listening`);
    seen += value;
    const m = /LISTENING (\d+)/.exec(seen);
    if (m) {
      // Keep draining stdout so the server never blocks on a full pipe.
      (async () => {
        while (!(await reader.read()).done);
      })();
      return { name, mode, proc, port: Number(m[1]) };
    }
  }
}

/** User + system CPU seconds of a process so far (Linux `/proc/<pid>/stat`). */
function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = 100; // USER_HZ on Linux
  return (Number(fields[11]) + Number(fields[12])) / ticks;
}

async function run(cmd: string, cmdArgs: string[]): Promise<string> {
  const out = await new Deno.Command("taskset", {
    args: ["-c", "1", cmd, ...cmdArgs],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`${cmd} failed: ${new TextDecoder().decode(out.stderr)}${text}`);
  }
  return text;
}

/** One measured read: returns [MiB/s, server CPU µs per MiB]. */
async function measure(server: Server, reader: "c" | "h2load"): Promise<[number, number]> {
  const cpu0 = cpuSeconds(server.proc.pid);
  let mib: number;
  let secs: number;
  if (reader === "c") {
    const text = await run(readerBin, [
      String(server.port),
      CA,
      server.mode,
      String(MIB_TOTAL),
      String(CONNS),
      String(STREAMS),
    ]);
    [mib, secs] = text.trim().split(" ").map(Number);
  } else {
    const text = await run("h2load", [
      "-t1",
      `-n${MIB_TOTAL}`,
      `-c${CONNS}`,
      `-m${STREAMS}`,
      `https://127.0.0.1:${server.port}/big`,
    ]);
    const fin = /finished in ([\d.]+)(ms|s)/.exec(text);
    const ok = /(\d+) succeeded/.exec(text);
    if (!fin || !ok || Number(ok[1]) !== MIB_TOTAL) throw new Error(`h2load: ${text}`);
    secs = Number(fin[1]) / (fin[2] === "ms" ? 1000 : 1);
    mib = MIB_TOTAL;
  }
  const cpu = cpuSeconds(server.proc.pid) - cpu0;
  return [mib / secs, (cpu * 1e6) / mib];
}

const self = `${root}bench/tls_bulk_pinned.ts`;
const h2Args = ["--port", "0", "--cert", CERT, "--key", KEY];
const servers: Server[] = [
  await start("raw Deno TLS, streaming", "raw", self, ["--raw-server", "stream"]),
  await start("raw Deno TLS, 1 MiB per request", "raw-requests", self, [
    "--raw-server",
    "requests",
  ]),
  await start("h2kit", "h2", `${root}examples/h2_server.ts`, h2Args),
];
if (BASELINE !== undefined) {
  servers.push(
    await start("h2kit (before)", "h2", `${BASELINE}/examples/h2_server.ts`, h2Args),
  );
}

const rows = new Map<string, [number, number][]>();
function record(label: string, value: [number, number]): void {
  rows.set(label, [...(rows.get(label) ?? []), value]);
}

// Warm-up: one untimed read of each server.
for (const s of servers) await measure(s, "c");
for (let rep = 0; rep < REPS; rep++) {
  for (const s of servers) {
    record(`${s.name} · C reader`, await measure(s, "c"));
    if (s.mode === "h2") record(`${s.name} · h2load`, await measure(s, "h2load"));
  }
}
for (const s of servers) {
  s.proc.kill("SIGTERM");
  await s.proc.status;
}
await Deno.remove(readerBin);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
const tput = (label: string) => median(rows.get(label)!.map((x) => x[0]));

console.log(
  `\n${MIB_TOTAL} MiB per rep over ${CONNS} connections, ${STREAMS} requests in flight each; ` +
    `${REPS} reps; server on CPU 0, reader on CPU 1`,
);
console.log("| server · reader | MiB/s median (min..max) | server CPU µs/MiB median |");
console.log("| --- | --- | --- |");
for (const [label, xs] of rows) {
  const t = xs.map((x) => x[0]);
  console.log(
    `| ${label} | ${fmt(median(t))} (${fmt(Math.min(...t))}..${fmt(Math.max(...t))}) | ${
      fmt(median(xs.map((x) => x[1])))
    } |`,
  );
}
const ours = tput("h2kit · C reader");
console.log(
  `\nh2kit ÷ raw streaming: ${(ours / tput("raw Deno TLS, streaming · C reader")).toFixed(2)}×; ` +
    `h2kit ÷ raw 1 MiB per request: ${
      (ours / tput("raw Deno TLS, 1 MiB per request · C reader")).toFixed(2)
    }× (same reader, medians)`,
);
