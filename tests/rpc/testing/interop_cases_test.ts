import { Effect } from "effect";
import { makeInMemoryTransport } from "../../../rpc/in_memory_transport.ts";
import { makeServer } from "../../../rpc/server.ts";
import { INTEROP_CASE_NAMES, interopCases } from "../../../rpc/testing/interop_cases.ts";
import {
  loadTestingRoot,
  testingServices,
  testServiceImplementation,
} from "../../../rpc/testing/test_service.ts";

const services = testingServices(await loadTestingRoot());
const server = makeServer([testServiceImplementation(services)]);
const cases = interopCases(services, makeInMemoryTransport(server));

for (const name of INTEROP_CASE_NAMES) {
  Deno.test(`interopCases ${name} passes against TestService in memory`, async () => {
    await Effect.runPromise(cases[name]);
  });
}

Deno.test("interopCases fail against a server that ignores the interop parameters", async () => {
  // A TestService that answers every call with defaults: the cases must notice.
  const { Stream } = await import("effect");
  const { implement } = await import("../../../rpc/server.ts");
  const lazy = makeServer([implement(services.testService, {
    EmptyCall: () => Effect.succeed({}),
    UnaryCall: () => Effect.succeed({}),
    StreamingInputCall: () => Effect.succeed({}),
    StreamingOutputCall: () => Stream.empty,
    FullDuplexCall: () => Stream.empty,
    UnimplementedCall: () => Effect.succeed({}),
  })]);
  const broken = interopCases(services, makeInMemoryTransport(lazy));
  for (
    const name of [
      "large_unary",
      "client_streaming",
      "server_streaming",
      "ping_pong",
      "custom_metadata",
      "status_code_and_message",
      "special_status_message",
      "unimplemented_method",
      "cancel_after_first_response",
      "client_compressed_unary",
      "server_compressed_unary",
    ] as const
  ) {
    const exit = await Effect.runPromiseExit(broken[name]);
    if (exit._tag !== "Failure") throw new Error(`${name} passed against a broken server`);
  }
});
