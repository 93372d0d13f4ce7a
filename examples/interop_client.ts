/**
 * The gRPC interop client (grpc doc/interop-test-descriptions.md "Client") on
 * h2kit: runs the cases of `rpc/testing/interop_cases.ts` against any gRPC
 * server over h2kit's HTTP/2 client.
 *
 * Usage: `deno run -A examples/interop_client.ts --server_port N [--server_host H]
 * [--use_tls] [--ca F] [--server_host_override NAME] [--test_case NAME|all|NAME,NAME]`.
 * Prints `PASS <case>` or `FAIL <case>: <reason>` per case; exits 1 if any failed.
 *
 * `--server_host_override` sets the `:authority`. TLS still verifies the certificate against
 * `--server_host` (net/connect has no separate TLS server name), so use a host the
 * certificate names, e.g. `localhost` or `127.0.0.1` with the test certificate.
 *
 * @module
 */

import "../net/effect_async_context.ts"; // first: before Effect is evaluated
import { Cause, Effect, Exit, Scope } from "effect";
import { connectRpc } from "../rpc/h2_transport.ts";
import {
  INTEROP_CASE_NAMES,
  type InteropCaseName,
  interopCases,
} from "../rpc/testing/interop_cases.ts";
import { loadTestingRoot, testingServices } from "../rpc/testing/test_service.ts";

/** Options of {@link runInteropClient}, as the flags give them. */
export interface InteropClientOptions {
  /** Server host; default `127.0.0.1`. */
  readonly host?: string;
  /** Server port. */
  readonly port: number;
  /** Use TLS (ALPN h2). */
  readonly tls?: boolean;
  /** PEM of the CA to trust (TLS). */
  readonly ca?: string;
  /** `:authority` to send instead of host:port. */
  readonly authorityOverride?: string;
  /** Cases to run; default all. */
  readonly cases?: readonly string[];
  /** Time limit per case; default 10 s. */
  readonly caseTimeoutMs?: number;
}

/** The outcome of one case. */
export interface InteropResult {
  /** Case name. */
  readonly name: string;
  /** Whether it passed. */
  readonly ok: boolean;
  /** Why it failed. */
  readonly error?: string;
}

/**
 * Runs interop cases against a server over one HTTP/2 connection.
 *
 * @param options Target, TLS and case list.
 * @returns One result per case, in order.
 */
export async function runInteropClient(options: InteropClientOptions): Promise<InteropResult[]> {
  const services = testingServices(await loadTestingRoot());
  const scope = Effect.runSync(Scope.make());
  const results: InteropResult[] = [];
  try {
    const host = options.host ?? "127.0.0.1";
    const url = `${options.tls ? "https" : "http"}://${
      host.includes(":") ? `[${host}]` : host
    }:${options.port}`;
    const transport = await Effect.runPromise(
      connectRpc(url, {
        caCerts: options.ca === undefined ? undefined : [options.ca],
        authority: options.authorityOverride,
        connectTimeoutMs: 5_000,
      }).pipe(Scope.provide(scope)),
    );
    const cases = interopCases(services, transport);
    const names = options.cases ?? INTEROP_CASE_NAMES;
    for (const name of names) {
      const test = cases[name as InteropCaseName];
      if (test === undefined) {
        results.push({ name, ok: false, error: "unknown test case" });
        continue;
      }
      const exit = await Effect.runPromiseExit(
        test.pipe(Effect.timeout(options.caseTimeoutMs ?? 10_000)),
      );
      results.push(
        Exit.isSuccess(exit) ? { name, ok: true } : {
          name,
          ok: false,
          error: describe(exit.cause),
        },
      );
    }
  } catch (error) {
    results.push({ name: "connect", ok: false, error: String(error) });
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void));
  }
  return results;
}

function describe(cause: Cause.Cause<unknown>): string {
  const error = Cause.squash(cause);
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const next = args[i + 1];
  return next === undefined || next.startsWith("--") ? "true" : next;
}

if (import.meta.main) {
  const args = Deno.args;
  const tls = (flag(args, "use_tls") ?? "false") !== "false";
  const caPath = flag(args, "ca") ??
    new URL("../tests/_support/certs/ca.crt", import.meta.url).pathname;
  const testCase = flag(args, "test_case") ?? "all";
  const results = await runInteropClient({
    host: flag(args, "server_host"),
    port: Number(flag(args, "server_port") ?? "50051"),
    tls,
    ca: tls ? Deno.readTextFileSync(caPath) : undefined,
    authorityOverride: flag(args, "server_host_override"),
    cases: testCase === "all" ? undefined : testCase.split(","),
  });
  for (const r of results) console.log(r.ok ? `PASS ${r.name}` : `FAIL ${r.name}: ${r.error}`);
  Deno.exit(results.every((r) => r.ok) ? 0 : 1);
}
