import { strict as assert } from "node:assert";
import zlib from "node:zlib";
import { Code } from "../../rpc/code.ts";
import {
  CompressionRegistry,
  defaultCompressions,
  deflate,
  gzip,
  identity,
} from "../../rpc/compression.ts";
import { RpcError } from "../../rpc/status.ts";
import { SeededRng, testSeeds } from "../_support/seeded_rng.ts";

Deno.test("gzip and deflate round-trip random and repetitive data", () => {
  for (const codec of [gzip, deflate, identity]) {
    for (const seed of testSeeds(0xc0de, 10)) {
      const rng = new SeededRng(seed);
      const data = rng.chance(0.5) ? rng.bytes(rng.int(0, 5000)) : new Uint8Array(rng.int(0, 5000));
      const packed = codec.compress(data);
      assert.deepEqual(codec.decompress(packed, data.length), data, `${codec.name} seed ${seed}`);
    }
  }
});

Deno.test("gzip and deflate use the RFC 1952 and RFC 1950 formats", () => {
  const data = new TextEncoder().encode("hello hello hello");
  assert.deepEqual(Array.from(gzip.compress(data).subarray(0, 2)), [0x1f, 0x8b]);
  assert.equal(deflate.compress(data)[0] & 0x0f, 8); // CM = 8 (deflate) in the zlib header
  assert.deepEqual(new Uint8Array(zlib.gunzipSync(gzip.compress(data))), data);
  assert.deepEqual(new Uint8Array(zlib.inflateSync(deflate.compress(data))), data);
});

Deno.test("decompress is bounded by maxBytes (decompression bomb)", () => {
  const bomb = gzip.compress(new Uint8Array(50_000_000));
  assert.ok(bomb.length < 100_000);
  assert.throws(
    () => gzip.decompress(bomb, 1 << 20),
    (e) => e instanceof RpcError && e.code === Code.RESOURCE_EXHAUSTED,
  );
  assert.throws(
    () => deflate.decompress(deflate.compress(new Uint8Array(1001)), 1000),
    (e) => e instanceof RpcError && e.code === Code.RESOURCE_EXHAUSTED,
  );
  assert.throws(
    () => identity.decompress(new Uint8Array(11), 10),
    (e) => e instanceof RpcError && e.code === Code.RESOURCE_EXHAUSTED,
  );
  assert.equal(gzip.decompress(gzip.compress(new Uint8Array(1000)), 1000).length, 1000);
});

Deno.test("decompress reports corrupt data as INTERNAL", () => {
  for (const codec of [gzip, deflate]) {
    assert.throws(
      () => codec.decompress(new Uint8Array([1, 2, 3, 4, 5]), 100),
      (e) => e instanceof RpcError && e.code === Code.INTERNAL,
    );
  }
});

Deno.test("CompressionRegistry resolves encodings and refuses unknown ones with UNIMPLEMENTED", () => {
  const reg = defaultCompressions;
  assert.equal(reg.acceptEncoding, "identity,gzip,deflate");
  assert.equal(reg.resolve(undefined), identity);
  assert.equal(reg.resolve("identity"), identity);
  assert.equal(reg.resolve("GZIP"), gzip);
  assert.throws(
    () => reg.resolve("br"),
    (e) =>
      e instanceof RpcError && e.code === Code.UNIMPLEMENTED &&
      /identity,gzip,deflate/.test(e.message),
  );
});

Deno.test("CompressionRegistry negotiates the first preferred encoding the peer accepts", () => {
  const br = { name: "br", compress: (d: Uint8Array) => d, decompress: (d: Uint8Array) => d };
  const reg = new CompressionRegistry([br, gzip, deflate]);
  assert.equal(reg.acceptEncoding, "identity,br,gzip,deflate");
  assert.equal(reg.negotiate(["br", "gzip"], "identity,br,gzip").name, "br");
  // A peer without Brotli (grpc-js, grpcio) falls back to gzip.
  assert.equal(reg.negotiate(["br", "gzip"], "identity,deflate,gzip").name, "gzip");
  assert.equal(reg.negotiate(["br"], "identity,gzip").name, "identity");
  assert.equal(reg.negotiate(["gzip"], undefined).name, "identity");
  assert.equal(reg.negotiate([], "gzip").name, "identity");
});
