/**
 * The cross-implementation interop suite, defined once per peer: the peer's
 * interop client against our server and our interop client against the
 * peer's server, each over h2c and TLS. The h2c runs go through the example
 * CLIs (`examples/interop_server.ts`, `examples/interop_client.ts`) as
 * separate processes; the TLS runs host our side in the test process.
 *
 * @module
 */

import { strict as assert } from "node:assert";
import { Effect } from "effect";
import { runInteropClient } from "../../examples/interop_client.ts";
import { startInteropServer } from "../../examples/interop_server.ts";
import { makeClient } from "../../rpc/client.ts";
import { connectRpc } from "../../rpc/h2_transport.ts";
import { loadTestingRoot, testingServices } from "../../rpc/testing/test_service.ts";
import { ALL_CASES, CERTS, parseResults, run, SCRIPTS, spawnServer } from "./_peers.ts";

/** One peer implementation. */
export interface InteropPeer {
  /** Display name, e.g. `"grpc-js"`. */
  readonly name: string;
  /** Why it cannot run here, or undefined. */
  readonly unavailable: string | undefined;
  /** The interpreter and script of its interop client. */
  readonly client: readonly [string, string];
  /** The interpreter and script of its interop server. */
  readonly server: readonly [string, string];
  /** Cases its server cannot serve, with the reason (documented in the peer script). */
  readonly serverLacks: Readonly<Record<string, string>>;
}

const OVERRIDE = "foo.test.google.fr";

function assertAllPassed(stdout: string, stderr: string, expected: readonly string[]): void {
  const results = parseResults(stdout);
  const failures = [...results].filter(([, why]) => why !== null);
  assert.deepEqual(failures, [], `failed cases:\n${stdout}\n${stderr}`);
  assert.deepEqual([...results.keys()].sort(), [...expected].sort(), `cases run:\n${stdout}`);
}

/**
 * Registers the four interop tests for `peer` (ignored with a message when it is not
 * installed).
 */
export function defineInteropSuite(peer: InteropPeer): void {
  const ignore = peer.unavailable !== undefined;
  if (ignore) console.warn(`Skipping ${peer.name} interop tests: ${peer.unavailable}`);
  const ourCases = ALL_CASES.filter((name) => !(name in peer.serverLacks));

  Deno.test({
    name: `${peer.name} interop client passes every case against examples/interop_server.ts (h2c)`,
    ignore,
    async fn() {
      const server = await spawnServer(Deno.execPath(), [
        "run",
        "-A",
        SCRIPTS.ourServer,
        "--port",
        "0",
      ]);
      let passed = true;
      try {
        const out = await run(peer.client[0], [
          peer.client[1],
          "--server_port",
          String(server.port),
          "--test_case",
          "all",
        ]);
        passed = false;
        assertAllPassed(out.stdout, out.stderr, ALL_CASES);
        assert.equal(out.code, 0);
        passed = true;
      } finally {
        await server.kill();
        // Why our server closed a connection, say, is only in its own log.
        if (!passed) console.error(`examples/interop_server.ts stderr:\n${await server.stderr}`);
      }
    },
  });

  Deno.test({
    name: `${peer.name} interop client passes every case against our TLS server`,
    ignore,
    async fn() {
      const ours = await startInteropServer({ tls: { cert: CERTS.cert, key: CERTS.key } });
      try {
        const out = await run(peer.client[0], [
          peer.client[1],
          "--server_port",
          String(ours.server.port),
          "--use_tls",
          "--ca",
          CERTS.caFile,
          "--server_host_override",
          OVERRIDE,
        ]);
        assertAllPassed(out.stdout, out.stderr, ALL_CASES);
        assert.equal(out.code, 0);
      } finally {
        await ours.close();
      }
    },
  });

  Deno.test({
    name: `examples/interop_client.ts passes against the ${peer.name} server (h2c)`,
    ignore,
    async fn() {
      const server = await spawnServer(peer.server[0], [peer.server[1], "--port", "0"]);
      try {
        const out = await run(Deno.execPath(), [
          "run",
          "-A",
          SCRIPTS.ourClient,
          "--server_port",
          String(server.port),
          "--test_case",
          ourCases.join(","),
        ]);
        assertAllPassed(out.stdout, out.stderr, ourCases);
        assert.equal(out.code, 0);
        // A case name nobody knows is a failure with a non-zero exit code.
        const bad = await run(Deno.execPath(), [
          "run",
          "-A",
          SCRIPTS.ourClient,
          "--server_port",
          String(server.port),
          "--test_case",
          "empty_unary,no_such_case",
        ]);
        assert.equal(bad.code, 1);
        assert.deepEqual([...parseResults(bad.stdout)], [
          ["empty_unary", null],
          ["no_such_case", "unknown test case"],
        ]);
      } finally {
        await server.kill();
      }
    },
  });

  Deno.test({
    name: `runInteropClient passes against the ${peer.name} server over TLS`,
    ignore,
    async fn() {
      const server = await spawnServer(peer.server[0], [
        peer.server[1],
        "--port",
        "0",
        "--use_tls",
      ]);
      try {
        const results = await runInteropClient({
          host: "localhost",
          port: server.port,
          tls: true,
          ca: CERTS.ca,
          authorityOverride: OVERRIDE,
          cases: ourCases,
        });
        assert.deepEqual(results.filter((r) => !r.ok), []);
        assert.equal(results.length, ourCases.length);
        // The compression the peer's server cannot check per message still has to decode.
        const payload = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
          const services = testingServices(yield* Effect.promise(loadTestingRoot));
          const transport = yield* connectRpc(`https://localhost:${server.port}`, {
            caCerts: [CERTS.ca],
          });
          const client = makeClient(services.testService, transport);
          const res = yield* client.UnaryCall(
            { response_size: 1000, payload: { body: new Uint8Array(50_000) } },
            { compression: "gzip" },
          );
          return res.payload?.body?.length;
        })));
        assert.equal(payload, 1000);
      } finally {
        await server.kill();
      }
    },
  });
}
