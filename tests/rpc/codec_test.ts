import { strict as assert } from "node:assert";
import { Effect, Stream } from "effect";
import { Code } from "../../rpc/code.ts";
import {
  decodeMessages,
  decodeSingleMessage,
  DEFAULT_OBJECT_OPTIONS,
  encodeMessage,
  protobufSerializer,
  pullFromStream,
  readSingleMessage,
} from "../../rpc/codec.ts";
import { gzip, identity } from "../../rpc/compression.ts";
import { encodeEnvelope } from "../../rpc/envelope.ts";
import { parseProto } from "../../rpc/service.ts";
import { RpcError } from "../../rpc/status.ts";
import { SeededRng, testSeeds } from "../_support/seeded_rng.ts";
import { Echo, type Msg, msgEnvelope } from "./_support.ts";
import { concatBytes } from "../_support/bytes.ts";

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
    const all = concatBytes(wire);
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

/** A pull over fixed batches, then `undefined`; counts how often it was evaluated. */
function batches(list: Uint8Array[][]) {
  const state = { pulls: 0 };
  const pull = Effect.sync(() => list[state.pulls++]);
  return { pull, state };
}

async function failure(effect: Effect.Effect<unknown, unknown>): Promise<unknown> {
  const exit = await Effect.runPromiseExit(effect);
  assert.equal(exit._tag, "Failure");
  return exit._tag === "Failure" ? exit.cause.reasons[0] : undefined;
}

Deno.test("readSingleMessage decodes one message split across batches anywhere", async () => {
  for (const seed of testSeeds(0x5151e, 10)) {
    const rng = new SeededRng(seed);
    const msg = { text: "x".repeat(rng.int(0, 500)), n: String(rng.int(0, 1000)) };
    const compress = rng.chance(0.5);
    const wire = encodeMessage(msg, ser, { compression: gzip, compress, maxSendBytes: 1 << 20 });
    const chunks = split(wire, rng);
    const list: Uint8Array[][] = [];
    while (chunks.length > 0) list.push(chunks.splice(0, rng.int(1, 3)));
    const got = await Effect.runPromise(
      readSingleMessage(batches(list).pull, ser, { compression: gzip }),
    );
    assert.equal(got.value.text, msg.text, `seed ${seed}`);
    assert.equal(got.value.n, msg.n);
    assert.equal(got.compressed, compress);
  }
});

Deno.test("readSingleMessage stops reading as soon as a second message completes", async () => {
  // An endless body of messages: the reader must fail on the second one, not buffer the rest.
  const env = msgEnvelope({ text: "again" });
  let pulls = 0;
  const endless = Effect.sync(() => {
    pulls++;
    return [env];
  });
  const reason = await failure(readSingleMessage(endless, ser, { compression: identity }));
  assert.equal(pulls, 2);
  assert.match(String(reason), /more than one message/);
  assert.equal((reason as { error: RpcError }).error.code, Code.INTERNAL);
});

Deno.test("readSingleMessage fails INTERNAL without a message and on a truncated one", async () => {
  const empty = await failure(readSingleMessage(batches([]).pull, ser, { compression: identity }));
  assert.match(String(empty), /without a message/);
  const env = msgEnvelope({ text: "cut short" });
  const cut = await failure(
    readSingleMessage(batches([[env.subarray(0, env.length - 1)]]).pull, ser, {
      compression: identity,
    }),
  );
  assert.equal((cut as { error: RpcError }).error.code, Code.INTERNAL);
});

Deno.test("readSingleMessage rejects an oversized message from its header alone", async () => {
  // Only the 5-byte header arrives, declaring 1 MiB: no waiting for (or buffering of) the rest.
  const header = new Uint8Array([0, 0, 0x10, 0, 0]);
  const { pull, state } = batches([[header]]);
  const reason = await failure(
    readSingleMessage(pull, ser, { compression: identity, maxReceiveBytes: 1000 }),
  );
  assert.equal((reason as { error: RpcError }).error.code, Code.RESOURCE_EXHAUSTED);
  assert.equal(state.pulls, 1);
});

Deno.test("readSingleMessage maps the pull's own failure to an RpcError", async () => {
  const reason = await failure(
    readSingleMessage(Effect.fail(new Error("reset")), ser, { compression: identity }),
  );
  const error = (reason as { error: RpcError }).error;
  assert.ok(error instanceof RpcError);
  assert.equal(error.code, Code.INTERNAL);
  assert.equal(error.message, "reset");
});

