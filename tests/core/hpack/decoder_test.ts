import assert from "node:assert/strict";
import { CompressionError, ErrorCode } from "../../../core/mod.ts";
import { HeaderListTooLargeError, HpackDecoder, HpackEncoder } from "../../../core/hpack/mod.ts";
import { huffmanEncode, huffmanEncodedLength } from "../../../core/hpack/huffman.ts";
import { encodeInteger } from "../../../core/hpack/integer.ts";
import { SeededRng } from "../../_support/seeded_rng.ts";
import { fromHex } from "./_helpers.ts";

function rejects(block: Uint8Array | string, message: RegExp, decoder = new HpackDecoder()): void {
  const bytes = typeof block === "string" ? fromHex(block) : block;
  assert.throws(() => decoder.decode(bytes), (e: unknown) => {
    assert.ok(e instanceof CompressionError, `expected CompressionError, got ${e}`);
    assert.equal(e.code, ErrorCode.COMPRESSION_ERROR);
    assert.equal(e.scope, "connection");
    assert.match(e.message, message);
    return true;
  });
}

Deno.test("HpackDecoder rejects index 0", () => {
  rejects("80", /Invalid index 0/);
  // In literals a name index of 0 means "new name follows", which is fine:
  // here the empty name is followed by nothing.
  rejects("4000", /string literal is missing/);
  rejects("00", /string literal is missing/);
});

Deno.test("HpackDecoder rejects indices past the static and dynamic tables", () => {
  rejects("be", /Invalid index 62/);
  rejects("ff80ffffff07", /Invalid index/);
  const decoder = new HpackDecoder();
  decoder.decode(fromHex("400178017a")); // x: z becomes index 62
  assert.deepEqual(decoder.decode(fromHex("be")), [{ name: "x", value: "z" }]);
  rejects("bf", /Invalid index 63/, decoder);
  // A name index out of range in a literal.
  rejects("7f0000", /Invalid index/);
});

Deno.test("HpackDecoder rejects integer overflow", () => {
  rejects("ffffffffff0f", /Integer overflow/);
  rejects("ff8080808080808001", /Integer overflow/);
  rejects("40" + "7f" + "ffffffff0f", /Integer overflow/); // string length
});

Deno.test("HpackDecoder rejects blocks truncated mid-integer and mid-string", () => {
  rejects("ff", /ends inside an integer/);
  rejects("ff9a", /ends inside an integer/);
  rejects("40", /string literal is missing/);
  rejects("4005616263", /string of 5 octets has 3 left/);
  rejects("400178", /string literal is missing/);
  rejects("40017805", /string of 5 octets has 0 left/);
  rejects("0f", /ends inside an integer/);
  // A huge declared length is refused before any allocation.
  rejects("407fffffffff07", /string of .* octets has 0 left/);
});

Deno.test("HpackDecoder rejects bad Huffman padding and the EOS symbol", () => {
  rejects("4081" + "1e" + "00", /Invalid Huffman/); // 'a' + padding 110
  rejects("4082" + "1fff" + "00", /Invalid Huffman/); // 'a' + 11 bits of padding
  rejects("4084" + "ffffffff" + "00", /Invalid Huffman/); // EOS
  // The same string with valid padding decodes.
  assert.deepEqual(new HpackDecoder().decode(fromHex("4081" + "1f" + "00")), [{
    name: "a",
    value: "",
  }]);
});

Deno.test("HpackDecoder accepts several size updates at the start of a block", () => {
  const decoder = new HpackDecoder();
  decoder.decode(fromHex("400178017a"));
  // 0 (evicts everything), then back to 4096.
  const got = decoder.decode(fromHex("20" + "3fe11f" + "82"));
  assert.deepEqual(got, [{ name: ":method", value: "GET" }]);
  assert.equal(decoder.dynamicTable.length, 0);
  assert.equal(decoder.dynamicTable.maxSize, 4096);
});

Deno.test("HpackDecoder rejects a size update above the allowed maximum", () => {
  rejects("3fe21f", /4097 exceeds the allowed maximum of 4096/);
  const decoder = new HpackDecoder({ maxTableSize: 65536 });
  // Raising the setting allows bigger tables; no update is required.
  assert.deepEqual(decoder.decode(fromHex("3fe1ff03" + "82")), [{ name: ":method", value: "GET" }]);
  assert.equal(decoder.dynamicTable.maxSize, 65536);
});

Deno.test("HpackDecoder rejects a size update after the first field", () => {
  rejects("8220", /after the first field/);
  rejects("82" + "3fe11f", /after the first field/);
});

