/**
 * Memory per idle connection and per open stream, measured as V8 heap growth after a forced
 * GC (run with `--v8-flags=--expose-gc`). Client-side cost is measured against nghttpd; the
 * server's cost is (client + in-process server) minus that.
 *
 * Usage: deno run -A --v8-flags=--expose-gc bench/net_memory.ts [--k 200] [--streams 1000]
 *
 * @module
 */

import "../net/effect_async_context.ts"; // first: before Effect is evaluated
import { Effect, Exit, Scope, Stream } from "effect";
import { connect, type H2Client } from "../net/client.ts";
import { serve } from "../net/server.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("Run with --v8-flags=--expose-gc");
const args = Deno.args;
const K = args.includes("--k") ? Number(args[args.indexOf("--k") + 1]) : 200;
const STREAMS = args.includes("--streams") ? Number(args[args.indexOf("--streams") + 1]) : 1000;

function heap(): number {
  gc!();
  gc!();
  return Deno.memoryUsage().heapUsed;
}

async function openClients(url: string, k: number): Promise<[H2Client[], Scope.Closeable]> {
  const scope = await Effect.runPromise(Scope.make());
  const clients: H2Client[] = [];
  for (let i = 0; i < k; i++) {
    const c = await Effect.runPromise(connect(url).pipe(Scope.provide(scope)));
    await Effect.runPromise(c.ping);
    clients.push(c);
  }
  return [clients, scope];
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

// Client side alone, against nghttpd.
const dir = await Deno.makeTempDir();
await Deno.writeTextFile(`${dir}/index.html`, "hi\n");
const port = freePort();
const nghttpd = new Deno.Command("nghttpd", {
  args: ["-n", "1", "--no-tls", "-a", "127.0.0.1", "-d", dir, String(port)],
  stdout: "null",
  stderr: "null",
}).spawn();
await new Promise((r) => setTimeout(r, 500));
let base = heap();
let [, scope] = await openClients(`http://127.0.0.1:${port}`, K);
const clientPerConn = (heap() - base) / K;
await Effect.runPromise(Scope.close(scope, Exit.void));
nghttpd.kill("SIGKILL");
await nghttpd.status;
await Deno.remove(dir, { recursive: true });

// Client + server in this process.
const serverScope = await Effect.runPromise(Scope.make());
const server = await Effect.runPromise(
  serve({
    handler: (req) => Effect.succeed({ body: req.body }), // echo: open until the client ends
    connection: { maxConcurrentStreams: 1000 },
  }).pipe(Scope.provide(serverScope)),
);
base = heap();
let clients: H2Client[];
[clients, scope] = await openClients(server.url, K);
const bothPerConn = (heap() - base) / K;
await Effect.runPromise(Scope.close(scope, Exit.void));

// Open streams: requests whose upload never ends keep both sides' stream state alive.
[clients, scope] = await openClients(server.url, 10);
base = heap();
for (let i = 0; i < STREAMS; i++) {
  Effect.runFork(clients[i % 10].request({ method: "POST", body: Stream.never }));
}
await Effect.runPromise(Effect.forEach(clients, (c) => c.ping));
await new Promise((r) => setTimeout(r, 200));
const bothPerStream = (heap() - base) / STREAMS;
await Effect.runPromise(Scope.close(scope, Exit.void));
await Effect.runPromise(Scope.close(serverScope, Exit.void));

const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`| measure | heap per unit |\n| --- | --- |`);
console.log(`| idle connection, client side (${K} conns to nghttpd) | ${kb(clientPerConn)} |`);
console.log(`| idle connection, server side (derived) | ${kb(bothPerConn - clientPerConn)} |`);
console.log(`| open stream, client + server (${STREAMS} streams) | ${kb(bothPerStream)} |`);
console.log("(V8 heap after forced GC. The read slab is an ArrayBuffer outside the heap:");
console.log(" add 16 KiB per idle connection per side, 64 KiB once it has carried bulk data.)");
Deno.exit(0);
