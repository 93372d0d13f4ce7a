import { strict as assert } from "node:assert";
import { Effect, Stream } from "effect";
import type protobuf from "protobufjs";
import { makeClient } from "../../rpc/client.ts";
import { makeInMemoryTransport } from "../../rpc/in_memory_transport.ts";
import { implement, makeServer } from "../../rpc/server.ts";
import {
  defineService,
  type MessageClassLike,
  parseProto,
  serviceFromRoot,
} from "../../rpc/service.ts";
import { loadTestingRoot, testingServices } from "../../rpc/testing/test_service.ts";
import { ECHO_PROTO } from "./_support.ts";

Deno.test("serviceFromRoot finds all four method kinds and their paths", async () => {
  const { testService } = testingServices(await loadTestingRoot());
  const kinds = Object.fromEntries(
    Object.values(testService.methods).map((m) => [m.name, [m.kind, m.path]]),
  );
  assert.deepEqual(kinds.EmptyCall, ["unary", "/grpc.testing.TestService/EmptyCall"]);
  assert.deepEqual(kinds.StreamingOutputCall[0], "server_streaming");
  assert.deepEqual(kinds.StreamingInputCall[0], "client_streaming");
  assert.deepEqual(kinds.FullDuplexCall[0], "bidi_streaming");
  assert.equal(testService.methods.UnaryCall.inputType, "grpc.testing.SimpleRequest");
  assert.throws(() => serviceFromRoot(parseProto(ECHO_PROTO), "test.echo.Nope"));
});

Deno.test("defineService builds typed services from generated-style message classes", async () => {
  // protobuf.Type has the same static encode/decode shape as pbjs static classes.
  const root = parseProto(ECHO_PROTO);
  interface Msg {
    text: string;
  }
  const MsgClass = root.lookupType("test.echo.Msg") as unknown as
    & protobuf.Type
    & MessageClassLike<Msg>;
  const Echo = defineService("test.echo.Echo", {
    Say: { kind: "unary", input: MsgClass, output: MsgClass },
    Chat: { kind: "bidi_streaming", input: MsgClass, output: MsgClass },
  });
  const server = makeServer([implement(Echo, {
    Say: (m) => Effect.succeed({ text: m.text.toUpperCase() }),
    Chat: (ms) => ms,
  })]);
  const client = makeClient(Echo, makeInMemoryTransport(server));
  const res = await Effect.runPromise(client.Say({ text: "static" }));
  assert.equal(res.text, "STATIC");
  const chat = await Effect.runPromise(Stream.runCollect(client.Chat(Stream.make({ text: "a" }))));
  assert.deepEqual(Array.from(chat, (m) => m.text), ["a"]);
  assert.equal(Echo.methods.Say.path, "/test.echo.Echo/Say");
});
