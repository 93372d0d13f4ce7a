// The gRPC interop client cases on @grpc/grpc-js (Node 20), run against h2kit's server.
// Flags: --server_host H, --server_port N, --use_tls, --ca FILE, --server_host_override NAME,
// --test_case NAME|all|NAME,NAME. Prints "PASS <case>" or "FAIL <case>: <why>" per case and
// exits 1 if any failed (grpc doc/interop-test-descriptions.md "Client").

import { readFileSync } from "node:fs";
import http2 from "node:http2";
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

const CASES = [
  "empty_unary",
  "large_unary",
  "client_streaming",
  "server_streaming",
  "ping_pong",
  "empty_stream",
  "custom_metadata",
  "status_code_and_message",
  "special_status_message",
  "unimplemented_method",
  "unimplemented_service",
  "cancel_after_begin",
  "cancel_after_first_response",
  "timeout_on_sleeping_server",
  "client_compressed_unary",
  "server_compressed_unary",
];

const definition = protoLoader.loadSync("grpc/testing/test.proto", {
  includeDirs: [protoDir],
  keepCase: true,
  longs: String,
  enums: Number,
  defaults: false,
  oneofs: true,
});
const testing = grpc.loadPackageDefinition(definition).grpc.testing;

const host = flag("server_host", "127.0.0.1");
const port = flag("server_port", "50051");
const tls = flag("use_tls", false) !== false && flag("use_tls", false) !== "false";
const override = flag("server_host_override", undefined);
const credentials = tls
  ? grpc.credentials.createSsl(readFileSync(flag("ca", `${certDir}ca.crt`)))
  : grpc.credentials.createInsecure();
const baseOptions = override === undefined ? {} : {
  "grpc.ssl_target_name_override": override,
  "grpc.default_authority": override,
};

function makeClient(Service, extra = {}) {
  return new Service(`${host}:${port}`, credentials, { ...baseOptions, ...extra });
}

const client = makeClient(testing.TestService);
const gzipClient = makeClient(testing.TestService, { "grpc.default_compression_algorithm": 2 });
const unimplementedClient = makeClient(testing.UnimplementedService);

class Failure extends Error {}
function check(condition, message) {
  if (!condition) throw new Failure(message);
}
const zeros = (n) => ({ type: 0, body: Buffer.alloc(n) });

function unary(c, method, request, options = {}) {
  return new Promise((resolve, reject) => {
    const metadata = options.metadata ?? new grpc.Metadata();
    const call = c[method](request, metadata, { deadline: options.deadline }, (err, res) => {
      if (err) reject(err);
      else resolve(res);
    });
    if (options.onMetadata) call.on("metadata", options.onMetadata);
    if (options.onStatus) call.on("status", options.onStatus);
  });
}

function expectCode(promise, code, message) {
  return promise.then(
    () => {
      throw new Failure(`expected status ${code}, call succeeded`);
    },
    (err) => {
      if (err instanceof Failure) throw err;
      check(err.code === code, `expected status ${code}, got ${err.code}: ${err.details}`);
      if (message !== undefined) {
        check(
          err.details === message,
          `expected message ${JSON.stringify(message)}, got ${JSON.stringify(err.details)}`,
        );
      }
    },
  );
}

function collect(call) {
  return new Promise((resolve, reject) => {
    const out = [];
    call.on("data", (m) => out.push(m));
    call.on("end", () => resolve(out));
    call.on("error", reject);
  });
}

function nextMessage(call) {
  return new Promise((resolve, reject) => {
    const onData = (m) => {
      call.off("error", onError);
      resolve(m);
    };
    const onError = (e) => {
      call.off("data", onData);
      reject(e);
    };
    call.once("data", onData);
    call.once("error", onError);
  });
}

