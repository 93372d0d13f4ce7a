/**
 * HPACK codec comparison in one run: h2kit, hpack.js (npm), python-hpack
 * (Debian python3-hpack) and C libnghttp2 on the same corpus
 * (`bench/hpack_corpus.ts`), printing fields/s, MB/s, encoded size and ratios.
 *
 * Everyone encodes the same header lists with a fresh context per connection
 * and decodes the same octets (h2kit's encoding). C nghttp2 is compiled on
 * the fly from `bench/hpack_nghttp2.c` when `cc` and libnghttp2-dev are
 * installed, and skipped otherwise.
 *
 * Run: `deno run -A bench/hpack_compare.ts [seconds per measurement, default 1]`
 *
 * @module
 */

import hpackjs from "hpack.js";
import { Buffer } from "node:buffer";
import { HpackDecoder, HpackEncoder } from "../core/hpack/mod.ts";
import { buildCorpus, type Connection } from "./hpack_corpus.ts";

interface Result {
  readonly name: string;
  readonly encodeS: number;
  readonly decodeS: number;
  readonly encodedBytes: number;
}

const seconds = Number(Deno.args[0] ?? "1");
const corpus = buildCorpus(1);
const connections: Connection[] = [...corpus.requests, ...corpus.responses];
const fields = connections.reduce((n, c) => n + c.reduce((m, b) => m + b.length, 0), 0);
const wires = connections.map((c) => {
  const encoder = new HpackEncoder();
  return c.map((block) => encoder.encodeToBytes(block));
});
const sizeOf = (ws: Uint8Array[][]) =>
  ws.reduce((n, c) => n + c.reduce((m, w) => m + w.length, 0), 0);
const ourBytes = sizeOf(wires);
const requestBytes = sizeOf(wires.slice(0, corpus.requests.length));

/** Best seconds per call of `fn` over repeated runs lasting about `seconds`. */
function time(fn: () => void): number {
  for (let i = 0; i < 5; i++) fn(); // warm up the JIT
  let best = Infinity;
  const deadline = performance.now() + seconds * 1000;
  do {
    const t = performance.now();
    fn();
    best = Math.min(best, (performance.now() - t) / 1000);
  } while (performance.now() < deadline);
  return best;
}

function h2kit(): Result {
  let sink = 0;
  const encodeS = time(() => {
    for (const c of connections) {
      const encoder = new HpackEncoder();
      for (const block of c) sink += encoder.encodeToBytes(block).length;
    }
  });
  const decodeS = time(() => {
    for (const c of wires) {
      const decoder = new HpackDecoder();
      for (const w of c) sink += decoder.decode(w).length;
    }
  });
  return { name: "h2kit", encodeS, decodeS, encodedBytes: ourBytes + (sink < 0 ? 1 : 0) };
}

function hpackJs(): Result {
  const js = hpackjs as unknown as {
    compressor: { create(o: unknown): { write(h: unknown): void; read(): Uint8Array | null } };
    decompressor: {
      create(o: unknown): { write(b: Uint8Array): void; execute(): void; read(): unknown };
    };
  };
  const blocks = connections.map((c) =>
    c.map((b) => b.map((f) => ({ name: f.name, value: f.value })))
  );
  const bufs = wires.map((c) => c.map((w) => Buffer.from(w)));
  let encodedBytes = 0;
  const encodeS = time(() => {
    encodedBytes = 0;
    for (const c of blocks) {
      const comp = js.compressor.create({ table: { size: 4096 } });
      for (const b of c) {
        comp.write(b);
        encodedBytes += comp.read()?.length ?? 0;
      }
    }
  });
  let decoded = 0;
  const decodeS = time(() => {
    decoded = 0;
    for (const c of bufs) {
      const decomp = js.decompressor.create({ table: { size: 4096 } });
      for (const w of c) {
        decomp.write(w);
        decomp.execute();
        while (decomp.read() !== null) decoded++;
      }
    }
  });
  if (decoded !== fields) throw new Error(`hpack.js decoded ${decoded} of ${fields} fields`);
  return { name: "hpack.js", encodeS, decodeS, encodedBytes };
}

function hex(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) out += s.charCodeAt(i).toString(16).padStart(2, "0");
  return out;
}

