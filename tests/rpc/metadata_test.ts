import { strict as assert } from "node:assert";
import { isReservedHeader, Metadata } from "../../rpc/metadata.ts";

Deno.test("Metadata lower-cases keys and keeps multiple values in order", () => {
  const md = new Metadata({ "X-Trace": "a" });
  md.append("x-trace", "b");
  assert.deepEqual(md.getAll("X-TRACE"), ["a", "b"]);
  assert.equal(md.get("x-trace"), "a");
  md.set("x-trace", "c");
  assert.deepEqual(md.getAll("x-trace"), ["c"]);
  md.delete("X-Trace");
  assert.equal(md.has("x-trace"), false);
});

Deno.test("Metadata refuses reserved, pseudo and connection-specific keys", () => {
  for (
    const key of [
      ":path",
      "grpc-status",
      "grpc-timeout",
      "content-type",
      "te",
      "connection",
      "host",
      "transfer-encoding",
      "upgrade",
      "keep-alive",
    ]
  ) {
    assert.throws(() => new Metadata().set(key, "x"), TypeError, key);
    assert.equal(isReservedHeader(key), true, key);
  }
  assert.throws(() => new Metadata().set("bad key", "x"), TypeError);
  assert.throws(() => new Metadata().set("", "x"), TypeError);
});

Deno.test("Metadata checks value types and printable ASCII", () => {
  assert.throws(() => new Metadata().set("a-bin", "text"), TypeError);
  assert.throws(() => new Metadata().set("a", new Uint8Array(1)), TypeError);
  assert.throws(() => new Metadata().set("a", "line\nbreak"), TypeError);
  assert.throws(() => new Metadata().set("a", "é"), TypeError);
  new Metadata().set("a", " ~ printable ");
});

Deno.test("Metadata writes -bin values as unpadded base64", () => {
  const md = new Metadata();
  md.set("x-grpc-test-echo-trailing-bin", new Uint8Array([0xab, 0xab, 0xab]));
  md.append("k-bin", new Uint8Array([1]));
  md.set("plain", "v");
  const out: Array<{ name: string; value: string }> = [];
  md.writeTo(out);
  assert.deepEqual(out, [
    { name: "x-grpc-test-echo-trailing-bin", value: "q6ur" },
    { name: "k-bin", value: "AQ" },
    { name: "plain", value: "v" },
  ]);
});

Deno.test("Metadata.fromHeaders decodes padded, unpadded and comma-joined -bin values", () => {
  const md = Metadata.fromHeaders([
    { name: "a-bin", value: "AQ==" },
    { name: "a-bin", value: "AQI" },
    { name: "b-bin", value: "AQ==,AgM, BA" },
    { name: "c", value: "x, y" },
  ]);
  assert.deepEqual(md.getAll("a-bin"), [new Uint8Array([1]), new Uint8Array([1, 2])]);
  assert.deepEqual(md.getAll("b-bin"), [
    new Uint8Array([1]),
    new Uint8Array([2, 3]),
    new Uint8Array([4]),
  ]);
  assert.deepEqual(md.getAll("c"), ["x, y"]);
});

Deno.test("Metadata.fromHeaders skips reserved names and malformed -bin values", () => {
  const md = Metadata.fromHeaders([
    { name: "grpc-status", value: "0" },
    { name: "grpc-message", value: "x" },
    { name: ":status", value: "200" },
    { name: "content-type", value: "application/grpc" },
    { name: "bad-bin", value: "A" },
    { name: "bad2-bin", value: "!!!!" },
    { name: "bad3-bin", value: "AQ =" },
    { name: "Upper", value: "x" },
    { name: "ok", value: "y" },
  ]);
  assert.deepEqual([...md], [["ok", "y"]]);
});

Deno.test("Metadata round-trips random binary values through headers", () => {
  for (let n = 0; n < 40; n++) {
    const bytes = new Uint8Array(n).map((_, i) => (i * 37 + n) & 0xff);
    const md = new Metadata({ "v-bin": bytes });
    const out: Array<{ name: string; value: string }> = [];
    md.writeTo(out);
    assert.ok(!out[0].value.endsWith("="));
    assert.deepEqual(Metadata.fromHeaders(out).get("v-bin"), bytes);
  }
});

Deno.test("Metadata merge appends without mutating either side", () => {
  const a = new Metadata({ k: "1" });
  const b = new Metadata({ k: "2", j: "3" });
  const m = a.merge(b);
  assert.deepEqual(m.getAll("k"), ["1", "2"]);
  assert.deepEqual(a.getAll("k"), ["1"]);
  assert.equal(m.size, 2);
});
