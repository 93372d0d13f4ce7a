import assert from "node:assert/strict";
import { concatBytes } from "../../_support/bytes.ts";
import { type HeaderField, HpackDecoder, HpackEncoder } from "../../../core/hpack/mod.ts";
import { buildCorpus } from "../../../bench/hpack_corpus.ts";
import { SeededRng, testSeeds } from "../../_support/seeded_rng.ts";
import { fromHex, randomHeaderList, toHex } from "./_helpers.ts";

// Differential tests against C libnghttp2 (libnghttp2-dev), both directions:
// its inflater is strict about table size updates (RFC 7541 §4.2).
const SOURCE = new URL("./nghttp2_peer.c", import.meta.url).pathname;

async function build(): Promise<string | undefined> {
  try {
    const dir = await Deno.makeTempDir({ prefix: "h2kit_nghttp2_peer_" });
    const exe = `${dir}/nghttp2_peer`;
    globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
    const cc = await new Deno.Command("cc", { args: ["-O1", "-o", exe, SOURCE, "-lnghttp2"] })
      .output();
    return cc.success ? exe : undefined;
  } catch {
    return undefined;
  }
}
const peer = await build();

interface Block {
  table_size?: number;
  fields: HeaderField[];
  wire?: Uint8Array;
}

function connectionsFor(seedBase: number): Block[][] {
  const out: Block[][] = [];
  for (const seed of testSeeds(seedBase, 10)) {
    const rng = new SeededRng(seed);
    const pool: [string, string][] = [];
    out.push(Array.from({ length: 30 }, () => {
      const block: Block = { fields: randomHeaderList(rng, pool) };
      if (rng.chance(0.15)) block.table_size = rng.pick([0, 64, 256, 1024, 4096, 16384]);
      return block;
    }));
  }
  const real = buildCorpus(5, 3, 40);
  for (const c of [...real.requests, ...real.responses]) out.push(c.map((fields) => ({ fields })));
  return out;
}

async function runPeer(mode: string, connections: Block[][]): Promise<string[][]> {
  const parts: Uint8Array[] = [];
  const text = (s: string) => parts.push(new TextEncoder().encode(s));
  const raw = (s: string) => parts.push(Uint8Array.from(s, (c) => c.charCodeAt(0)));
  text(`${connections.length}\n`);
  for (const c of connections) {
    text(`${c.length}\n`);
    for (const b of c) {
      const wire = b.wire ?? new Uint8Array(0);
      text(`${b.table_size ?? -1} ${b.fields.length} ${wire.length}\n`);
      parts.push(wire);
      for (const f of b.fields) {
        text(`${f.name.length} ${f.value.length} ${f.sensitive === true ? 1 : 0}\n`);
        raw(f.name);
        raw(f.value);
      }
    }
  }
  const input = concatBytes(parts);
  const child = new Deno.Command(peer!, { args: [mode], stdin: "piped", stdout: "piped" }).spawn();
  // Read while writing: the peer answers block by block, so a full stdout
  // pipe would otherwise block it while we block on its full stdin.
  const output = child.output();
  const writer = child.stdin.getWriter();
  await writer.write(input);
  await writer.close();
  const out = await output;
  assert.ok(out.success, "nghttp2 peer failed");
  const lines = new TextDecoder().decode(out.stdout).split("\n");
  let at = 0;
  return connections.map((c) => c.map(() => lines[at++]));
}

const stringOf = (hex: string) => String.fromCharCode(...fromHex(hex));

Deno.test({
  name: "HpackEncoder output decodes identically in libnghttp2's inflater",
  ignore: peer === undefined,
  fn: async () => {
    const connections = connectionsFor(0x9e7_0001);
    connections.forEach((c, i) => {
      const encoder = new HpackEncoder({ maxTableSize: i % 2 === 0 ? 4096 : 65536 });
      for (const b of c) {
        if (b.table_size !== undefined) encoder.setPeerMaxTableSize(b.table_size);
        b.wire = encoder.encodeToBytes(b.fields);
      }
    });
    const lines = await runPeer("inflate", connections);
    connections.forEach((c, i) => {
      c.forEach((b, k) => {
        const where = `connection ${i} block ${k}: ${toHex(b.wire!)}`;
        const line = lines[i][k];
        assert.ok(line.startsWith("ok"), `${where}: ${line}`);
        const got = line.slice(2).trim().split(" ").filter((s) => s !== "").map((s) =>
          s.split(":")
        );
        assert.deepEqual(
          got.map(([n, v]) => [stringOf(n), stringOf(v)]),
          b.fields.map((f) => [f.name, f.value]),
          where,
        );
        b.fields.forEach((f, j) => {
          if (f.sensitive === true) assert.equal(got[j][2], "1", where);
        });
      });
    });
  },
});

Deno.test({
  name: "HpackDecoder decodes libnghttp2's deflater output identically",
  ignore: peer === undefined,
  fn: async () => {
    const connections = connectionsFor(0x9e7_1001);
    const lines = await runPeer("deflate", connections);
    connections.forEach((c, i) => {
      const decoder = new HpackDecoder({ maxHeaderListSize: 1 << 30 });
      c.forEach((b, k) => {
        const where = `connection ${i} block ${k}`;
        const line = lines[i][k];
        assert.ok(line.startsWith("wire "), `${where}: ${line}`);
        if (b.table_size !== undefined) decoder.setMaxAllowedTableSize(b.table_size);
        const got = decoder.decode(fromHex(line.slice(5)));
        assert.deepEqual(
          got.map((f) => [f.name, f.value]),
          b.fields.map((f) => [f.name, f.value]),
          where,
        );
        b.fields.forEach((f, j) => {
          if (f.sensitive === true) assert.equal(got[j].sensitive, true, where);
        });
      });
    });
  },
});

Deno.test({
  name: "HpackEncoder compresses a realistic corpus within 2% of libnghttp2's deflater",
  ignore: peer === undefined,
  fn: async () => {
    const real = buildCorpus(11, 6, 60);
    const connections: Block[][] = [...real.requests, ...real.responses].map((c) =>
      c.map((fields) => ({ fields }))
    );
    const lines = await runPeer("deflate", connections);
    const theirs = lines.flat().reduce((n, line) => n + (line.length - 5) / 2, 0);
    const ours = connections.reduce((n, c) => {
      const encoder = new HpackEncoder();
      return n + c.reduce((m, b) => m + encoder.encodeToBytes(b.fields).length, 0);
    }, 0);
    assert.ok(ours <= theirs * 1.02, `h2kit ${ours} octets, nghttp2 ${theirs}`);
  },
});