// SimpleRequest{response_size: 314159, response_compressed: {value}} in a gRPC frame.
function rawFirstByte(compressed) {
  const message = Buffer.from([0x10, 0xaf, 0x96, 0x13, 0x32, 0x02, 0x08, compressed ? 1 : 0]);
  const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]);
  return new Promise((resolve, reject) => {
    const session = http2.connect(`${tls ? "https" : "http"}://${host}:${port}`, {
      ca: tls ? readFileSync(flag("ca", `${certDir}ca.crt`)) : undefined,
      servername: override ?? (host === "127.0.0.1" ? "localhost" : host),
    });
    session.on("error", reject);
    const req = session.request({
      ":method": "POST",
      ":path": "/grpc.testing.TestService/UnaryCall",
      "content-type": "application/grpc",
      te: "trailers",
      "grpc-accept-encoding": "identity,gzip",
    });
    let first;
    req.on("data", (chunk) => (first ??= chunk[0]));
    req.on("end", () => {
      session.close();
      resolve(first);
    });
    req.on("error", reject);
    req.end(frame);
  });
}

const SPECIAL = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n";

const cases = {
  async empty_unary() {
    const res = await unary(client, "EmptyCall", {});
    check(Object.keys(res).length === 0, "EmptyCall returned fields");
  },
  async large_unary() {
    const res = await unary(client, "UnaryCall", { response_size: 314159, payload: zeros(271828) });
    check(res.payload?.body?.length === 314159, `payload ${res.payload?.body?.length}`);
  },
  async client_streaming() {
    const res = await new Promise((resolve, reject) => {
      const call = client.StreamingInputCall((err, r) => (err ? reject(err) : resolve(r)));
      for (const n of [27182, 8, 1828, 45904]) call.write({ payload: zeros(n) });
      call.end();
    });
    check(res.aggregated_payload_size === 74922, `aggregated ${res.aggregated_payload_size}`);
  },
  async server_streaming() {
    const sizes = [31415, 9, 2653, 58979];
    const got = await collect(
      client.StreamingOutputCall({ response_parameters: sizes.map((size) => ({ size })) }),
    );
    check(got.map((m) => m.payload.body.length).join() === sizes.join(), "sizes differ");
  },
  async ping_pong() {
    const call = client.FullDuplexCall();
    const ended = new Promise((resolve, reject) => {
      call.on("status", resolve);
      call.on("error", reject);
    });
    for (const [out, inp] of [[31415, 27182], [9, 8], [2653, 1828], [58979, 45904]]) {
      const next = nextMessage(call);
      call.write({ response_parameters: [{ size: out }], payload: zeros(inp) });
      const m = await next;
      check(m.payload.body.length === out, `got ${m.payload.body.length}, want ${out}`);
    }
    call.end();
    call.resume();
    const status = await ended;
    check(status.code === 0, `status ${status.code}`);
  },
  async empty_stream() {
    const call = client.FullDuplexCall();
    call.end();
    const got = await collect(call);
    check(got.length === 0, "expected no responses");
  },
  async custom_metadata() {
    const initial = "test_initial_metadata_value";
    const trailingValue = Buffer.from([0xab, 0xab, 0xab]);
    const md = () => {
      const m = new grpc.Metadata();
      m.set("x-grpc-test-echo-initial", initial);
      m.set("x-grpc-test-echo-trailing-bin", trailingValue);
      return m;
    };
    const verify = (kind, headers, status) => {
      check(headers?.get("x-grpc-test-echo-initial")[0] === initial, `${kind}: initial`);
      const t = status?.metadata.get("x-grpc-test-echo-trailing-bin")[0];
      check(Buffer.isBuffer(t) && t.equals(trailingValue), `${kind}: trailing`);
    };
    let headers, status;
    await unary(client, "UnaryCall", { response_size: 314159, payload: zeros(271828) }, {
      metadata: md(),
      onMetadata: (m) => (headers = m),
      onStatus: (s) => (status = s),
    });
    await new Promise((r) => setImmediate(r));
    verify("unary", headers, status);
    const call = client.FullDuplexCall(md());
    const h = new Promise((r) => call.on("metadata", r));
    const s = new Promise((r) => call.on("status", r));
    call.write({ response_parameters: [{ size: 314159 }], payload: zeros(271828) });
    call.end();
    await collect(call);
    verify("duplex", await h, await s);
  },
  async status_code_and_message() {
    const response_status = { code: 2, message: "test status message" };
    await expectCode(unary(client, "UnaryCall", { response_status }), 2, response_status.message);
    const call = client.FullDuplexCall();
    call.write({ response_status });
    call.end();
    await expectCode(collect(call), 2, response_status.message);
  },
  async special_status_message() {
    await expectCode(
      unary(client, "UnaryCall", { response_status: { code: 2, message: SPECIAL } }),
      2,
      SPECIAL,
    );
  },
  async unimplemented_method() {
    await expectCode(unary(client, "UnimplementedCall", {}), grpc.status.UNIMPLEMENTED);
  },
  async unimplemented_service() {
    await expectCode(
      unary(unimplementedClient, "UnimplementedCall", {}),
      grpc.status.UNIMPLEMENTED,
    );
  },
  async cancel_after_begin() {
    const done = new Promise((resolve, reject) => {
      const call = client.StreamingInputCall((
        err,
      ) => (err ? resolve(err) : reject(new Failure("ok"))));
      setTimeout(() => call.cancel(), 10);
    });
    const err = await done;
    check(err.code === grpc.status.CANCELLED, `status ${err.code}`);
  },
  async cancel_after_first_response() {
    const call = client.FullDuplexCall();
    const first = nextMessage(call);
    call.write({ response_parameters: [{ size: 31415 }], payload: zeros(27182) });
    const m = await first;
    check(m.payload.body.length === 31415, "bad first response");
    const err = await new Promise((resolve) => {
      call.on("error", resolve);
      call.cancel();
    });
    check(err.code === grpc.status.CANCELLED, `status ${err.code}`);
  },
  async timeout_on_sleeping_server() {
    const call = client.FullDuplexCall({ deadline: Date.now() + 1 });
    call.write({ payload: zeros(27182) });
    const err = await collect(call).then(() => ({ code: 0 }), (e) => e);
    check(err.code === grpc.status.DEADLINE_EXCEEDED, `status ${err.code}`);
  },
  async client_compressed_unary() {
    const request = {
      response_size: 314159,
      payload: zeros(271828),
      expect_compressed: { value: true },
    };
    // Probe: uncompressed but claiming compression must be refused.
    await expectCode(unary(client, "UnaryCall", request), grpc.status.INVALID_ARGUMENT);
    const a = await unary(gzipClient, "UnaryCall", request);
    check(a.payload.body.length === 314159, "compressed call: bad payload");
    const b = await unary(client, "UnaryCall", { ...request, expect_compressed: { value: false } });
    check(b.payload.body.length === 314159, "uncompressed call: bad payload");
  },
  async server_compressed_unary() {
    for (const compressed of [true, false]) {
      const res = await unary(client, "UnaryCall", {
        response_size: 314159,
        payload: zeros(271828),
        response_compressed: { value: compressed },
      });
      check(res.payload.body.length === 314159, "bad payload");
      // grpc-js hides the per-message compressed flag (and strips grpc-encoding), so the same
      // request is also sent with node:http2 and the flag byte of the response read directly.
      const flagByte = await rawFirstByte(compressed);
      check(flagByte === (compressed ? 1 : 0), `compressed=${compressed} but flag ${flagByte}`);
    }
  },
};

const wanted = flag("test_case", "all");
const names = wanted === "all" ? CASES : String(wanted).split(",");
let failed = 0;
for (const name of names) {
  const fn = cases[name];
  if (fn === undefined) {
    console.log(`FAIL ${name}: unknown test case`);
    failed++;
    continue;
  }
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Failure("timed out after 10 s")), 10_000).unref()
      ),
    ]);
    console.log(`PASS ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e?.message ?? e}`);
  }
}
client.close();
gzipClient.close();
unimplementedClient.close();
process.exit(failed === 0 ? 0 : 1);
