/**
 * Shared helpers for the net tests: in-process servers, peer processes with
 * bounded lifetimes, and the test certificates.
 *
 * @module
 */

import { Effect, Exit, Scope } from "effect";
import { type H2Server, serve, type ServeOptions } from "../../net/server.ts";
import { concatBytes } from "../_support/bytes.ts";

const certDir = new URL("../_support/certs/", import.meta.url);
/** PEM of the test CA. */
export const CA = Deno.readTextFileSync(new URL("ca.crt", certDir));
/** PEM of the localhost leaf certificate. */
export const CERT = Deno.readTextFileSync(new URL("server.crt", certDir));
/** PEM of the leaf key. */
export const KEY = Deno.readTextFileSync(new URL("server.key", certDir));
/** File paths of the certificates, for peer processes. */
export const CERT_FILES = {
  ca: new URL("ca.crt", certDir).pathname,
  cert: new URL("server.crt", certDir).pathname,
  key: new URL("server.key", certDir).pathname,
};

/** A server started in this process with a handle to stop it. */
export interface RunningServer {
  readonly server: H2Server;
  /** Closes the server's scope (graceful shutdown) and waits for it. */
  close(): Promise<void>;
}

/** Starts `serve(options)` in its own scope. */
export async function startServer<E>(options: ServeOptions<E>): Promise<RunningServer> {
  const scope = await Effect.runPromise(Scope.make());
  const server = await Effect.runPromise(serve(options).pipe(Scope.provide(scope)));
  let closed: Promise<void> | undefined;
  return {
    server,
    close: () => closed ??= Effect.runPromise(Scope.close(scope, Exit.void)),
  };
}

/** Runs `fn` with a server, always closing it. */
export async function withServer<E, A>(
  options: ServeOptions<E>,
  fn: (server: H2Server) => Promise<A>,
): Promise<A> {
  const running = await startServer(options);
  try {
    return await fn(running.server);
  } finally {
    await running.close();
  }
}

/** Runs a command to completion with a time limit; returns exit code and output. */
export async function run(
  cmd: string,
  args: string[],
  timeoutMs = 20_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A peer process that is killed when disposed. */
export interface Peer {
  readonly port: number;
  readonly process: Deno.ChildProcess;
  kill(): Promise<void>;
}

/**
 * Spawns a peer and waits until a line matching `ready` appears on stdout (its first group is
 * the port) or until `port` accepts connections.
 */
export async function spawnPeer(
  cmd: string,
  args: string[],
  options: { ready?: RegExp; port?: number; timeoutMs?: number } = {},
): Promise<Peer> {
  const child = new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const kill = async () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await child.status;
  };
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  try {
    let port = options.port ?? 0;
    const reader = child.stdout.getReader();
    if (options.ready !== undefined) {
      let text = "";
      const dec = new TextDecoder();
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`Peer ${cmd} did not become ready`);
        let timer: ReturnType<typeof setTimeout> | undefined;
        const r = await Promise.race([
          reader.read(),
          new Promise<never>((_, rej) =>
            timer = setTimeout(() => rej(new Error(`Peer ${cmd} did not become ready`)), left)
          ),
        ]).finally(() => clearTimeout(timer));
        if (r.done) throw new Error(`Peer ${cmd} exited before becoming ready`);
        text += dec.decode(r.value);
        const m = options.ready.exec(text);
        if (m) {
          if (m[1] !== undefined) port = Number(m[1]);
          break;
        }
      }
    }
    // Keep draining stdout so the peer never blocks on a full pipe.
    (async () => {
      try {
        while (!(await reader.read()).done) { /* discard */ }
      } catch {
        // Closed.
      }
    })();
    if (options.ready === undefined) await waitForPort(port, deadline);
    return { port, process: child, kill };
  } catch (error) {
    await kill();
    throw error;
  }
}

async function waitForPort(port: number, deadline: number): Promise<void> {
  for (;;) {
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      c.close();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Parses h2load's `requests:` line. */
export function h2loadCounts(
  output: string,
): { total: number; succeeded: number; failed: number; errored: number } {
  const m =
    /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored/
      .exec(output);
  if (!m) throw new Error(`Cannot parse h2load output: ${output}`);
  return { total: +m[1], succeeded: +m[2], failed: +m[3], errored: +m[4] };
}

/**
 * Reads `conn` until EOF or `timeoutMs` (then closes it); returns the bytes and whether the peer
 * closed first.
 */
export async function readUntilClosed(
  conn: Deno.Conn,
  timeoutMs: number,
): Promise<{ bytes: Uint8Array; peerClosed: boolean }> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  let peerClosed = false;
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) {
        peerClosed = true;
        break;
      }
      chunks.push(buf.slice(0, n));
    }
  } catch {
    // Closed by the timer.
  } finally {
    clearTimeout(timer);
  }
  if (peerClosed) conn.close();
  return { bytes: concatBytes(chunks), peerClosed };
}

/** The error codes of the GOAWAY frames in raw server output, in order. */
export function goAwayCodes(bytes: Uint8Array): number[] {
  const codes: number[] = [];
  let at = 0;
  while (at + 9 <= bytes.length) {
    const len = (bytes[at] << 16) | (bytes[at + 1] << 8) | bytes[at + 2];
    if (bytes[at + 3] === 0x7 && at + 9 + 8 <= bytes.length) {
      const p = at + 9 + 4;
      codes.push(
        ((bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3]) >>> 0,
      );
    }
    at += 9 + len;
  }
  return codes;
}
