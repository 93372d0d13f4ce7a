import assert from "node:assert/strict";
import { ByteWriter, UsageError } from "../../../core/mod.ts";
import { HpackDecoder, HpackEncoder } from "../../../core/hpack/mod.ts";
import type { HeaderField } from "../../../core/hpack/mod.ts";
import { SeededRng, testSeeds } from "../../_support/seeded_rng.ts";
import { fromHex, toHex } from "./_helpers.ts";

Deno.test("HpackEncoder uses one octet for static exact matches", () => {
  const encoder = new HpackEncoder();
  const block = encoder.encodeToBytes([
    { name: ":method", value: "POST" },
    { name: ":status", value: "404" },
    { name: "accept-encoding", value: "gzip, deflate" },
  ]);
  assert.equal(toHex(block), "838d90");
  assert.equal(encoder.dynamicTable.length, 0);
});

Deno.test("HpackEncoder indexes new fields and then references them", () => {
  const encoder = new HpackEncoder({ huffman: "never" });
  const first = encoder.encodeToBytes([{ name: "x-a", value: "1" }, {
    name: "user-agent",
    value: "u",
  }]);
  assert.equal(toHex(first), "4003782d6101317a0175"); // new name; static name 58
  const again = encoder.encodeToBytes([{ name: "user-agent", value: "u" }, {
    name: "x-a",
    value: "1",
  }]);
  assert.equal(toHex(again), "bebf");
  // Same name, new value: the dynamic name is reused (index 63 = x-a).
  const renamed = encoder.encodeToBytes([{ name: "x-a", value: "2" }]);
  assert.equal(toHex(renamed), "7f000132");
});

Deno.test("HpackEncoder does not index the fields nghttp2 does not index", () => {
  for (
    const name of [
      ":path",
      "age",
      "content-length",
      "etag",
      "if-modified-since",
      "if-none-match",
      "location",
      "set-cookie",
    ]
  ) {
    const encoder = new HpackEncoder();
    const block = encoder.encodeToBytes([{ name, value: "some-value-here" }]);
    assert.equal(block[0] & 0xf0, 0x00, name); // literal without indexing
    assert.equal(encoder.dynamicTable.length, 0, name);
  }
  // last-modified and the rest are indexed (as libnghttp2 1.52 does).
  const encoder = new HpackEncoder();
  encoder.encodeToBytes([{ name: "last-modified", value: "x" }, { name: "server", value: "y" }]);
  assert.equal(encoder.dynamicTable.length, 2);
});

Deno.test("HpackEncoder does not index fields larger than 3/4 of the table", () => {
  const encoder = new HpackEncoder();
  encoder.encodeToBytes([{ name: "x", value: "v".repeat(3072 - 33) }]); // 3072: exactly 3/4
  assert.equal(encoder.dynamicTable.length, 1);
  encoder.encodeToBytes([{ name: "y", value: "v".repeat(3072 - 32) }]); // 3073
  assert.equal(encoder.dynamicTable.get(0)?.name, "x");
});

Deno.test("HpackEncoder sends secrets as never-indexed literals", () => {
  const encoder = new HpackEncoder();
  const decoder = new HpackDecoder();
  const list = [
    { name: "authorization", value: "Bearer abc" },
    { name: "proxy-authorization", value: "Basic xyz" },
    { name: "cookie", value: "short=1" },
    { name: "x-api-key", value: "k", sensitive: true },
    { name: "cookie", value: "long-enough-cookie=123456789" },
  ];
  const got = decoder.decode(encoder.encodeToBytes(list));
  assert.deepEqual(got.map((f) => f.sensitive === true), [true, true, true, true, false]);
  assert.deepEqual(got.map((f) => [f.name, f.value]), list.map((f) => [f.name, f.value]));
  // Only the long cookie went into the table; a repeat of a secret is never indexed.
  assert.equal(encoder.dynamicTable.length, 1);
  const repeat = encoder.encodeToBytes([{ name: "x-api-key", value: "k", sensitive: true }]);
  assert.equal(repeat[0] & 0xf0, 0x10);
});