async function run(cmd: string, args: string[], input: Uint8Array): Promise<string> {
  const child = new Deno.Command(cmd, { args, stdin: "piped", stdout: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(input);
  await writer.close();
  const out = await child.output();
  if (!out.success) throw new Error(`${cmd} failed`);
  return new TextDecoder().decode(out.stdout);
}

async function python(): Promise<Result | undefined> {
  const doc = {
    iterations: 3,
    connections: connections.map((c) => c.map((b) => b.map((f) => [hex(f.name), hex(f.value)]))),
    wires: wires.map((c) =>
      c.map((w) => Array.from(w, (x) => x.toString(16).padStart(2, "0")).join(""))
    ),
  };
  const script = new URL("./hpack_python_bench.py", import.meta.url).pathname;
  try {
    const r = JSON.parse(
      await run("/usr/bin/python3", [script], new TextEncoder().encode(JSON.stringify(doc))),
    );
    return {
      name: "python-hpack",
      encodeS: r.encode_s,
      decodeS: r.decode_s,
      encodedBytes: r.encoded_bytes,
    };
  } catch (e) {
    console.error(`python-hpack skipped: ${e}`);
    return undefined;
  }
}

async function nghttp2(): Promise<Result | undefined> {
  const dir = await Deno.makeTempDir({ prefix: "hpack_nghttp2_" });
  try {
    const src = new URL("./hpack_nghttp2.c", import.meta.url).pathname;
    const exe = `${dir}/hpack_nghttp2`;
    const cc = await new Deno.Command("cc", { args: ["-O2", "-o", exe, src, "-lnghttp2"] })
      .output();
    if (!cc.success) throw new Error(new TextDecoder().decode(cc.stderr));
    const parts: Uint8Array[] = [];
    const enc = new TextEncoder();
    const raw = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
    parts.push(enc.encode(`${connections.length}\n`));
    connections.forEach((c, i) => {
      parts.push(enc.encode(`${c.length}\n`));
      c.forEach((block, k) => {
        parts.push(enc.encode(`${block.length} ${wires[i][k].length}\n`), wires[i][k]);
        for (const f of block) {
          parts.push(enc.encode(`${f.name.length} ${f.value.length}\n`), raw(f.name), raw(f.value));
        }
      });
    });
    const input = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (input.set(p, at), at + p.length), 0);
    // Enough iterations for about `seconds` each way (~2 ms per pass).
    const iterations = Math.max(10, Math.round(seconds * 300));
    const r = JSON.parse(await run(exe, [String(iterations)], input));
    return {
      name: `nghttp2 ${r.version} (C)`,
      encodeS: r.encode_s,
      decodeS: r.decode_s,
      encodedBytes: r.encoded_bytes,
    };
  } catch (e) {
    console.error(`nghttp2 skipped: ${e}`);
    return undefined;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const results = [h2kit(), hpackJs(), await python(), await nghttp2()].filter((r): r is Result =>
  r !== undefined
);
const ours = results[0];
const plain = connections.reduce(
  (n, c) =>
    n + c.reduce((m, b) => m + b.reduce((k, f) => k + f.name.length + f.value.length, 0), 0),
  0,
);
console.log(
  `corpus: ${connections.length} connections, ${fields} fields, ${plain} octets of names+values; ` +
    `h2kit encodes it to ${ourBytes} octets (requests ${requestBytes}, responses ${
      ourBytes - requestBytes
    })`,
);
console.log(
  "MB/s counts encoded octets (the wire), 1 MB = 10^6 octets; ratios are h2kit's speed / theirs.",
);
const pad = (s: string, n: number) => s.padEnd(n);
const num = (x: number, d = 1) => x.toFixed(d).padStart(8);
console.log(
  `${pad("codec", 24)} ${pad("enc Mfield/s", 12)} ${pad("enc MB/s", 9)} ${
    pad("dec Mfield/s", 12)
  } ` +
    `${pad("dec MB/s", 9)} ${pad("encoded", 9)} ${pad("size/h2kit", 10)} enc x   dec x`,
);
for (const r of results) {
  console.log(
    `${pad(r.name, 24)} ${num(fields / r.encodeS / 1e6, 2)}     ${
      num(ourBytes / r.encodeS / 1e6)
    } ` +
      `${num(fields / r.decodeS / 1e6, 2)}     ${num(ourBytes / r.decodeS / 1e6)} ` +
      `${String(r.encodedBytes).padStart(8)}  ${num(r.encodedBytes / ours.encodedBytes, 3)}  ` +
      `${num(r.encodeS / ours.encodeS, 2)} ${num(r.decodeS / ours.decodeS, 2)}`,
  );
}
