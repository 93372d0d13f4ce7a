/**
 * Shared plumbing of the gRPC benchmarks (`bench/grpc_*.ts`): the two servers
 * under test (h2kit's interop server in Deno and the grpc-js interop server in
 * Node, both serving grpc.testing.TestService), started and killed one at a
 * time by PID, and an h2load driver that posts one fixed gRPC request body.
 *
 * @module
 */

/** A server under test: how to start it. */
export interface BenchServer {
  /** Display name. */
  readonly name: string;
  /** Executable. */
  readonly cmd: string;
  /** Arguments; it must print `LISTENING <port>` once ready. */
  readonly args: string[];
}

/** The repository root (with a trailing slash). */
export const ROOT: string = new URL("../", import.meta.url).pathname;

/** The CA that signed the test certificates (for TLS runs). */
export const CA: string = Deno.readTextFileSync(`${ROOT}tests/_support/certs/ca.crt`);

/**
 * The interop servers: h2kit first, grpc-js last, and with `--baseline DIR` on the command line
 * a second h2kit built from another checkout (e.g. `git archive HEAD` unpacked in DIR, with
 * `node_modules` linked), so before and after are measured in the same run.
 *
 * @param tls Serve TLS (ALPN h2) instead of h2c.
 * @returns Their start commands.
 */
export function benchServers(tls: boolean): BenchServer[] {
  const extra = tls ? ["--use_tls"] : [];
  const h2kit = (name: string, root: string): BenchServer => ({
    name,
    cmd: Deno.execPath(),
    args: [
      "run",
      "-A",
      `--config=${root}deno.json`,
      `${root}examples/interop_server.ts`,
      "--port",
      "0",
      ...extra,
    ],
  });
  const servers = [h2kit("h2kit (Deno)", ROOT)];
  const i = Deno.args.indexOf("--baseline");
  if (i >= 0) servers.push(h2kit("h2kit baseline (Deno)", Deno.args[i + 1].replace(/\/?$/, "/")));
  servers.push({
    name: "grpc-js 1.14.7 (Node 20)",
    cmd: "node",
    args: [`${ROOT}tests/interop/node/interop_server.mjs`, "--port", "0", ...extra],
  });
  return servers;
}

/**
 * Each server's median next to the last server's (grpc-js), as `name: ratio` lines.
 *
 * @param results Runs per server name, grpc-js last.
 * @returns The ratio lines.
 */
export function ratios(results: Map<string, number[]>): string {
  const names = [...results.keys()];
  const theirs = median(results.get(names[names.length - 1])!);
  return names.slice(0, -1).map((n) =>
    `${n} / ${names[names.length - 1]} = ${(median(results.get(n)!) / theirs).toFixed(2)}x`
  ).join("\n");
}

/** A started server. */
export interface Running {
  /** Its port. */
  readonly port: number;
  /**
   * CPU time (user + system) the server process has used so far, in seconds, from
   * `/proc/<pid>/stat`. Differences around a run give CPU per call, a figure that stays
   * meaningful when other processes share the cores (throughput does not).
   */
  cpuSeconds(): number;
  /** Kills it (SIGKILL) and waits for it to exit. */
  kill(): Promise<void>;
}

// Clock ticks per second of /proc times (USER_HZ); 100 on Linux x86-64.
const CLOCK_TICKS = 100;