Deno.test("HpackDecoder requires a size update after the setting was lowered", () => {
  const decoder = new HpackDecoder();
  decoder.setMaxAllowedTableSize(1024);
  rejects("82", /Missing dynamic table size update/, decoder);

  const ok = new HpackDecoder();
  ok.setMaxAllowedTableSize(1024);
  assert.equal(ok.decode(fromHex("3fe107" + "82")).length, 1); // update to 1024
  assert.equal(ok.decode(fromHex("82")).length, 1); // only once

  // Lowered to 0 and raised again: the update must go down to 0 first.
  const dip = new HpackDecoder();
  dip.setMaxAllowedTableSize(0);
  dip.setMaxAllowedTableSize(4096);
  rejects("3fe11f82", /Missing dynamic table size update/, dip);
  const dip2 = new HpackDecoder();
  dip2.setMaxAllowedTableSize(0);
  dip2.setMaxAllowedTableSize(4096);
  assert.equal(dip2.decode(fromHex("20" + "3fe11f" + "82")).length, 1);

  // An empty block cannot carry the update either.
  const empty = new HpackDecoder({ maxTableSize: 256 });
  rejects(new Uint8Array(0), /Missing dynamic table size update/, empty);
});

Deno.test("HpackDecoder stays failed after a CompressionError", () => {
  const decoder = new HpackDecoder();
  rejects("80", /Invalid index 0/, decoder);
  rejects("82", /Invalid index 0/, decoder); // a valid block rethrows the first error
});

Deno.test("HpackDecoder marks never-indexed literals sensitive and does not index them", () => {
  const decoder = new HpackDecoder();
  const got = decoder.decode(fromHex("1008 7061 7373 776f 7264 0673 6563 7265 74" + "0f08 0161"));
  assert.deepEqual(got, [
    { name: "password", value: "secret", sensitive: true },
    { name: "authorization", value: "a" },
  ]);
  assert.equal(decoder.dynamicTable.length, 0);
});

Deno.test("HpackDecoder keeps arbitrary octets as code units", () => {
  const decoder = new HpackDecoder();
  const long = new Uint8Array(10_000).map((_, i) => (i * 7) & 0xff);
  const head = fromHex("0003" + "00ff41" + "7f" + "914d"); // name 00 ff 41, value length 127 + 17 + 77 * 128 = 10000
  const block = new Uint8Array(head.length + long.length);
  block.set(head);
  block.set(long, head.length);
  const [field] = decoder.decode(block);
  assert.equal(field.name, "\x00\xffA");
  assert.equal(field.value.length, 10_000);
  for (let i = 0; i < long.length; i++) assert.equal(field.value.charCodeAt(i), long[i]);
  // Long pure-ASCII strings take the fast path and still match.
  const ascii = "a".repeat(300);
  const encoded = new HpackEncoder({ huffman: "never" }).encodeToBytes([{
    name: "x",
    value: ascii,
  }]);
  assert.equal(decoder.decode(encoded)[0].value, ascii);
});

Deno.test("HpackDecoder accepts a header list exactly at maxHeaderListSize", () => {
  const decoder = new HpackDecoder({ maxHeaderListSize: 2 * (32 + 4) });
  // Two fields "ab: cd" = 36 each.
  const block = fromHex("0002616202636400026162026364");
  assert.equal(decoder.decode(block).length, 2);
  decoder.maxHeaderListSize = 71;
  assert.throws(() => decoder.decode(block), HeaderListTooLargeError);
});

Deno.test("HpackDecoder finishes an oversized block so the table stays in sync", () => {
  const encoder = new HpackEncoder();
  const decoder = new HpackDecoder({ maxHeaderListSize: 100 });
  const big = encoder.encodeToBytes([
    { name: "x-one", value: "a".repeat(40) },
    { name: "x-two", value: "b".repeat(40) }, // over the limit, still indexed
  ]);
  assert.throws(() => decoder.decode(big), (e: unknown) => {
    assert.ok(e instanceof HeaderListTooLargeError);
    assert.equal(e.scope, "stream");
    assert.equal(e.size, 2 * (5 + 40 + 32));
    assert.equal(e.limit, 100);
    return true;
  });
  assert.equal(decoder.dynamicTable.length, 2);
  // The next block references both entries and decodes normally.
  const next = encoder.encodeToBytes([{ name: "x-two", value: "b".repeat(40) }]);
  assert.equal(next.length, 1);
  assert.deepEqual(decoder.decode(next), [{ name: "x-two", value: "b".repeat(40) }]);
});

Deno.test("HpackDecoder rejects an HPACK bomb without materializing it", () => {
  // One 4000-octet entry referenced 4 million times: ~16 GB of header list.
  const refs = 4_000_000;
  // Literal with incremental indexing, new name "x", raw value of 4000 octets
  // (4000 = 127 + 33 + 30 * 128). Our encoder would not index it (> 3/4 of
  // the table), but a hostile one may.
  const head = new Uint8Array(6 + 4000).fill(0x76);
  head.set([0x40, 0x01, 0x78, 0x7f, 0xa1, 0x1e]);
  const block = new Uint8Array(head.length + refs).fill(0xbe);
  block.set(head);
  const decoder = new HpackDecoder();
  const before = Deno.memoryUsage().heapUsed;
  assert.throws(() => decoder.decode(block), (e: unknown) => {
    assert.ok(e instanceof HeaderListTooLargeError);
    assert.ok(e.size > 100_000_000 * 100);
    return true;
  });
  // Keeping the references alone would take 32 MB of array.
  assert.ok(Deno.memoryUsage().heapUsed - before < 16_000_000);
  assert.deepEqual(decoder.decode(new Uint8Array([0xbe])), [{
    name: "x",
    value: "v".repeat(4000),
  }]);
});

