/**
 * Priority scheduling end to end: an h2c server on 127.0.0.1 serves large
 * bodies and an h2kit client downloads several of them at once on one
 * connection, each request carrying a different RFC 9218 `priority` field.
 * The demo prints the order the downloads completed in and each stream's
 * share of the bandwidth over time.
 *
 * Two scenarios run by default:
 *
 * - `urgency`: `u=5`, `u=3` and `u=1`, requested in that order (the least
 *   urgent first, so it has a head start). The server's default
 *   `PriorityScheduler` serves strictly by urgency: they complete u=1, u=3, u=5.
 * - `incremental`: two `u=3, i` downloads and one `u=4`. The incremental pair
 *   shares the bandwidth about half and half and completes together; the u=4
 *   download waits for both.
 *
 * - `rfc7540` (needs `nghttp` from nghttp2 on PATH): a server created with
 *   `rfc7540Priorities: true` and nghttp's RFC 7540 priorities, weights 32, 96
 *   and 128 under one parent: the bytes are shared 1:3:4 while all three run.
 *
 * The client keeps the default 64 KiB connection window, so the server can send
 * at most that much before the client reads and acknowledges it: the connection
 * window is the bottleneck and the scheduler decides who gets it (on loopback,
 * with large windows, everything would fit in socket buffers at once).
 *
 * Usage: `deno run --allow-net --allow-run=nghttp examples/priority_demo.ts [--size MiB]
 * [--scenario urgency|incremental|rfc7540]`.
 *
 * @module
 */

import "../net/effect_async_context.ts"; // first: before Effect is evaluated
import { Effect, Exit, Scope } from "effect";
import type { H2ConnectionOptions } from "../core/mod.ts";
import { H2FetchClient } from "../net/promise.ts";
import { serve } from "../net/server.ts";

/** One download of a scenario. */
export interface DemoDownload {
  /** The request's `priority` field value (RFC 9218 §5), or a label such as `weight=32`. */
  readonly priority: string;
}

/** What happened to one download. */
export interface DownloadResult {
  /** The `priority` field it was requested with (or its label). */
  readonly priority: string;
  /** Bytes received. */
  readonly bytes: number;
  /** Milliseconds from the first request to its last byte. */
  readonly finishedMs: number;
  /** Position among all the bytes of the run when its last byte arrived, 0..1. */
  readonly finishedAtFraction: number;
}

/** The outcome of one scenario. */
export interface DemoResult {
  /** Scenario name. */
  readonly name: string;
  /** Per download, in request order. */
  readonly downloads: readonly DownloadResult[];
  /** `priority` values in completion order. */
  readonly completionOrder: readonly string[];
  /**
   * Bandwidth share over the run: for each tenth of the bytes received (in arrival
   * order), the fraction each download got, in request order.
   */
  readonly sharesByBytes: readonly (readonly number[])[];
  /** The same over ten equal slices of wall-clock time, from the first byte to the last. */
  readonly sharesByTime: readonly (readonly number[])[];
  /** Each download's share of the bytes received until the first download completed. */
  readonly sharesUntilFirstDone: readonly number[];
  /** Total milliseconds. */
  readonly totalMs: number;
}

/** The two scenarios of the demo. */
export const SCENARIOS: Readonly<Record<string, readonly DemoDownload[]>> = {
  urgency: [{ priority: "u=5" }, { priority: "u=3" }, { priority: "u=1" }],
  incremental: [{ priority: "u=4" }, { priority: "u=3, i" }, { priority: "u=3, i" }],
};

/** The weights of the RFC 7540 scenario: shares 1/8, 3/8 and 1/2 while all three run. */
export const RFC7540_WEIGHTS: readonly number[] = [32, 96, 128];

/** Options of {@link runPriorityDemo}. */
export interface PriorityDemoOptions {
  /** Body size of every download in bytes; default 4 MiB. */
  readonly size?: number;
  /** Number of slices in the share tables; default 10. */
  readonly slices?: number;
}

/** One chunk of a download as it arrived. */
interface Chunk {
  /** Milliseconds since the first request. */
  readonly t: number;
  /** Download index. */
  readonly i: number;
  /** Bytes. */
  readonly n: number;
}

/** A running h2c server answering every request with `body`. */
interface BodyServer {
  readonly url: string;
  close(): Promise<void>;
}

