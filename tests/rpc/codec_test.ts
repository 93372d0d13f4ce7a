import { strict as assert } from "node:assert";
import { Effect, Stream } from "effect";
import { Code } from "../../rpc/code.ts";
import { decodeMessages, encodeMessage } from "../../rpc/codec.ts";
import { gzip, identity } from "../../rpc/compression.ts";
import { SeededRng, testSeeds } from "../_support/seeded_rng.ts";
import { Echo, type Msg } from "./_support.ts";

const ser = Echo.methods.Say.input;

function split(bytes: Uint8Array, rng: SeededRng): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const n = rng.int(1, 64);
    out.push(bytes.slice(at, at + n));
    at += n;
  }
  return out;
}

Deno.test("protobufSerializer round-trips int64 as exact decimal strings and bytes", () => {
  const msg = ser.deserialize(
    ser.serialize({ text: "é☺", n: "-9223372036854775808", blob: new Uint8Array([0, 255]) }),
  );
  assert.equal(msg.text, "é☺");
  assert.equal(msg.n, "-9223372036854775808");
  assert.deepEqual(Array.from(msg.blob!), [0, 255]);
  const empty = ser.deserialize(new Uint8Array(0));
  assert.equal(empty.text, "");
  assert.equal(empty.n, "0");
});

Deno.test("decodeMessages decodes compressed and plain messages split anywhere", async () => {
  for (const seed of testSeeds(0xc0dec, 10)) {
    const rng = new SeededRng(seed);
    const msgs: Msg[] = Array.from(
      { length: rng.int(0, 12) },
      (_, i) => ({ text: "m".repeat(rng.int(0, 300)) + i }),
    );
    const wire = msgs.map((m) =>
      encodeMessage(m, ser, { compression: gzip, compress: rng.chance(0.5), maxSendBytes: 1 << 20 })
    );
    const all = new Uint8Array(wire.reduce((n, w) => n + w.length, 0));
    let at = 0;
    for (const w of wire) {
      all.set(w, at);
      at += w.length;
    }
    const got = await Effect.runPromise(Stream.runCollect(
      decodeMessages(Stream.fromIterable(split(all, rng)), ser, { compression: gzip }),
    ));
    assert.deepEqual(Array.from(got, (r) => r.value.text), msgs.map((m) => m.text), `seed ${seed}`);
  }
});

Deno.test("encodeMessage compresses only when asked and above the threshold", () => {
  const m = { text: "a".repeat(100) };
  assert.equal(
    encodeMessage(m, ser, { compression: gzip, compress: true, maxSendBytes: 1000 })[0],
    1,
  );
  assert.equal(
    encodeMessage(m, ser, { compression: gzip, compress: false, maxSendBytes: 1000 })[0],
    0,
  );
  assert.equal(
    encodeMessage(m, ser, { compression: identity, compress: true, maxSendBytes: 1000 })[0],
    0,
  );
  assert.equal(
    encodeMessage(m, ser, {
      compression: gzip,
      compress: true,
      maxSendBytes: 1000,
      compressMinBytes: 500,
    })[0],
    0,
  );
  assert.throws(
    () => encodeMessage(m, ser, { compression: identity, compress: false, maxSendBytes: 10 }),
    (e: { code?: number }) => e.code === Code.RESOURCE_EXHAUSTED,
  );
});

Deno.test("decodeMessages fails with INTERNAL on garbage and never throws past the stream", async () => {
  for (const seed of testSeeds(0x6a7b, 30)) {
    const rng = new SeededRng(seed);
    const exit = await Effect.runPromiseExit(Stream.runDrain(
      decodeMessages(Stream.make(rng.bytes(rng.int(1, 100))), ser, {
        compression: gzip,
        maxReceiveBytes: 1000,
      }),
    ));
    if (exit._tag === "Failure") {
      const err = exit.cause.reasons[0];
      assert.equal(err._tag, "Fail", `seed ${seed}: ${exit.cause}`);
    }
  }
});
