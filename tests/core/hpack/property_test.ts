import assert from "node:assert/strict";
import { UsageError } from "../../../core/mod.ts";
import { type DynamicTable, HpackDecoder, HpackEncoder } from "../../../core/hpack/mod.ts";
import { SeededRng, testSeeds } from "../../_support/seeded_rng.ts";
import { randomHeaderList } from "./_helpers.ts";

const SIZES = [0, 64, 256, 1024, 4096, 16384, 65536];

function entries(t: DynamicTable): string[] {
  return Array.from({ length: t.length }, (_, i) => `${t.get(i)!.name}\u0100${t.get(i)!.value}`);
}

Deno.test("HpackEncoder and HpackDecoder round-trip random header lists across blocks and failed encodes", () => {
  for (const seed of testSeeds(0x5eed_0001, 24)) {
    const rng = new SeededRng(seed);
    const encoder = new HpackEncoder({
      maxTableSize: rng.pick([256, 4096, 4096, 65536]),
      huffman: rng.pick(["auto", "auto", "always", "never"] as const),
    });
    const decoder = new HpackDecoder({ maxHeaderListSize: 1 << 30 });
    const pool: [string, string][] = [];
    for (let block = 0; block < 60; block++) {
      if (rng.chance(0.1)) {
        // A SETTINGS_HEADER_TABLE_SIZE change (possibly several before the
        // next block), acked: both sides apply it, as HTTP/2 would.
        for (let k = rng.int(1, 3); k > 0; k--) {
          const size = rng.pick(SIZES);
          decoder.setMaxAllowedTableSize(size);
          encoder.setPeerMaxTableSize(size);
        }
      }
      const list = randomHeaderList(rng, pool);
      if (rng.chance(0.1)) {
        // A field that is not a byte string, anywhere in the block: the
        // encoder throws and must leave its context exactly as it was, or the
        // following blocks would not decode.
        const bad = [...list];
        bad.splice(rng.int(0, bad.length), 0, {
          name: "x-bad",
          value: `caf\u00e9 \u2603 ${block}`,
        });
        const before = entries(encoder.dynamicTable);
        assert.throws(() => encoder.encodeToBytes(bad), UsageError, `seed ${seed} block ${block}`);
        assert.deepEqual(entries(encoder.dynamicTable), before, `seed ${seed} block ${block}`);
      }
      const got = decoder.decode(encoder.encodeToBytes(list));
      const where = `seed ${seed} block ${block}`;
      assert.deepEqual(
        got.map((f) => [f.name, f.value]),
        list.map((f) => [f.name, f.value]),
        where,
      );
      list.forEach((f, i) => {
        if (f.sensitive === true) assert.equal(got[i].sensitive, true, where);
      });
      assert.deepEqual(entries(decoder.dynamicTable), entries(encoder.dynamicTable), where);
      assert.ok(decoder.dynamicTable.size <= decoder.maxAllowedTableSize, where);
    }
  }
});