async function serveBody(
  body: Uint8Array,
  connection: Omit<H2ConnectionOptions, "role"> = {},
): Promise<BodyServer> {
  const scope = await Effect.runPromise(Scope.make());
  const server = await Effect.runPromise(
    serve({
      hostname: "127.0.0.1",
      handler: () => Effect.succeed({ status: 200, body }),
      connection,
    }).pipe(Scope.provide(scope)),
  );
  return { url: server.url, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) };
}

/**
 * Runs one RFC 9218 scenario: starts a server with default settings (its scheduler is core's
 * `PriorityScheduler`), downloads every body concurrently on one h2kit client connection with
 * the given `priority` fields, and reports completion order and bandwidth shares.
 *
 * @param name A name for the report.
 * @param downloads The downloads, requested in this order.
 * @param options Body size and table resolution.
 * @returns The measurements.
 */
export async function runPriorityDemo(
  name: string,
  downloads: readonly DemoDownload[],
  options: PriorityDemoOptions = {},
): Promise<DemoResult> {
  const size = options.size ?? 4 << 20;
  const server = await serveBody(new Uint8Array(size).fill(0x2e));
  const log: Chunk[] = [];
  const finished: number[] = [];
  let t0 = 0;
  try {
    const client = await H2FetchClient.connect(server.url, {
      // RFC 9113's default 64 KiB connection window: the scheduler's decisions show on the wire.
      connection: { connectionWindowSize: 65_535, initialWindowSize: 1 << 20 },
    });
    t0 = performance.now();
    try {
      await Promise.all(downloads.map(async (d, i) => {
        const res = await client.fetch(`/download/${i}`, { headers: { priority: d.priority } });
        if (res.status !== 200) throw new Error(`Download "${i}" failed: status ${res.status}`);
        for await (const chunk of res.body) {
          log.push({ t: performance.now() - t0, i, n: chunk.length });
        }
        finished.push(i);
      }));
    } finally {
      await client.close();
    }
  } finally {
    await server.close();
  }
  return summarize(name, downloads, log, finished, options.slices ?? 10);
}

/**
 * Runs the RFC 7540 scenario with nghttp2's `nghttp` as the client: the server is created with
 * `rfc7540Priorities: true`, nghttp sends its dependency tree (idle anchor streams, then each
 * request with its weight) and its DATA frame log gives the order on the wire.
 *
 * @param weights One download per weight (1..256), requested in this order.
 * @param options Body size and table resolution.
 * @returns The measurements, or `undefined` when `nghttp` is not installed.
 */
export async function runNghttpDemo(
  weights: readonly number[],
  options: PriorityDemoOptions = {},
): Promise<DemoResult | undefined> {
  const size = options.size ?? 4 << 20;
  const server = await serveBody(new Uint8Array(size).fill(0x2e), { rfc7540Priorities: true });
  let text: string;
  try {
    const args = ["-v", "-n", "-W", "16"];
    for (const w of weights) args.push("-p", String(w));
    weights.forEach((_, i) => args.push(`${server.url}/download/${i}`));
    let out: Deno.CommandOutput;
    try {
      out = await new Deno.Command("nghttp", { args, stdout: "piped", stderr: "null" }).output();
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw e;
    }
    if (!out.success) throw new Error(`nghttp failed: exit code ${out.code}`);
    text = new TextDecoder().decode(out.stdout);
  } finally {
    await server.close();
  }
  // nghttp opens the requests on increasing stream ids in command-line order.
  const frame =
    /^\[\s*([\d.]+)\] recv DATA frame <length=(\d+), flags=0x([\da-f]+), stream_id=(\d+)>/;
  const raw: { t: number; id: number; n: number; end: boolean }[] = [];
  for (const line of text.split("\n")) {
    const m = frame.exec(line);
    if (m !== null) {
      raw.push({
        t: Number(m[1]) * 1000,
        n: Number(m[2]),
        end: (parseInt(m[3], 16) & 1) === 1,
        id: Number(m[4]),
      });
    }
  }
  const ids = [...new Set(raw.map((r) => r.id))].sort((a, b) => a - b);
  const t0 = raw.length > 0 ? raw[0].t : 0;
  const log: Chunk[] = raw.map((r) => ({ t: r.t - t0, i: ids.indexOf(r.id), n: r.n }));
  const finished = raw.filter((r) => r.end).map((r) => ids.indexOf(r.id));
  const downloads = weights.map((w) => ({ priority: `weight=${w}` }));
  return summarize("rfc7540 (nghttp client)", downloads, log, finished, options.slices ?? 10);
}

