// @grpc/grpc-js 1.14.7 in Node 20 (tests/interop/node) against h2kit's gRPC over HTTP/2.
import { defineInteropSuite } from "./_suite.ts";
import { grpcJsUnavailable, SCRIPTS } from "./_peers.ts";

defineInteropSuite({
  name: "grpc-js",
  unavailable: grpcJsUnavailable(),
  client: ["node", SCRIPTS.nodeClient],
  server: ["node", SCRIPTS.nodeServer],
  serverLacks: {
    client_compressed_unary: "grpc-js hides whether a request message was compressed",
    server_compressed_unary: "grpc-js cannot compress one response and not the next",
  },
});
