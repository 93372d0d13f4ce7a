import { strict as assert } from "node:assert";
import { Effect, Stream } from "effect";
import protobuf from "protobufjs";
import { makeClient } from "../../rpc/client.ts";
import { Code } from "../../rpc/code.ts";
import { HealthService } from "../../rpc/health.ts";
import { makeInMemoryTransport } from "../../rpc/in_memory_transport.ts";
import {
  FileDescriptorProto,
  reflectionImplementation,
  reflectionImplementations,
  type ReflectionRequest,
  ReflectionService,
  ReflectionServiceV1Alpha,
} from "../../rpc/reflection.ts";
import { makeServer } from "../../rpc/server.ts";
import { loadTestingRoot, testingServices } from "../../rpc/testing/test_service.ts";

const testing = testingServices(await loadTestingRoot());
const server = makeServer([
  reflectionImplementation([testing.testService, HealthService]),
]);
const client = makeClient(ReflectionService, makeInMemoryTransport(server));

function ask(...requests: ReflectionRequest[]) {
  return Effect.runPromise(
    Stream.runCollect(client.ServerReflectionInfo(Stream.fromIterable(requests))),
  ).then((r) => Array.from(r));
}

type FileObj = {
  name: string;
  package: string;
  dependency?: string[];
  service?: Array<{ name: string; method: Array<{ name: string; inputType: string }> }>;
  messageType?: Array<{ name: string }>;
};

function decodeFiles(files: Uint8Array[]): FileObj[] {
  return files.map((b) =>
    FileDescriptorProto.toObject(FileDescriptorProto.decode(b), { defaults: false }) as FileObj
  );
}

Deno.test("reflectionImplementation lists the services", async () => {
  const [res] = await ask({ list_services: "*" });
  assert.deepEqual(res.list_services_response?.service.map((s) => s.name), [
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.testing.TestService",
  ]);
});

Deno.test("reflectionImplementation returns the file containing a symbol with its dependencies", async () => {
  const [bySvc, byMethod, byMsg] = await ask(
    { file_containing_symbol: "grpc.testing.TestService" },
    { file_containing_symbol: "grpc.testing.TestService.UnaryCall" },
    { file_containing_symbol: "grpc.testing.SimpleRequest" },
  );
  const files = decodeFiles(bySvc.file_descriptor_response!.file_descriptor_proto);
  assert.equal(files[0].name, "grpc/testing/test.proto");
  assert.equal(files[0].package, "grpc.testing");
  assert.deepEqual([...files[0].dependency!].sort(), [
    "grpc/testing/empty.proto",
    "grpc/testing/messages.proto",
  ]);
  const unary = files[0].service![0].method.find((m) => m.name === "UnaryCall")!;
  assert.equal(unary.inputType, ".grpc.testing.SimpleRequest");
  assert.deepEqual(files.map((f) => f.name).sort(), [
    "grpc/testing/empty.proto",
    "grpc/testing/messages.proto",
    "grpc/testing/test.proto",
  ]);
  assert.equal(
    decodeFiles(byMethod.file_descriptor_response!.file_descriptor_proto)[0].name,
    "grpc/testing/test.proto",
  );
  assert.equal(
    decodeFiles(byMsg.file_descriptor_response!.file_descriptor_proto)[0].name,
    "grpc/testing/messages.proto",
  );

  // Field names are the .proto names (protobufjs camel-cases them when it rebuilds types).
  const messages = files.find((f) => f.name === "grpc/testing/messages.proto")! as unknown as {
    messageType: Array<{ name: string; field: Array<{ name: string }> }>;
  };
  const simple = messages.messageType.find((m) => m.name === "SimpleRequest")!;
  assert.equal(simple.field[1].name, "response_size");
  // The descriptors are complete enough to rebuild working types.
  const set = {
    file: bySvc.file_descriptor_response!.file_descriptor_proto.map((b) =>
      FileDescriptorProto.decode(b)
    ),
  };
  // deno-lint-ignore no-explicit-any
  const rebuilt = (protobuf.Root as any).fromDescriptor(set) as protobuf.Root;
  const t = rebuilt.lookupType("grpc.testing.SimpleRequest");
  const bytes = t.encode(t.fromObject({ responseSize: 5, payload: { body: new Uint8Array([1]) } }))
    .finish();
  const back = testing.testService.methods.UnaryCall.input.deserialize(bytes);
  assert.equal(back.response_size, 5);
  assert.deepEqual(Array.from(back.payload!.body!), [1]);
});

Deno.test("reflectionImplementation answers by file name and reports unknown names", async () => {
  const [byName, missing, ext] = await ask(
    { file_by_filename: "grpc/testing/empty.proto" },
    { file_containing_symbol: "no.such.Thing" },
    { all_extension_numbers_of_type: "grpc.testing.Empty" },
  );
  assert.equal(
    decodeFiles(byName.file_descriptor_response!.file_descriptor_proto)[0].messageType![0].name,
    "Empty",
  );
  assert.equal(missing.error_response?.error_code, Code.NOT_FOUND);
  assert.equal(ext.error_response?.error_code, Code.NOT_FOUND);
  assert.equal(missing.original_request?.file_containing_symbol, "no.such.Thing");
});

Deno.test("reflectionImplementations serves v1 and v1alpha from one index", async () => {
  const both = makeServer(reflectionImplementations([testing.testService]));
  const alpha = makeClient(ReflectionServiceV1Alpha, makeInMemoryTransport(both));
  const [list, sym] = Array.from(
    await Effect.runPromise(Stream.runCollect(alpha.ServerReflectionInfo(Stream.make(
      { list_services: "" },
      { file_containing_symbol: "grpc.testing.TestService" },
    )))),
  );
  assert.deepEqual(list.list_services_response?.service.map((s) => s.name), [
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
    "grpc.testing.TestService",
  ]);
  assert.equal(sym.file_descriptor_response?.file_descriptor_proto.length, 3);
});
