import { strict as assert } from "node:assert";
import { Code } from "../../rpc/code.ts";
import { encodeEnvelope, type Envelope, EnvelopeReader } from "../../rpc/envelope.ts";
import { RpcError } from "../../rpc/status.ts";
import { concatBytes } from "../_support/bytes.ts";
import { SeededRng, testSeeds } from "../_support/seeded_rng.ts";

function drain(reader: EnvelopeReader): Envelope[] {
  const out: Envelope[] = [];
  for (let e = reader.next(); e !== undefined; e = reader.next()) out.push(e);
  return out;
}

Deno.test("encodeEnvelope writes flag and big-endian length", () => {
  assert.deepEqual(
    encodeEnvelope(new Uint8Array([7, 8, 9]), true),
    new Uint8Array([1, 0, 0, 0, 3, 7, 8, 9]),
  );
  assert.deepEqual(encodeEnvelope(new Uint8Array(0)), new Uint8Array([0, 0, 0, 0, 0]));
  const big = encodeEnvelope(new Uint8Array(0x01020304 & 0xffff));
  assert.deepEqual(Array.from(big.subarray(0, 5)), [0, 0, 0, 0x03, 0x04]);
});

Deno.test("EnvelopeReader parses messages split at random points", () => {
  for (const seed of testSeeds(0xe17e, 40)) {
    const rng = new SeededRng(seed);
    const messages = Array.from({ length: rng.int(1, 30) }, () => ({
      compressed: rng.chance(0.3),
      data: rng.bytes(rng.chance(0.1) ? rng.int(1000, 70000) : rng.int(0, 40)),
    }));
    const wire = concatBytes(messages.map((m) => encodeEnvelope(m.data, m.compressed)));
    const reader = new EnvelopeReader();
    const got: Envelope[] = [];
    let at = 0;
    while (at < wire.length) {
      const n = rng.chance(0.2) ? 1 : rng.int(1, 3000);
      reader.push(wire.slice(at, at + n));
      at += n;
      got.push(...drain(reader));
    }
    reader.finish();
    assert.equal(got.length, messages.length, `seed ${seed}`);
    for (let i = 0; i < got.length; i++) {
      assert.equal(got[i].compressed, messages[i].compressed, `seed ${seed} #${i}`);
      assert.deepEqual(got[i].data, messages[i].data, `seed ${seed} #${i}`);
    }
    assert.equal(reader.buffered, 0);
  }
});

Deno.test("EnvelopeReader returns a message inside one chunk without copying", () => {
  const wire = encodeEnvelope(new Uint8Array([1, 2, 3]));
  const reader = new EnvelopeReader();
  reader.push(wire);
  const env = reader.next()!;
  assert.equal(env.data.buffer, wire.buffer);
});

Deno.test("EnvelopeReader rejects an oversized length before buffering its payload", () => {
  const reader = new EnvelopeReader({ maxMessageBytes: 100 });
  reader.push(new Uint8Array([0, 0, 0, 0, 101]));
  assert.throws(
    () => reader.next(),
    (e) => e instanceof RpcError && e.code === Code.RESOURCE_EXHAUSTED,
  );
  const huge = new EnvelopeReader();
  huge.push(new Uint8Array([0, 0xff, 0xff, 0xff, 0xff]));
  assert.throws(
    () => huge.next(),
    (e) => e instanceof RpcError && e.code === Code.RESOURCE_EXHAUSTED,
  );
});

Deno.test("EnvelopeReader accepts a message of exactly the maximum size", () => {
  const reader = new EnvelopeReader({ maxMessageBytes: 10 });
  reader.push(encodeEnvelope(new Uint8Array(10)));
  assert.equal(reader.next()?.data.length, 10);
});

Deno.test("EnvelopeReader rejects undefined flag bits as INTERNAL", () => {
  for (const flags of [0x02, 0x80, 0x81, 0xff]) {
    const reader = new EnvelopeReader();
    reader.push(new Uint8Array([flags, 0, 0, 0, 0]));
    assert.throws(() => reader.next(), (e) => e instanceof RpcError && e.code === Code.INTERNAL);
  }
});

Deno.test("EnvelopeReader finish fails on a truncated message", () => {
  const reader = new EnvelopeReader();
  reader.push(encodeEnvelope(new Uint8Array(10)).subarray(0, 8));
  assert.equal(reader.next(), undefined);
  assert.throws(() => reader.finish(), (e) => e instanceof RpcError && e.code === Code.INTERNAL);
  const header = new EnvelopeReader();
  header.push(new Uint8Array([0, 0]));
  assert.throws(() => header.finish(), (e) => e instanceof RpcError && e.code === Code.INTERNAL);
});

Deno.test("EnvelopeReader only ever throws RpcError on random bytes", () => {
  for (const seed of testSeeds(0xbad, 30)) {
    const rng = new SeededRng(seed);
    const reader = new EnvelopeReader({ maxMessageBytes: 1 << 16 });
    try {
      for (let i = 0; i < 20; i++) {
        reader.push(rng.bytes(rng.int(0, 64)));
        drain(reader);
      }
      reader.finish();
    } catch (e) {
      assert.ok(e instanceof RpcError, `seed ${seed}: ${e}`);
    }
  }
});
