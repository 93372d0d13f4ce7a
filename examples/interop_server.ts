/**
 * The gRPC interop server (grpc doc/interop-test-descriptions.md "Server") on
 * h2kit: `grpc.testing.TestService` from `rpc/testing/test_service.ts` and an
 * empty `grpc.testing.UnimplementedService` (every call UNIMPLEMENTED), served
 * over h2kit's HTTP/2 (h2c, or TLS with ALPN h2).
 *
 * Usage:
 * `deno run -A examples/interop_server.ts [--port N] [--use_tls] [--cert F] [--key F]`
 * `--port 0` (the default) picks a free port. Prints `LISTENING <port>` once ready and stops
 * gracefully on SIGINT/SIGTERM. The certificate defaults to `tests/_support/certs/`.
 *
 * @module
 */

import "../net/effect_async_context.ts"; // first: before Effect is evaluated
import { Effect, Exit, Scope } from "effect";
import type { H2Server } from "../net/server.ts";
import { serveRpc } from "../rpc/h2_transport.ts";
import { implement, makeServer } from "../rpc/server.ts";
import {
  loadTestingRoot,
  testingServices,
  testServiceImplementation,
} from "../rpc/testing/test_service.ts";

/** Options of {@link startInteropServer}, as the flags give them. */
export interface InteropServerOptions {
  /** Port; 0 picks a free one. */
  readonly port?: number;
  /** TLS certificate and key (PEM text); h2c without. */
  readonly tls?: { readonly cert: string; readonly key: string };
}

/** A running interop server. */
export interface RunningInteropServer {
  /** The listening server. */
  readonly server: H2Server;
  /** Stops it gracefully. */
  close(): Promise<void>;
}

/**
 * Starts the interop server in this process.
 *
 * @param options Port and TLS.
 * @returns The server and a way to stop it.
 */
export async function startInteropServer(
  options: InteropServerOptions = {},
): Promise<RunningInteropServer> {
  const services = testingServices(await loadTestingRoot());
  const handler = makeServer([
    testServiceImplementation(services),
    // Registered but with no handlers: the suite expects UNIMPLEMENTED for the whole service.
    implement(services.unimplementedService, {}),
  ]);
  const scope = Effect.runSync(Scope.make());
  const server = await Effect.runPromise(
    serveRpc(handler, {
      port: options.port ?? 0,
      tls: options.tls,
      drainTimeoutMs: 2_000,
      // Problems the protocol layer saw (a connection error, a failed handler) go to stderr.
      onError: (message, error) => console.error(`interop_server: ${message}:`, error),
    }).pipe(Scope.provide(scope)),
  );
  let closing: Promise<void> | undefined;
  return {
    server,
    close: () => closing ??= Effect.runPromise(Scope.close(scope, Exit.void)),
  };
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const next = args[i + 1];
  return next === undefined || next.startsWith("--") ? "true" : next;
}

if (import.meta.main) {
  const args = Deno.args;
  const certDir = new URL("../tests/_support/certs/", import.meta.url);
  const useTls = (flag(args, "use_tls") ?? "false") !== "false";
  const tls = useTls
    ? {
      cert: Deno.readTextFileSync(flag(args, "cert") ?? new URL("server.crt", certDir)),
      key: Deno.readTextFileSync(flag(args, "key") ?? new URL("server.key", certDir)),
    }
    : undefined;
  const running = await startInteropServer({ port: Number(flag(args, "port") ?? "0"), tls });
  console.log(`LISTENING ${running.server.port}`);
  const stop = () => running.close().then(() => Deno.exit(0));
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