Deno.test("pullFromStream yields the stream's chunks then undefined", async () => {
  const got = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const pull = yield* pullFromStream(Stream.make(new Uint8Array([1]), new Uint8Array([2])));
    const out: number[] = [];
    for (;;) {
      const chunks = yield* pull;
      if (chunks === undefined) return out;
      for (const c of chunks) out.push(...c);
    }
  })));
  assert.deepEqual(got, [1, 2]);
});

Deno.test("decodeSingleMessage fails exactly as readSingleMessage on the same body", async () => {
  const bodies: Uint8Array[] = [
    msgEnvelope({ text: "one" }),
    new Uint8Array(0),
    concatBytes([msgEnvelope({ text: "a" }), msgEnvelope({ text: "b" })]),
    msgEnvelope({ text: "truncated" }).subarray(0, 6),
    new Uint8Array([0, 0, 0, 0, 2, 0xff, 0xff]),
    new Uint8Array([2, 0, 0, 0, 0]),
    msgEnvelope({ text: "z" }, true),
    new Uint8Array([0, 0x7f, 0xff, 0xff, 0xff]),
    // An empty message, and one whole message over the limit (read in place otherwise).
    new Uint8Array([0, 0, 0, 0, 0]),
    msgEnvelope({ text: "x".repeat(1100) }),
    // A message of exactly the limit's size is accepted.
    msgEnvelope({ text: "y".repeat(1021) }),
    // A whole message followed by a stray byte.
    concatBytes([msgEnvelope({ text: "a" }), new Uint8Array([0])]),
  ];
  for (const body of bodies) {
    let done = false;
    const pull = Effect.sync(() => {
      if (done) return undefined;
      done = true;
      return body.length === 0 ? [] : [body];
    });
    const slow = await Effect.runPromise(
      Effect.exit(readSingleMessage(pull, ser, { compression: identity, maxReceiveBytes: 1024 })),
    );
    let fast: { ok: Msg } | { err: RpcError };
    try {
      fast = {
        ok: decodeSingleMessage(body, ser, { compression: identity, maxReceiveBytes: 1024 }).value,
      };
    } catch (e) {
      assert.ok(e instanceof RpcError);
      fast = { err: e };
    }
    if (slow._tag === "Success") assert.deepEqual(fast, { ok: slow.value.value });
    else {
      assert.ok("err" in fast, `expected a failure for ${body}`);
      const error = slow.cause.reasons.find((r) => r._tag === "Fail") as { error: RpcError };
      assert.equal(fast.err.code, error.error.code);
      assert.equal(fast.err.message, error.error.message);
    }
  }
});

Deno.test("decodeSingleMessage reads a whole compressed message as readSingleMessage does", async () => {
  const plain = ser.serialize({ text: "squeeze me ".repeat(20) });
  const bodies = [
    encodeEnvelope(gzip.compress(plain), true),
    encodeEnvelope(plain, false),
    // Inflates past the limit: RESOURCE_EXHAUSTED either way.
    encodeEnvelope(gzip.compress(ser.serialize({ text: "z".repeat(5000) })), true),
  ];
  for (const body of bodies) {
    const options = { compression: gzip, maxReceiveBytes: 1024 };
    let done = false;
    const pull = Effect.sync(() => {
      if (done) return undefined;
      done = true;
      return [body];
    });
    const slow = await Effect.runPromise(Effect.exit(readSingleMessage(pull, ser, options)));
    let fast: { ok: Msg; compressed: boolean } | { err: RpcError };
    try {
      const r = decodeSingleMessage(body, ser, options);
      fast = { ok: r.value, compressed: r.compressed };
    } catch (e) {
      assert.ok(e instanceof RpcError);
      fast = { err: e };
    }
    if (slow._tag === "Success") {
      assert.deepEqual(fast, { ok: slow.value.value, compressed: slow.value.compressed });
    } else {
      assert.ok("err" in fast);
      const error = slow.cause.reasons.find((r) => r._tag === "Fail") as { error: RpcError };
      assert.equal(fast.err.code, error.error.code);
      assert.equal(fast.err.message, error.error.message);
    }
  }
});

