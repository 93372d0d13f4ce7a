import assert from "node:assert/strict";
import { huffmanDecode, huffmanEncode, huffmanEncodedLength } from "../../../core/hpack/huffman.ts";
import { SeededRng, testSeeds } from "../../_support/seeded_rng.ts";
import { fromHex, toHex } from "./_helpers.ts";

function encode(s: string): Uint8Array {
  const n = huffmanEncodedLength(s);
  const buf = new Uint8Array(n);
  assert.equal(huffmanEncode(s, buf, 0), n);
  return buf;
}

function decode(bytes: Uint8Array): string | null {
  const dst = new Uint8Array(2 * bytes.length);
  const n = huffmanDecode(bytes, 0, bytes.length, dst, 0);
  return n < 0 ? null : String.fromCharCode(...dst.subarray(0, n));
}

Deno.test("huffmanEncode matches the RFC 7541 C.4 and C.6 strings", () => {
  assert.equal(toHex(encode("www.example.com")), "f1e3c2e5f23a6ba0ab90f4ff");
  assert.equal(toHex(encode("no-cache")), "a8eb10649cbf");
  assert.equal(toHex(encode("custom-key")), "25a849e95ba97d7f");
  assert.equal(toHex(encode("custom-value")), "25a849e95bb8e8b4bf");
  assert.equal(toHex(encode("302")), "6402");
  assert.equal(
    toHex(encode("foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1")),
    "94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007",
  );
});

Deno.test("huffmanDecode inverts huffmanEncode for every octet and random strings", () => {
  let all = "";
  for (let c = 0; c < 256; c++) all += String.fromCharCode(c);
  assert.equal(decode(encode(all)), all);
  for (const seed of testSeeds(0x4f1, 6)) {
    const rng = new SeededRng(seed);
    for (let i = 0; i < 300; i++) {
      const bytes = rng.bytes(rng.int(0, 64));
      const s = String.fromCharCode(...bytes);
      assert.equal(decode(encode(s)), s, `seed ${seed}`);
    }
  }
});

Deno.test("huffmanDecode emits two symbols from one octet", () => {
  // '0' '0' = 00000|000 00 + padding: the first octet completes one symbol and
  // starts another; "000" packs 15 bits into two octets.
  assert.equal(decode(encode("000")), "000");
  assert.equal(toHex(encode("000")), "0001");
});

Deno.test("huffmanDecode accepts up to 7 bits of all-ones padding", () => {
  assert.equal(decode(new Uint8Array([])), "");
  // 'a' = 00011 (5 bits) + 111 padding.
  assert.equal(decode(new Uint8Array([0b00011111])), "a");
});

Deno.test("huffmanDecode rejects padding that is not all ones", () => {
  assert.equal(decode(new Uint8Array([0b00011110])), null);
  assert.equal(decode(new Uint8Array([0b00011000])), null);
});

Deno.test("huffmanDecode rejects padding longer than 7 bits", () => {
  // 'a' then a whole octet of ones: 8 bits of EOS prefix.
  assert.equal(decode(new Uint8Array([0b00011111, 0xff])), null);
  assert.equal(decode(new Uint8Array([0xff])), null);
  assert.equal(decode(fromHex("ffff")), null);
});

Deno.test("huffmanDecode rejects the EOS symbol", () => {
  // EOS = 30 ones; padded with ones to 32 bits.
  assert.equal(decode(fromHex("ffffffff")), null);
  // 'a' (00011) + EOS (30 ones) + 5 bits of padding.
  assert.equal(decode(new Uint8Array([0b00011111, 0xff, 0xff, 0xff, 0xff])), null);
});

Deno.test("huffmanEncodedLength flags code units above 0xFF", () => {
  assert.equal(huffmanEncodedLength("ok"), 2);
  assert.equal(huffmanEncodedLength("\u00e9"), 3); // 0xE9 is one octet, a 22-bit code
  assert.equal(huffmanEncodedLength("\u0100"), -1);
  assert.equal(huffmanEncodedLength("emoji \u{1f600}"), -1);
});
