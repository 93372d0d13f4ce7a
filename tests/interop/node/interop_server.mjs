// grpc.testing.TestService on @grpc/grpc-js (Node 20), for h2kit's interop client.
// Flags: --port N (0 = any; prints "LISTENING <port>"), --use_tls, --cert FILE, --key FILE.
// Follows grpc doc/interop-test-descriptions.md "Server", except compression: grpc-js neither
// shows a handler whether a request message was compressed (expect_compressed is ignored) nor
// lets it compress one response and not another, so client_compressed_unary and
// server_compressed_unary cannot be served by it.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";

const protoDir = fileURLToPath(new URL("../../../proto/", import.meta.url));
const certDir = fileURLToPath(new URL("../../_support/certs/", import.meta.url));

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const next = process.argv[i + 1];
  return next === undefined || next.startsWith("--") ? true : next;
}

const definition = protoLoader.loadSync("grpc/testing/test.proto", {
  includeDirs: [protoDir],
  keepCase: true,
  longs: String,
  enums: Number,
  defaults: false,
  oneofs: true,
});
const testing = grpc.loadPackageDefinition(definition).grpc.testing;

const ECHO_INITIAL = "x-grpc-test-echo-initial";
const ECHO_TRAILING = "x-grpc-test-echo-trailing-bin";
const MAX_PAYLOAD = 8 * 1024 * 1024;

function echoInitial(call) {
  const value = call.metadata.get(ECHO_INITIAL);
  const md = new grpc.Metadata();
  if (value.length > 0) md.set(ECHO_INITIAL, value[0]);
  call.sendMetadata(md);
}

function trailing(call) {
  const md = new grpc.Metadata();
  const value = call.metadata.get(ECHO_TRAILING);
  if (value.length > 0) md.set(ECHO_TRAILING, value[0]);
  return md;
}

// Zero bodies shared per size, as h2kit's test service does (rpc/testing/test_service.ts), so
// the benchmarks that serve both compare the same work.
const zeroBodies = new Map();

function payload(size) {
  const n = size ?? 0;
  if (n < 0 || n > MAX_PAYLOAD) throw { code: grpc.status.INVALID_ARGUMENT, details: "bad size" };
  let body = zeroBodies.get(n);
  if (body === undefined) {
    body = Buffer.alloc(n);
    if (n <= 65536 && zeroBodies.size < 64) zeroBodies.set(n, body);
  }
  return { type: 0, body };
}

function statusError(status, metadata) {
  if (!status || !status.code) return undefined;
  return { code: status.code, details: status.message ?? "", metadata };
}

async function respond(call, request) {
  for (const p of request.response_parameters ?? []) {
    if (p.interval_us) await new Promise((r) => setTimeout(r, p.interval_us / 1000));
    if (call.cancelled) return false;
    call.write({ payload: payload(p.size) });
  }
  return true;
}

const handlers = {
  EmptyCall(_call, callback) {
    callback(null, {});
  },
  UnaryCall(call, callback) {
    echoInitial(call);
    const req = call.request;
    const md = trailing(call);
    const err = statusError(req.response_status, md);
    if (err) return callback(err);
    try {
      callback(null, { payload: payload(req.response_size) }, md);
    } catch (e) {
      callback(e);
    }
  },
  StreamingOutputCall(call) {
    echoInitial(call);
    const req = call.request;
    const err = statusError(req.response_status, trailing(call));
    if (err) return call.emit("error", err);
    respond(call, req).then(() => call.end(trailing(call)), (e) => call.emit("error", e));
  },
  StreamingInputCall(call, callback) {
    let sum = 0;
    call.on("data", (m) => (sum += m.payload?.body?.length ?? 0));
    call.on("end", () => callback(null, { aggregated_payload_size: sum }));
    call.on("error", () => {});
  },
  FullDuplexCall(call) {
    echoInitial(call);
    let chain = Promise.resolve(true);
    call.on("data", (req) => {
      chain = chain.then(async (ok) => {
        if (!ok) return false;
        const err = statusError(req.response_status, trailing(call));
        if (err) {
          call.emit("error", err);
          return false;
        }
        return await respond(call, req);
      });
    });
    call.on("end", () => {
      chain.then((ok) => ok && call.end(trailing(call)), (e) => call.emit("error", e));
    });
    call.on("error", () => {});
  },
  HalfDuplexCall(call) {
    echoInitial(call);
    const all = [];
    call.on("data", (req) => all.push(req));
    call.on("end", async () => {
      for (const req of all) if (!(await respond(call, req))) return;
      call.end(trailing(call));
    });
    call.on("error", () => {});
  },
};

const server = new grpc.Server();
server.addService(testing.TestService.service, handlers);
const creds = flag("use_tls", false)
  ? grpc.ServerCredentials.createSsl(null, [{
    private_key: readFileSync(flag("key", `${certDir}server.key`)),
    cert_chain: readFileSync(flag("cert", `${certDir}server.crt`)),
  }], false)
  : grpc.ServerCredentials.createInsecure();
server.bindAsync(`127.0.0.1:${flag("port", "0")}`, creds, (err, port) => {
  if (err) {
    console.error(err.message);
    process.exit(1);
  }
  console.log(`LISTENING ${port}`);
});
process.on("SIGTERM", () => server.forceShutdown());
