import assert from "node:assert/strict";
import { type HeaderField, HpackDecoder, HpackEncoder } from "../../../core/hpack/mod.ts";
import { buildCorpus } from "../../../bench/hpack_corpus.ts";
import { SeededRng, testSeeds } from "../../_support/seeded_rng.ts";
import { fromHex, randomHeaderList, toHex } from "./_helpers.ts";

// Differential tests against Debian's python3-hpack, in both directions.
const PYTHON = "/usr/bin/python3";
const SCRIPT = new URL("./python_hpack.py", import.meta.url).pathname;
const available = (() => {
  try {
    return new Deno.Command(PYTHON, { args: ["-c", "import hpack"], stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
})();

interface Block {
  table_size?: number;
  fields: HeaderField[];
}

function hexOf(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) out += s.charCodeAt(i).toString(16).padStart(2, "0");
  return out;
}

function stringOf(hex: string): string {
  return String.fromCharCode(...fromHex(hex));
}

async function python(doc: unknown): Promise<{ connections: Record<string, unknown>[][] }> {
  const child = new Deno.Command(PYTHON, { args: [SCRIPT], stdin: "piped", stdout: "piped" })
    .spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(doc)));
  await writer.close();
  const out = await child.output();
  assert.ok(out.success, "python helper failed");
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** Random connections with table-size changes, plus the realistic corpus. */
function corpus(): Block[][] {
  const connections: Block[][] = [];
  for (const seed of testSeeds(0xd1ff_0001, 12)) {
    const rng = new SeededRng(seed);
    const pool: [string, string][] = [];
    const blocks: Block[] = [];
    for (let b = 0; b < 30; b++) {
      const block: Block = { fields: randomHeaderList(rng, pool) };
      if (rng.chance(0.15)) block.table_size = rng.pick([0, 64, 256, 1024, 4096, 16384]);
      blocks.push(block);
    }
    connections.push(blocks);
  }
  const real = buildCorpus(3, 4, 40);
  for (const c of [...real.requests, ...real.responses]) {
    connections.push(c.map((fields) => ({ fields })));
  }
  return connections;
}

Deno.test({
  name: "HpackEncoder output decodes identically in python-hpack",
  ignore: !available,
  fn: async () => {
    const connections = corpus();
    const doc = {
      mode: "decode",
      connections: connections.map((blocks, i) => {
        const encoder = new HpackEncoder({ maxTableSize: i % 2 === 0 ? 4096 : 65536 });
        return blocks.map((b) => {
          if (b.table_size !== undefined) encoder.setPeerMaxTableSize(b.table_size);
          return { table_size: b.table_size, wire: toHex(encoder.encodeToBytes(b.fields)) };
        });
      }),
    };
    const result = await python(doc);
    connections.forEach((blocks, c) => {
      blocks.forEach((b, k) => {
        const got = result.connections[c][k] as {
          headers?: [string, string, boolean][];
          error?: string;
        };
        const where = `connection ${c} block ${k}`;
        assert.equal(got.error, undefined, `${where}: ${got.error}`);
        assert.deepEqual(
          got.headers!.map(([n, v]) => [stringOf(n), stringOf(v)]),
          b.fields.map((f) => [f.name, f.value]),
          where,
        );
        b.fields.forEach((f, i) => {
          if (f.sensitive === true) assert.equal(got.headers![i][2], true, where);
        });
      });
    });
  },
});

Deno.test({
  name: "HpackDecoder decodes python-hpack output identically",
  ignore: !available,
  fn: async () => {
    const connections = corpus();
    const doc = {
      mode: "encode",
      connections: connections.map((blocks) =>
        blocks.map((b) => ({
          table_size: b.table_size,
          headers: b.fields.map((f) => [hexOf(f.name), hexOf(f.value), f.sensitive === true]),
        }))
      ),
    };
    const result = await python(doc);
    connections.forEach((blocks, c) => {
      const decoder = new HpackDecoder({ maxHeaderListSize: 1 << 30 });
      blocks.forEach((b, k) => {
        if (b.table_size !== undefined) decoder.setMaxAllowedTableSize(b.table_size);
        const { wire, sensitive } = result.connections[c][k] as {
          wire: string;
          sensitive: number[];
        };
        const got = decoder.decode(fromHex(wire));
        const where = `connection ${c} block ${k}`;
        assert.deepEqual(
          got.map((f) => [f.name, f.value]),
          b.fields.map((f) => [f.name, f.value]),
          where,
        );
        // Exactly the fields python sent never-indexed are marked sensitive.
        assert.deepEqual(got.flatMap((f, i) => f.sensitive === true ? [i] : []), sensitive, where);
      });
    });
  },
});
