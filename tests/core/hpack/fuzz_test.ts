import assert from "node:assert/strict";
import { CompressionError } from "../../../core/mod.ts";
import { HeaderListTooLargeError, HpackDecoder, HpackEncoder } from "../../../core/hpack/mod.ts";
import { SeededRng, testSeeds } from "../../_support/seeded_rng.ts";
import { randomHeaderList } from "./_helpers.ts";

/** Decodes and accepts only success or the two typed errors. */
function decodeSafely(decoder: HpackDecoder, block: Uint8Array, where: string): boolean {
  try {
    const fields = decoder.decode(block);
    for (const f of fields) {
      assert.equal(typeof f.name, "string", where);
      assert.equal(typeof f.value, "string", where);
    }
    return true;
  } catch (e) {
    if (e instanceof CompressionError || e instanceof HeaderListTooLargeError) return false;
    throw new Error(`${where}: unexpected ${e}`, { cause: e });
  }
}

Deno.test("HpackDecoder meets random bytes with only typed errors", () => {
  for (const seed of testSeeds(0xf022_0001, 8)) {
    const rng = new SeededRng(seed);
    for (let i = 0; i < 3000; i++) {
      const decoder = new HpackDecoder({ maxHeaderListSize: rng.pick([0, 100, 65536]) });
      const block = rng.bytes(rng.int(0, 64));
      // Bias towards valid-looking openings so the fuzz gets past byte one.
      if (block.length > 0 && rng.chance(0.5)) block[0] = rng.pick([0x40, 0x00, 0x10, 0x82]);
      decodeSafely(decoder, block, `seed ${seed} case ${i}`);
      // Whatever happened, the decoder stays consistent: failed, or usable.
      decodeSafely(decoder, new Uint8Array([0x82]), `seed ${seed} case ${i} after`);
    }
  }
});

Deno.test("HpackDecoder meets mutated valid blocks with only typed errors", () => {
  for (const seed of testSeeds(0xf022_1001, 6)) {
    const rng = new SeededRng(seed);
    const encoder = new HpackEncoder({ huffman: rng.pick(["auto", "always"] as const) });
    const pool: [string, string][] = [];
    const blocks = Array.from(
      { length: 12 },
      () => encoder.encodeToBytes(randomHeaderList(rng, pool)),
    );
    for (let trial = 0; trial < 150; trial++) {
      const decoder = new HpackDecoder();
      const at = rng.int(0, blocks.length - 1);
      for (let j = 0; j < at; j++) decoder.decode(blocks[j]);
      let bytes = blocks[at].slice();
      const mutations = rng.int(1, 4);
      for (let m = 0; m < mutations; m++) {
        const op = rng.int(0, 4);
        const pos = rng.int(0, Math.max(0, bytes.length - 1));
        if (op === 0 && bytes.length > 0) bytes[pos] ^= 1 << rng.int(0, 7);
        else if (op === 1 && bytes.length > 0) bytes[pos] = rng.int(0, 255);
        else if (op === 2) bytes = bytes.subarray(0, pos);
        else if (op === 3) {
          const extra = rng.bytes(rng.int(1, 8));
          const next = new Uint8Array(bytes.length + extra.length);
          next.set(bytes.subarray(0, pos));
          next.set(extra, pos);
          next.set(bytes.subarray(pos), pos + extra.length);
          bytes = next;
        } else bytes = new Uint8Array([...bytes.subarray(0, pos), ...bytes.subarray(pos + 1)]);
      }
      const where = `seed ${seed} trial ${trial}`;
      if (decodeSafely(decoder, bytes, where)) {
        // Later blocks may now fail (tables diverged) but only with typed errors.
        for (let j = at + 1; j < blocks.length; j++) decodeSafely(decoder, blocks[j], where);
      }
    }
  }
});

Deno.test("HpackDecoder handles long hostile blocks in linear time", () => {
  // Worst cases for the loop: max-length integers, many size updates, many
  // tiny literals; each must finish (no hang) with a typed error or a result.
  const rng = new SeededRng(7);
  const updates = new Uint8Array(200_000).fill(0x20); // 200k size updates to 0
  assert.equal(new HpackDecoder().decode(updates).length, 0);
  const literals = new Uint8Array(300_000);
  for (let i = 0; i < literals.length; i += 3) literals.set([0x00, 0x00, 0x00], i); // empty fields
  assert.throws(() => new HpackDecoder().decode(literals), HeaderListTooLargeError);
  const junk = rng.bytes(500_000);
  decodeSafely(new HpackDecoder(), junk, "junk");
});