Deno.test("protobufSerializer decodes to the objects protobufjs's toObject makes", () => {
  const root = parseProto(
    `syntax = "proto3"; package google.protobuf;
    message Any { string type_url = 1; bytes value = 2; }`,
    `syntax = "proto3"; package t;
    enum Kind { A = 0; B = 1; }
    message Inner { bytes data = 1; repeated Inner children = 2; }
    message Outer {
      string s = 1; int64 big = 2; bytes raw = 3; Kind kind = 4; Inner inner = 5;
      repeated Inner list = 6; map<string, Inner> byName = 7;
      oneof choice { string label = 8; bytes blob = 9; }
      optional int32 maybe = 10; google.protobuf.Any any = 11; repeated bytes chunks = 12;
    }`,
  );
  const type = root.lookupType("t.Outer");
  const serializer = protobufSerializer<Record<string, unknown>>(type);
  const values: Record<string, unknown>[] = [
    {},
    { s: "x", big: "-5", raw: new Uint8Array([1, 2]), kind: 1, maybe: 0 },
    {
      inner: { data: new Uint8Array([7]), children: [{}, { data: new Uint8Array(0) }] },
      list: [{ children: [{}] }],
      byName: { a: {}, b: { data: new Uint8Array([9]) } },
      label: "l",
      chunks: [new Uint8Array(0), new Uint8Array([3])],
    },
    {
      blob: new Uint8Array([4]),
      any: { type_url: "type.example/t.Inner", value: new Uint8Array([10, 1, 5]) },
    },
  ];
  for (const value of values) {
    const bytes = serializer.serialize(value);
    const expected = type.toObject(type.decode(bytes), DEFAULT_OBJECT_OPTIONS);
    const actual = serializer.deserialize(bytes);
    // Bytes compare by content: protobufjs's defaults are Buffers, ours plain Uint8Arrays.
    assert.deepEqual(normalize(actual), normalize(expected));
  }
  // An absent bytes field is an empty Uint8Array that cannot be changed.
  const empty = serializer.deserialize(new Uint8Array(0));
  assert.ok(empty.raw instanceof Uint8Array);
  assert.equal((empty.raw as Uint8Array).length, 0);
  assert.ok(Object.isFrozen(empty.raw));
});

/** Replaces every byte array by a plain number array, recursively. */
function normalize(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: Array.from(value) };
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

Deno.test("encodeMessage frames protobuf messages exactly as serialize + encodeEnvelope", () => {
  const rng = new SeededRng(testSeeds(0x5eed, 1)[0]);
  const opts = { compression: identity, compress: false, maxSendBytes: 1 << 30 };
  // Sizes around the shared writer's reuse cap: a big message must not leave bytes behind
  // for the small ones after it.
  for (const size of [0, 1, 100, 70_000, 3, 200_000, 10, 127, 128, 129]) {
    const blob = new Uint8Array(size);
    for (let i = 0; i < size; i += 97) blob[i] = rng.int(0, 255);
    const msg: Msg = { text: `m${size}`, n: String(size), blob };
    const framed = encodeMessage(msg, ser, opts);
    assert.deepEqual(framed, encodeEnvelope(ser.serialize(msg), false));
    const back = ser.deserialize(framed.subarray(5));
    assert.equal(back.text, `m${size}`);
    assert.deepEqual(new Uint8Array(back.blob ?? []), blob);
  }
});

Deno.test("encodeMessage checks the send limit on the headroom path too", () => {
  const msg: Msg = { text: "x".repeat(100) };
  const size = ser.serialize(msg).length;
  assert.equal(
    encodeMessage(msg, ser, { compression: identity, compress: false, maxSendBytes: size })
      .length,
    size + 5,
  );
  assert.throws(
    () =>
      encodeMessage(msg, ser, { compression: identity, compress: false, maxSendBytes: size - 1 }),
    (e: unknown) => e instanceof RpcError && e.code === Code.RESOURCE_EXHAUSTED,
  );
  const broken = {
    serialize: (): Uint8Array => {
      throw new Error("boom");
    },
    deserialize: (): Msg => ({}),
    serializeWithHeadroom: (): Uint8Array => {
      throw new Error("boom");
    },
  };
  assert.throws(
    () => encodeMessage({}, broken, { compression: identity, compress: false, maxSendBytes: 9 }),
    (e: unknown) => e instanceof RpcError && e.code === Code.INTERNAL && /boom/.test(e.message),
  );
});