Deno.test("HpackEncoder uses Huffman only when strictly shorter", () => {
  const auto = new HpackEncoder();
  // "www.example.com" is 12 octets in Huffman: used.
  assert.equal(
    toHex(auto.encodeToBytes([{ name: ":authority", value: "www.example.com" }])),
    "418cf1e3c2e5f23a6ba0ab90f4ff",
  );
  // Octets with long codes would grow: raw.
  const raw = auto.encodeToBytes([{ name: "x-bin", value: "\xff\xfe\x00" }]);
  assert.equal(toHex(raw.subarray(raw.length - 4)), "03fffe00");
  const never = new HpackEncoder({ huffman: "never" });
  assert.equal(toHex(never.encodeToBytes([{ name: ":authority", value: "a" }])), "410161");
  const always = new HpackEncoder({ huffman: "always" });
  const forced = always.encodeToBytes([{ name: "x-bin", value: "\xff" }]);
  assert.equal(new HpackDecoder().decode(forced)[0].value, "\xff");
  assert.equal(forced[forced.length - 5], 0x80 | 4); // 26-bit code: 4 octets, Huffman flag
});

Deno.test("HpackEncoder keeps duplicates in order and arbitrary octets", () => {
  const encoder = new HpackEncoder();
  const list = [
    { name: "", value: "" },
    { name: "x", value: "1" },
    { name: "x", value: "1" },
    { name: "x", value: "2" },
    { name: "Bin\x00", value: "\x00\x7f\x80\xff" },
    { name: "x", value: "1" },
  ];
  const got = new HpackDecoder().decode(encoder.encodeToBytes(list));
  assert.deepEqual(got, list);
});

Deno.test("HpackEncoder rejects code units above 0xFF before changing any state", () => {
  const encoder = new HpackEncoder();
  const decoder = new HpackDecoder();
  assert.throws(
    () =>
      encoder.encodeToBytes([{ name: "x-ok", value: "1" }, {
        name: "x",
        value: "caf\u00e9\u2603",
      }]),
    UsageError,
  );
  assert.equal(encoder.dynamicTable.length, 0);
  // The context is intact: the next block decodes in sync.
  const block = encoder.encodeToBytes([{ name: "x-ok", value: "1" }]);
  assert.deepEqual(decoder.decode(block), [{ name: "x-ok", value: "1" }]);
  assert.throws(() => encoder.encodeToBytes([{ name: "\u{1f600}", value: "" }]), UsageError);
});

Deno.test("HpackEncoder announces a lowered peer table size at the next block", () => {
  const encoder = new HpackEncoder();
  encoder.encodeToBytes([{ name: "x-a", value: "1" }]);
  encoder.setPeerMaxTableSize(1024);
  const block = encoder.encodeToBytes([{ name: ":method", value: "GET" }]);
  assert.equal(toHex(block), "3fe107" + "82");
  assert.equal(encoder.dynamicTable.maxSize, 1024);
  assert.equal(toHex(encoder.encodeToBytes([{ name: ":method", value: "GET" }])), "82");
});

Deno.test("HpackEncoder announces the minimum then the final size after a dip", () => {
  const encoder = new HpackEncoder();
  encoder.encodeToBytes([{ name: "x-a", value: "1" }]);
  encoder.setPeerMaxTableSize(0);
  encoder.setPeerMaxTableSize(2048);
  const block = encoder.encodeToBytes([{ name: "x-a", value: "1" }]);
  assert.equal(toHex(block.subarray(0, 4)), "20" + "3fe10f");
  assert.equal(block[4], 0x40); // the entry was evicted by the dip: a literal again
  const decoder = new HpackDecoder();
  decoder.decode(fromHex("4003782d610131"));
  decoder.setMaxAllowedTableSize(0);
  decoder.setMaxAllowedTableSize(2048);
  assert.deepEqual(decoder.decode(block), [{ name: "x-a", value: "1" }]);
});

Deno.test("HpackEncoder caps the table at its own maxTableSize", () => {
  const capped = new HpackEncoder({ maxTableSize: 4096 });
  capped.setPeerMaxTableSize(65536); // larger than our cap: nothing changes
  assert.equal(toHex(capped.encodeToBytes([{ name: ":method", value: "GET" }])), "82");

  const small = new HpackEncoder({ maxTableSize: 512 });
  // The first block announces our smaller table.
  assert.equal(toHex(small.encodeToBytes([{ name: ":method", value: "GET" }])), "3fe103" + "82");
  assert.equal(small.dynamicTable.maxSize, 512);

  const none = new HpackEncoder({ maxTableSize: 0 });
  const block = none.encodeToBytes([{ name: "x-a", value: "1" }, { name: "x-a", value: "1" }]);
  assert.equal(toHex(block), "20" + "0003782d610131" + "0003782d610131");
  assert.equal(none.dynamicTable.length, 0);
});