Deno.test("HpackDecoder decodes repeated non-indexed literals right, however they collide", () => {
  const rng = new SeededRng(7);
  // Literals without indexing (name index 4, :path, and name index 15, accept-charset) and never
  // indexed ones: a small alphabet and few lengths, so a name's next value often has the length
  // or the octets of the one the decoder remembers for it; plain and Huffman forms of the same
  // octets must not be confused.
  const length = (n: number, huffman: boolean): number[] => {
    const out = new Uint8Array(6);
    return [...out.subarray(0, encodeInteger(out, 0, n, 7, huffman ? 0x80 : 0))];
  };
  const literal = (head: number[], value: string, huffman: boolean): number[] => {
    if (!huffman) {
      return [...head, ...length(value.length, false), ...new TextEncoder().encode(value)];
    }
    const out = new Uint8Array(huffmanEncodedLength(value));
    huffmanEncode(value, out, 0);
    return [...head, ...length(out.length, true), ...out];
  };
  const decoder = new HpackDecoder();
  const values = Array.from({ length: 40 }, () => {
    // Some around the 128 octets a remembered value may have (RECENT_MAX_OCTETS), both sides.
    const n = rng.int(1, 6) + (rng.chance(0.1) ? 123 : 0);
    return Array.from({ length: n }, () => "ab/0"[rng.int(0, 3)]).join("");
  });
  // And values that differ only in their last characters, as paths of one service do.
  for (const method of ["Get", "Put", "Gem", "Pet"]) values.push(`/pkg.Service/${method}`);
  for (let i = 0; i < 4000; i++) {
    const a = values[rng.int(0, values.length - 1)];
    const b = values[rng.int(0, values.length - 1)];
    const fields = decoder.decode(
      new Uint8Array([
        ...literal([0x04], a, rng.chance(0.5)),
        ...literal([0x0f, 0x00], b, rng.chance(0.5)),
        ...literal([0x1f, 0x00], a, rng.chance(0.5)),
      ]),
    );
    assert.deepEqual(fields, [
      { name: ":path", value: a },
      { name: "accept-charset", value: b },
      { name: "accept-charset", value: a, sensitive: true },
    ]);
  }
  // The same octets, Huffman-coded then plain: two different values.
  const coded = new Uint8Array(huffmanEncodedLength("/aaaa"));
  huffmanEncode("/aaaa", coded, 0);
  const asText = String.fromCharCode(...coded);
  for (let i = 0; i < 2; i++) {
    assert.deepEqual(decoder.decode(new Uint8Array([0x04, 0x80 | coded.length, ...coded])), [
      { name: ":path", value: "/aaaa" },
    ]);
    assert.deepEqual(decoder.decode(new Uint8Array([0x04, coded.length, ...coded])), [
      { name: ":path", value: asText },
    ]);
  }
});

Deno.test("HpackDecoder freezes the fields it adds to the dynamic table", () => {
  // Consumers (field validation) may cache what they learned about an entry's object.
  const block = new HpackEncoder({ huffman: "never" }).encodeToBytes([
    { name: "x-a", value: "1" },
  ]);
  const decoder = new HpackDecoder();
  const [field] = decoder.decode(block);
  assert.ok(Object.isFrozen(field));
  assert.equal(decoder.dynamicTable.get(0), field);
});

Deno.test("HpackDecoder returns one frozen field for a value repeated without indexing", () => {
  // ":path" literals without indexing (static name index 4), as nghttp2 sends on every request.
  const literal = (path: string) =>
    new Uint8Array([0x04, path.length, ...new TextEncoder().encode(path)]);
  const decoder = new HpackDecoder();
  const [a] = decoder.decode(literal("/a"));
  const [b] = decoder.decode(literal("/a"));
  const [c] = decoder.decode(literal("/c"));
  assert.ok(Object.isFrozen(a));
  assert.equal(a, b);
  assert.deepEqual([c.name, c.value], [":path", "/c"]);
  assert.equal(decoder.dynamicTable.length, 0);
  // Never-indexed literals (0001) are fresh objects each time, flagged sensitive.
  const secret = new Uint8Array([0x14, 2, 0x2f, 0x61]);
  const [s1] = decoder.decode(secret);
  const [s2] = decoder.decode(secret);
  assert.notEqual(s1, s2);
  assert.equal(s1.sensitive, true);
});
