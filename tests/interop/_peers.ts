/**
 * Helpers for the cross-implementation gRPC tests: which peers are installed,
 * peer processes with bounded lifetimes (killed in `finally`), and the parsing
 * of the `PASS <case>` / `FAIL <case>: <why>` lines every interop client prints.
 *
 * @module
 */

const here = new URL("./", import.meta.url);
const certDir = new URL("../_support/certs/", import.meta.url);

/** PEM text and file paths of the test certificates. */
export const CERTS = {
  ca: Deno.readTextFileSync(new URL("ca.crt", certDir)),
  cert: Deno.readTextFileSync(new URL("server.crt", certDir)),
  key: Deno.readTextFileSync(new URL("server.key", certDir)),
  caFile: new URL("ca.crt", certDir).pathname,
};

/** The Node peer scripts (grpc-js), the Python ones (grpcio), and the example CLIs. */
export const SCRIPTS = {
  nodeClient: new URL("node/interop_client.mjs", here).pathname,
  nodeServer: new URL("node/interop_server.mjs", here).pathname,
  pythonClient: new URL("python/interop_client.py", here).pathname,
  pythonServer: new URL("python/interop_server.py", here).pathname,
  ourClient: new URL("../../examples/interop_client.ts", import.meta.url).pathname,
  ourServer: new URL("../../examples/interop_server.ts", import.meta.url).pathname,
};

/** Debian's Python, which sees python3-grpcio (the pyenv one on PATH does not). */
export const PYTHON = "/usr/bin/python3";

/** The case names a peer client runs when asked for `all`. */
export const ALL_CASES = [
  "empty_unary",
  "large_unary",
  "client_streaming",
  "server_streaming",
  "ping_pong",
  "empty_stream",
  "custom_metadata",
  "status_code_and_message",
  "special_status_message",
  "unimplemented_method",
  "unimplemented_service",
  "cancel_after_begin",
  "cancel_after_first_response",
  "timeout_on_sleeping_server",
  "client_compressed_unary",
  "server_compressed_unary",
];

function probe(cmd: string, args: string[]): boolean {
  try {
    return new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

/** Why the grpc-js peer cannot run, or undefined when it can. */
export function grpcJsUnavailable(): string | undefined {
  if (!probe("node", ["--version"])) return "node is not on PATH";
  try {
    Deno.statSync(new URL("node/node_modules/@grpc/grpc-js/package.json", here));
  } catch {
    return "tests/interop/node/node_modules is missing: run `npm ci --prefix tests/interop/node`";
  }
  return undefined;
}

/** Why the grpcio peer cannot run, or undefined when it can. */
export function grpcioUnavailable(): string | undefined {
  if (!probe(PYTHON, ["-c", "import grpc, google.protobuf, h2"])) {
    return `${PYTHON} cannot import grpc, google.protobuf and h2 ` +
      "(apt-get install python3-grpcio python3-protobuf python3-h2)";
  }
  return undefined;
}

/** Runs a command to completion within `timeoutMs`, then returns its exit code and output. */
export async function run(
  cmd: string,
  args: string[],
  timeoutMs = 60_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A peer server process; `kill` is safe to call more than once. */
export interface PeerServer {
  /** Its port, from its `LISTENING <port>` line. */
  readonly port: number;
  /** Stops it and waits for it to exit. */
  kill(): Promise<void>;
  /** Everything it wrote to stderr; settles once it has exited. */
  readonly stderr: Promise<string>;
}

/**
 * Spawns a server that prints `LISTENING <port>` when ready, failing (and killing it) if that
 * does not come within `timeoutMs`.
 */
export async function spawnServer(
  cmd: string,
  args: string[],
  timeoutMs = 20_000,
): Promise<PeerServer> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let killed: Promise<void> | undefined;
  const kill = () =>
    killed ??= (async () => {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
      await child.status;
    })();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  const dec = new TextDecoder();
  let text = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${cmd} did not print LISTENING`)), timeoutMs);
  });
  try {
    for (;;) {
      const r = await Promise.race([reader.read(), timeout]);
      if (r.done) throw new Error(`${cmd} exited before listening: ${await stderr}`);
      text += dec.decode(r.value, { stream: true });
      const m = /LISTENING (\d+)/.exec(text);
      if (m) {
        // Keep draining stdout so the peer never blocks on a full pipe.
        (async () => {
          try {
            while (!(await reader.read()).done) { /* discard */ }
          } catch {
            // Closed.
          }
        })();
        return { port: Number(m[1]), kill, stderr };
      }
    }
  } catch (error) {
    await kill();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Case name -> `null` for PASS or the failure text, from an interop client's output. */
export function parseResults(stdout: string): Map<string, string | null> {
  const results = new Map<string, string | null>();
  for (const line of stdout.split("\n")) {
    const m = /^(PASS|FAIL) (\w+)(?:: (.*))?$/.exec(line.trim());
    if (m) results.set(m[2], m[1] === "PASS" ? null : m[3] ?? "failed");
  }
  return results;
}
