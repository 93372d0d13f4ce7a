import { strict as assert } from "node:assert";
import { Effect, Stream } from "effect";
import { makeClient } from "../../../rpc/client.ts";
import { Code } from "../../../rpc/code.ts";
import { connectRpc, serveRpc } from "../../../rpc/h2_transport.ts";
import { makeInMemoryTransport } from "../../../rpc/in_memory_transport.ts";
import { makeServer } from "../../../rpc/server.ts";
import { RpcError } from "../../../rpc/status.ts";
import {
  loadTestingRoot,
  type StreamingOutputCallRequest,
  testingServices,
  testServiceImplementation,
} from "../../../rpc/testing/test_service.ts";

const services = testingServices(await loadTestingRoot());
const client = makeClient(
  services.testService,
  makeInMemoryTransport(makeServer([testServiceImplementation(services)])),
);

Deno.test("testServiceImplementation answers zero payloads of the asked sizes, call after call", async () => {
  for (const size of [0, 100, 100, 70_000, 100]) {
    const res = await Effect.runPromise(client.UnaryCall({ response_size: size }));
    const body = res.payload?.body ?? new Uint8Array(0);
    assert.equal(body.length, size);
    assert.ok(body.every((b) => b === 0));
  }
});

Deno.test("testServiceImplementation streams plain responses, then fails at an invalid size", async () => {
  const sizes = await Effect.runPromise(
    client.StreamingOutputCall({
      response_parameters: [{ size: 3 }, { size: 5 }, { size: -1 }, { size: 7 }],
    }).pipe(
      Stream.map((r) => r.payload?.body?.length ?? 0),
      Stream.catch((e) => Stream.succeed(e instanceof RpcError ? `status ${e.code}` : "?")),
      Stream.runCollect,
    ),
  );
  assert.deepEqual(Array.from(sizes), [3, 5, `status ${Code.INVALID_ARGUMENT}`]);
});

Deno.test("testServiceImplementation answers a requested status before any response", async () => {
  const exit = await Effect.runPromise(Effect.exit(
    client.StreamingOutputCall({
      response_parameters: [{ size: 3 }],
      response_status: { code: Code.ABORTED, message: "asked" },
    }).pipe(Stream.runCollect),
  ));
  assert.ok(exit._tag === "Failure");
  const failure = exit.cause.reasons.find((r) => r._tag === "Fail") as { error: RpcError };
  assert.equal(failure.error.code, Code.ABORTED);
  assert.equal(failure.error.message, "asked");
});

// FullDuplexCall over the in-memory transport and over h2 (where requests sent back to back
// arrive in one batch): the same answers either way.
async function duplexOutcome(
  requests: StreamingOutputCallRequest[],
  overH2: boolean,
): Promise<Array<number | string>> {
  return await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    let target = client;
    if (overH2) {
      const srv = yield* serveRpc(makeServer([testServiceImplementation(services)]), {
        onError: () => {},
      });
      target = makeClient(services.testService, yield* connectRpc(srv.url));
    }
    const out = yield* target.FullDuplexCall(Stream.fromIterable(requests)).pipe(
      Stream.map((r): number | string => r.payload?.body?.length ?? 0),
      Stream.catch((e) => Stream.succeed(e instanceof RpcError ? `status ${e.code}` : "?")),
      Stream.runCollect,
    );
    return Array.from(out);
  })));
}

for (const overH2 of [false, true]) {
  const via = overH2 ? "over h2" : "in memory";
  Deno.test(`testServiceImplementation FullDuplexCall answers requests in order, delays included (${via})`, async () => {
    const out = await duplexOutcome([
      { response_parameters: [{ size: 1 }, { size: 2 }] },
      { response_parameters: [{ size: 3, interval_us: 1000 }, { size: 4 }] },
      {},
      { response_parameters: [{ size: 5 }, { size: -1 }, { size: 6 }] },
      { response_parameters: [{ size: 7 }] },
    ], overH2);
    assert.deepEqual(out, [1, 2, 3, 4, 5, `status ${Code.INVALID_ARGUMENT}`]);
  });

  Deno.test(`testServiceImplementation FullDuplexCall ends with a requested status (${via})`, async () => {
    const out = await duplexOutcome([
      { response_parameters: [{ size: 1 }] },
      { response_parameters: [{ size: 2 }], response_status: { code: Code.ABORTED, message: "m" } },
      { response_parameters: [{ size: 3 }] },
    ], overH2);
    assert.deepEqual(out, [1, `status ${Code.ABORTED}`]);
  });
}
