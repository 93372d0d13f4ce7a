// Python grpcio 1.51 (Debian, /usr/bin/python3; tests/interop/python) against h2kit's gRPC.
import { defineInteropSuite } from "./_suite.ts";
import { grpcioUnavailable, PYTHON, SCRIPTS } from "./_peers.ts";

defineInteropSuite({
  name: "grpcio",
  unavailable: grpcioUnavailable(),
  client: [PYTHON, SCRIPTS.pythonClient],
  server: [PYTHON, SCRIPTS.pythonServer],
  serverLacks: {
    client_compressed_unary: "grpcio hides whether a request message was compressed",
  },
});