function cpuSecondsOf(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/**
 * Starts a server and waits for its `LISTENING <port>` line (20 s at most).
 *
 * @param server What to start.
 * @returns The running server.
 */
export async function startServer(server: BenchServer): Promise<Running> {
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
        return { port: Number(m[1]), kill, cpuSeconds: () => cpuSecondsOf(child.pid) };
      }
    }
  } catch (e) {
    await kill();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** One gRPC message (uncompressed) in its 5-byte envelope. */
export function grpcFrame(message: number[]): Uint8Array {
  const n = message.length;
  return new Uint8Array([0, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff, ...message]);
}

/** A protobuf base-128 varint. */
export function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

/**
 * `SimpleRequest{response_size: size, payload: {body: size zero bytes}}` (UnaryCall).
 *
 * @param size Request and response payload size.
 * @returns The message bytes.
 */
export function simpleRequest(size: number): number[] {
  const payload = [0x12, ...varint(size), ...new Array(size).fill(0)]; // Payload.body (2)
  return [0x10, ...varint(size), 0x1a, ...varint(payload.length), ...payload];
}

/**
 * `StreamingOutputCallRequest` asking for `count` responses of `size` bytes each
 * (StreamingOutputCall).
 *
 * @param count Number of response messages.
 * @param size Payload bytes per response.
 * @returns The message bytes.
 */
export function streamingRequest(count: number, size: number): number[] {
  const param = [0x08, ...varint(size)]; // ResponseParameters.size (1)
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(0x12, param.length, ...param); // response_parameters (2)
  return out;
}

/** Options of {@link h2load}. */
export interface H2loadOptions {
  /** Server port. */
  readonly port: number;
  /** Use TLS (`https://localhost`). */
  readonly tls: boolean;
  /** gRPC method path. */
  readonly path: string;
  /** File holding the request body. */
  readonly bodyFile: string;
  /** Number of requests. */
  readonly n: number;
  /** Connections. */
  readonly clients: number;
  /** Max concurrent streams per connection. */
  readonly streams: number;
  /** Optional per-request log (`h2load --log-file`). */
  readonly logFile?: string;
  /** Extra request headers, `name: value` (e.g. `grpc-timeout: 10S` to set a deadline). */
  readonly headers?: readonly string[];
}

/** What {@link h2load} measured. */
export interface H2loadResult {
  /** Requests per second. */
  readonly rps: number;
  /** Response bytes per second (headers and DATA). */
  readonly bytesPerSecond: number;
}

/**
 * Runs h2load with gRPC headers (`content-type: application/grpc`, `te: trailers`) and checks
 * every request succeeded (HTTP 200; h2load does not look at `grpc-status`, so callers check one
 * answer with a real gRPC client first).
 *
 * @param o What to run.
 * @returns Requests and bytes per second.
 */
export async function h2load(o: H2loadOptions): Promise<H2loadResult> {
  const url = `${o.tls ? "https://localhost" : "http://127.0.0.1"}:${o.port}${o.path}`;
  const args = ["-n", String(o.n), "-c", String(o.clients), "-m", String(o.streams)];
  args.push("-d", o.bodyFile, "-H", "content-type: application/grpc", "-H", "te: trailers");
  for (const h of o.headers ?? []) args.push("-H", h);
  if (o.logFile !== undefined) args.push("--log-file", o.logFile);
  const out = await new Deno.Command("h2load", {
    args: [...args, url],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(300_000),
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const rps = /finished in ([\d.]+)(m?s), ([\d.]+) req\/s/.exec(text);
  const ok = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded/.exec(text);
  const traffic = /traffic: [^(]*\((\d+)\) total/.exec(text);
  if (!rps || !ok || Number(ok[1]) !== o.n || !traffic) {
    throw new Error(`h2load failed:\n${text}`);
  }
  const seconds = Number(rps[1]) / (rps[2] === "ms" ? 1000 : 1);
  return { rps: Number(rps[3]), bytesPerSecond: Number(traffic[1]) / seconds };
}

/**
 * Writes a request body to a temporary file for h2load.
 *
 * @param body The body.
 * @returns The file path; remove it when done.
 */
export async function bodyFile(body: Uint8Array): Promise<string> {
  const file = await Deno.makeTempFile({ prefix: "grpc-bench-", suffix: ".bin" });
  await Deno.writeFile(file, body);
  return file;
}

/**
 * The median of a list.
 *
 * @param xs Values.
 * @returns The median (upper one for even lengths).
 */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

/**
 * The extra h2load headers for the `--timeout` flag: `grpc-timeout: 10S`, so every call
 * carries a deadline (as real clients' calls do) and the server watches it.
 *
 * @returns The headers, none without the flag.
 */
export function timeoutHeaders(): string[] {
  return Deno.args.includes("--timeout") ? ["grpc-timeout: 10S"] : [];
}

/**
 * A numeric command-line option `--name N`.
 *
 * @param name Option name.
 * @param def Default.
 * @returns Its value.
 */
export function numberOption(name: string, def: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : def;
}

/** What {@link runInterleaved} measured, per server name: one value per repetition. */
export interface InterleavedRuns {
  /** Units per second (calls, or messages when a call carries several). */
  readonly rate: Map<string, number[]>;
  /** Server CPU microseconds per unit. */
  readonly cpuUs: Map<string, number[]>;
}

/**
 * Measures every server in turn, alternating their order each repetition, with the same h2load
 * run: start, check one answer with a real gRPC client, warm up (JIT), then time `n` calls and
 * read the server's CPU time around them. Each server runs alone; its process is killed after.
 *
 * @param o Servers, repetitions, the request, the check and the h2load settings; `unitsPerCall`
 *   turns calls into messages, `unit` names them in the progress lines.
 * @returns Throughput and CPU per unit, per server.
 */
export async function runInterleaved(o: {
  readonly servers: readonly BenchServer[];
  readonly reps: number;
  readonly body: Uint8Array;
  readonly check: (port: number) => Promise<void>;
  readonly load: Omit<H2loadOptions, "port" | "bodyFile" | "n">;
  readonly n: number;
  readonly warmup: number;
  readonly unitsPerCall?: number;
  readonly unit: string;
}): Promise<InterleavedRuns> {
  const per = o.unitsPerCall ?? 1;
  const rate = new Map<string, number[]>(o.servers.map((s) => [s.name, []]));
  const cpuUs = new Map<string, number[]>(o.servers.map((s) => [s.name, []]));
  const file = await bodyFile(o.body);
  try {
    for (let rep = 0; rep < o.reps; rep++) {
      for (const server of rep % 2 === 0 ? o.servers : [...o.servers].reverse()) {
        const running = await startServer(server);
        try {
          await o.check(running.port);
          const run = (n: number) => h2load({ ...o.load, port: running.port, bodyFile: file, n });
          await run(o.warmup);
          const cpu0 = running.cpuSeconds();
          const { rps } = await run(o.n);
          const us = (running.cpuSeconds() - cpu0) / (o.n * per) * 1e6;
          rate.get(server.name)!.push(rps * per);
          cpuUs.get(server.name)!.push(us);
          console.error(
            `rep ${rep + 1}: ${server.name}: ${(rps * per).toFixed(0)} ${o.unit}/s, ` +
              `${us.toFixed(2)} us CPU/${o.unit}`,
          );
        } finally {
          await running.kill();
        }
      }
    }
  } finally {
    await Deno.remove(file);
  }
  return { rate, cpuUs };
}

/**
 * Prints what {@link runInterleaved} measured: a markdown table (median rate, every run, median
 * server CPU per unit), the throughput ratios and the units per server CPU second as ratios
 * (above 1x: cheaper than the last server, grpc-js).
 *
 * @param title The heading line.
 * @param runs The measurements.
 * @param unit What a unit is ("call", "message").
 * @param payloadBytes When given, a column of payload MB/s (units × bytes).
 */
export function reportInterleaved(
  title: string,
  runs: InterleavedRuns,
  unit: string,
  payloadBytes?: number,
): void {
  const mb = payloadBytes !== undefined;
  console.log(`\n${title}\n`);
  console.log(
    `| server | ${unit}s/s (median) |${mb ? " MB/s payload |" : ""} all runs | ` +
      `server CPU us/${unit} (median) |`,
  );
  console.log(`|---|---|${mb ? "---|" : ""}---|---|`);
  for (const [name, xs] of runs.rate) {
    const m = median(xs);
    console.log(
      `| ${name} | ${m.toFixed(0)} |${mb ? ` ${(m * payloadBytes / 1e6).toFixed(1)} |` : ""} ${
        xs.map((x) => x.toFixed(0)).join(", ")
      } | ${median(runs.cpuUs.get(name)!).toFixed(2)} |`,
    );
  }
  console.log(`\nThroughput: ${ratios(runs.rate)}`);
  const perCpuSecond = new Map([...runs.cpuUs].map(([n, xs]) => [n, xs.map((x) => 1e6 / x)]));
  console.log(
    `${unit[0].toUpperCase()}${unit.slice(1)}s per server CPU second: ${ratios(perCpuSecond)}`,
  );
}
