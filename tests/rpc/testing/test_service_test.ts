import { strict as assert } from "node:assert";
import { Effect, Stream } from "effect";
import { makeClient } from "../../../rpc/client.ts";
import { Code } from "../../../rpc/code.ts";
import { makeInMemoryTransport } from "../../../rpc/in_memory_transport.ts";
import { makeServer } from "../../../rpc/server.ts";
import { RpcError } from "../../../rpc/status.ts";
import {
  loadTestingRoot,
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