Deno.test("HpackEncoder encode appends to a ByteWriter", () => {
  const encoder = new HpackEncoder();
  const out = new ByteWriter();
  out.u8(0xaa);
  encoder.encode([{ name: ":method", value: "GET" }], out);
  encoder.encode(new Set([{ name: ":path", value: "/" }]), out);
  assert.equal(toHex(out.take()), "aa8284");
});

Deno.test("HpackEncoder never references evicted entries", () => {
  // A small table with many distinct fields churns through evictions; the
  // lookup maps must forget evicted entries or the decoder would fail.
  const encoder = new HpackEncoder({ maxTableSize: 200 });
  const decoder = new HpackDecoder();
  for (let i = 0; i < 500; i++) {
    const list = [
      { name: `x-${i % 7}`, value: `${i % 5}` },
      { name: "x-same", value: `${i % 3}` },
      { name: `x-${i % 11}`, value: "v" },
    ];
    assert.deepEqual(decoder.decode(encoder.encodeToBytes(list)), list);
  }
});

Deno.test("HpackEncoder gives a frozen list the same octets as an unfrozen copy, block after block", () => {
  // The encoder copies the block of a frozen list that left the table unchanged; a twin fed
  // mutable copies of the same lists always encodes afresh, so any stale copy shows up here.
  const pick = <T>(rng: SeededRng, xs: readonly T[]) => rng.pick(xs);
  const fieldPool = [
    { name: ":status", value: "200" },
    { name: "content-type", value: "application/grpc" },
    { name: "grpc-status", value: "0" },
    { name: "grpc-message", value: "" },
    { name: "x-long", value: "v".repeat(1500) }, // evicts when indexed
    { name: "authorization", value: "secret" },
    { name: "content-length", value: "12" },
    { name: "x-sensitive", value: "s", sensitive: true },
  ].map((f) => Object.freeze(f));
  for (const seed of testSeeds(0xb10c_cace, 6)) {
    const rng = new SeededRng(seed);
    const lists = Array.from({ length: 6 }, () =>
      Object.freeze(
        Array.from({ length: rng.int(1, 4) }, () => pick(rng, fieldPool)),
      ));
    const maxTableSize = rng.pick([4096, 2048, 256]);
    const cached = new HpackEncoder({ maxTableSize });
    const fresh = new HpackEncoder({ maxTableSize });
    const decoder = new HpackDecoder();
    for (let i = 0; i < 600; i++) {
      const r = rng.int(0, 19);
      if (r === 0) {
        const size = rng.pick([0, 64, 1024, 4096]);
        cached.setPeerMaxTableSize(size);
        fresh.setPeerMaxTableSize(size);
        continue;
      }
      let list: readonly HeaderField[];
      if (r === 1) {
        // A new field (changes the table), or a block that fails and is undone.
        const bad = rng.chance(0.3);
        list = Object.freeze([
          Object.freeze({ name: `x-${rng.int(0, 50)}`, value: bad ? "\u0100" : `${i}` }),
          ...pick(rng, lists),
        ]);
        if (bad) {
          assert.throws(() => cached.encodeToBytes(list), UsageError);
          assert.throws(() => fresh.encodeToBytes([...list]), UsageError);
          continue;
        }
      } else {
        list = pick(rng, lists);
      }
      const a = cached.encodeToBytes(list);
      const b = fresh.encodeToBytes([...list]);
      assert.equal(toHex(a), toHex(b), `seed ${seed}, block ${i}`);
      assert.deepEqual(
        decoder.decode(a).map((f) => [f.name, f.value]),
        list.map((f) => [f.name, f.value]),
      );
    }
  }
});

Deno.test("HpackEncoder re-encodes a frozen list whose field has an accessor", () => {
  let value = "a";
  const field = Object.freeze({
    name: "x-a",
    get value() {
      return value;
    },
  });
  const list = Object.freeze([field]);
  const encoder = new HpackEncoder({ huffman: "never" });
  const decoder = new HpackDecoder();
  decoder.decode(encoder.encodeToBytes(list)); // indexes x-a: a
  assert.equal(decoder.decode(encoder.encodeToBytes(list))[0].value, "a");
  value = "b";
  assert.equal(decoder.decode(encoder.encodeToBytes(list))[0].value, "b");
});
