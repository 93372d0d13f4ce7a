import { strict as assert } from "node:assert";
import { Effect } from "effect";
import { BrotliCorruptInputError, BrotliOutputLimitError } from "../../brotli/mod.ts";
import { brotliCompression, loadBrotliCompression } from "../../rpc/brotli_compression.ts";
import { makeClient } from "../../rpc/client.ts";
import { Code } from "../../rpc/code.ts";
import { CompressionRegistry, deflate, gzip } from "../../rpc/compression.ts";
import type { Fields } from "../../rpc/exchange.ts";
import { makeInMemoryTransport } from "../../rpc/in_memory_transport.ts";
import { implement, makeServer } from "../../rpc/server.ts";
import { RpcError } from "../../rpc/status.ts";
import { Echo, get } from "./_support.ts";

const br = await loadBrotliCompression();

Deno.test("loadBrotliCompression round-trips messages", () => {
  const data = new TextEncoder().encode("brotli ".repeat(500));
  const packed = br.compress(data);
  assert.ok(packed.length < data.length / 10);
  assert.deepEqual(br.decompress(packed, data.length), data);
});

Deno.test("brotliCompression maps the output limit to RESOURCE_EXHAUSTED and corruption to INTERNAL", () => {
  // A stub codec: the real decoder's limit is tested in tests/brotli; here only the mapping.
  const stub = {
    name: "br" as const,
    compress: (d: Uint8Array) => d,
    decompress: (d: Uint8Array, max: number) => {
      if (d[0] === 1) throw new BrotliOutputLimitError(max);
      if (d[0] === 2) throw new BrotliCorruptInputError("bad");
      return d;
    },
  };
  const c = brotliCompression(stub);
  assert.throws(
    () => c.decompress(new Uint8Array([1]), 10),
    (e) => e instanceof RpcError && e.code === Code.RESOURCE_EXHAUSTED,
  );
  assert.throws(
    () => c.decompress(new Uint8Array([2]), 10),
    (e) => e instanceof RpcError && e.code === Code.INTERNAL,
  );
  assert.deepEqual(c.decompress(new Uint8Array([3]), 10), new Uint8Array([3]));
});

Deno.test("br is negotiated between h2kit peers and gzip is used with peers without it", async () => {
  const withBr = new CompressionRegistry([br, gzip, deflate]);
  let responseHeaders: Fields = [];
  let requestHeaders: Fields = [];
  const server = makeServer([implement(Echo, { Say: (m) => Effect.succeed(m) })], {
    compressions: withBr,
    sendCompression: ["br", "gzip"],
  });
  const spy = makeInMemoryTransport((req) => {
    requestHeaders = req.headers;
    return Effect.map(server(req), (res) => {
      responseHeaders = res.headers;
      return res;
    });
  });
  const text = "hello brotli ".repeat(100);
  const ours = makeClient(Echo, spy, { compressions: withBr });
  assert.equal((await Effect.runPromise(ours.Say({ text }, { compression: "br" }))).text, text);
  assert.equal(get(requestHeaders, "grpc-encoding"), "br");
  assert.equal(get(responseHeaders, "grpc-encoding"), "br");
  const plain = makeClient(Echo, spy); // accepts identity, gzip, deflate only (like grpc-js)
  assert.equal((await Effect.runPromise(plain.Say({ text }))).text, text);
  assert.equal(get(responseHeaders, "grpc-encoding"), "gzip");
});