function summarize(
  name: string,
  downloads: readonly DemoDownload[],
  log: readonly Chunk[],
  finished: readonly number[],
  slices: number,
): DemoResult {
  let all = 0;
  for (const e of log) all += e.n;
  // Time runs from the first byte: connection setup is not part of the sharing.
  const start = log.length > 0 ? log[0].t : 0;
  const totalMs = log.length > 0 ? log[log.length - 1].t - start : 0;
  const received = downloads.map(() => 0);
  const doneAt = downloads.map(() => ({ t: 0, at: 0 }));
  let seen = 0;
  let untilFirst: number[] | undefined;
  const first = finished[0];
  let firstTotal = 0;
  for (const e of log) if (e.i === first) firstTotal += e.n;
  for (const e of log) {
    received[e.i] += e.n;
    seen += e.n;
    doneAt[e.i] = { t: e.t - start, at: seen };
    if (untilFirst === undefined && e.i === first && received[e.i] === firstTotal) {
      untilFirst = received.map((v) => v / seen);
    }
  }
  return {
    name,
    downloads: downloads.map((d, i) => ({
      priority: d.priority,
      bytes: received[i],
      finishedMs: doneAt[i].t,
      finishedAtFraction: all === 0 ? 0 : doneAt[i].at / all,
    })),
    completionOrder: finished.map((i) => downloads[i].priority),
    sharesByBytes: shares(log, downloads.length, slices, (_, at) => at / all),
    sharesByTime: shares(log, downloads.length, slices, (e) => (e.t - start) / (totalMs || 1)),
    sharesUntilFirstDone: untilFirst ?? received.map(() => 0),
    totalMs,
  };
}

/** Splits the log into `slices` by `position` (0..1) and returns each download's share per slice. */
function shares(
  log: readonly Chunk[],
  streams: number,
  slices: number,
  position: (e: Chunk, bytesBefore: number) => number,
): number[][] {
  const table = Array.from({ length: slices }, () => new Array<number>(streams).fill(0));
  let before = 0;
  for (const e of log) {
    const slice = Math.min(slices - 1, Math.floor(position(e, before) * slices));
    table[slice][e.i] += e.n;
    before += e.n;
  }
  return table.map((row) => {
    const sum = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (sum === 0 ? 0 : v / sum));
  });
}

/**
 * Formats a result as the text table the demo prints.
 *
 * @param r A scenario's result.
 * @returns Printable lines.
 */
export function formatResult(r: DemoResult): string {
  const pct = (v: number) => `${(v * 100).toFixed(0).padStart(3)}%`;
  const names = r.downloads.map((d, i) => `#${i} ${d.priority}`);
  const width = Math.max(...names.map((n) => n.length));
  const lines = [
    `== ${r.name}: ${r.downloads.length} x ${(r.downloads[0].bytes / 1048576).toFixed(1)} MiB ` +
    `on one connection, ${r.totalMs.toFixed(0)} ms`,
    `completion order: ${r.completionOrder.join("  ->  ")}`,
    ...r.downloads.map((d, i) =>
      `  ${names[i].padEnd(width)} done at ${d.finishedMs.toFixed(0).padStart(5)} ms, ` +
      `after ${pct(d.finishedAtFraction)} of all bytes`
    ),
    `shares until the first completed: ${
      r.sharesUntilFirstDone.map((v) => `${(v * 100).toFixed(1)}%`).join("  ")
    }`,
    `bandwidth share per tenth of the bytes received (${names.join(" | ")}):`,
    ...r.sharesByBytes.map((row, s) =>
      `  ${String(s * 10).padStart(3)}%  ${row.map(pct).join("  ")}`
    ),
    `bandwidth share per tenth of the elapsed time:`,
    ...r.sharesByTime.map((row, s) =>
      `  ${String(s * 10).padStart(3)}%  ${row.map(pct).join("  ")}`
    ),
  ];
  return lines.join("\n");
}

if (import.meta.main) {
  const arg = (flag: string) => {
    const at = Deno.args.indexOf(flag);
    return at >= 0 ? Deno.args[at + 1] : undefined;
  };
  const size = Number(arg("--size") ?? "4") * 1048576;
  const only = arg("--scenario");
  for (const [name, downloads] of Object.entries(SCENARIOS)) {
    if (only !== undefined && only !== name) continue;
    console.log(formatResult(await runPriorityDemo(name, downloads, { size })));
    console.log();
  }
  if (only === undefined || only === "rfc7540") {
    const r = await runNghttpDemo(RFC7540_WEIGHTS, { size });
    console.log(r === undefined ? "== rfc7540: skipped, nghttp is not installed" : formatResult(r));
  }
}
