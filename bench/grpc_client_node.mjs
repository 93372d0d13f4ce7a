// grpc-js's own client for bench/grpc_client.ts: N unary UnaryCall calls (100-byte request and
// response), C in flight on one channel, against the server at --port, after a warm-up. Prints
// "RESULT <calls/s> <client CPU us per call> <calls made, warm-up included>". Loads grpc-js from
// tests/interop/node/node_modules.
// Usage: node bench/grpc_client_node.mjs --port P [--n N] [--concurrency C]

import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(new URL("../tests/interop/node/package.json", import.meta.url));
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");
const protoDir = fileURLToPath(new URL("../proto/", import.meta.url));

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}
const port = flag("port", 0);
const n = flag("n", 20000);
const concurrency = flag("concurrency", 32);

const definition = protoLoader.loadSync("grpc/testing/test.proto", {
  includeDirs: [protoDir],
  keepCase: true,
  longs: String,
  enums: Number,
  defaults: false,
  oneofs: true,
});
const testing = grpc.loadPackageDefinition(definition).grpc.testing;
const client = new testing.TestService(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
const request = { response_size: 100, payload: { body: Buffer.alloc(100) } };

function call() {
  return new Promise((resolve, reject) =>
    client.UnaryCall(request, (err, res) => {
      if (err) reject(err);
      else if (res.payload.body.length !== 100) reject(new Error("bad answer"));
      else resolve();
    })
  );
}

async function run(total) {
  let left = total;
  const worker = async () => {
    while (left > 0) {
      left--;
      await call();
    }
  };
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const cpu = process.cpuUsage(cpu0);
  const qps = total / (Number(process.hrtime.bigint() - t0) / 1e9);
  return { qps, cpuUsPerCall: (cpu.user + cpu.system) / total };
}

const warmup = Math.max(1000, Math.floor(n / 10));
await run(warmup); // JIT, connection
const result = await run(n);
console.log(`RESULT ${result.qps.toFixed(0)} ${result.cpuUsPerCall.toFixed(1)} ${n + warmup}`);
client.close();
