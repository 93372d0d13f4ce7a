/**
 * HPACK throughput: our codec against hpack.js (npm) on the same realistic
 * corpus, side by side in one `deno bench` run.
 *
 * Each iteration encodes (or decodes) the whole corpus: every connection with
 * a fresh context, as a server would see it. Both decoders read the same
 * octets (our encoder's output, plain RFC 7541 with a 4096-octet table).
 * Divide the fields and octets printed at start by the time per iteration
 * for fields/s and MB/s; `bench/hpack_compare.ts` prints those directly and
 * adds python-hpack and C nghttp2.
 *
 * @module
 */

import hpackjs from "hpack.js";
import { type HeaderField, HpackDecoder, HpackEncoder } from "../core/hpack/mod.ts";
import { buildCorpus, type Connection } from "./hpack_corpus.ts";

const corpus = buildCorpus(1);
const connections: Connection[] = [...corpus.requests, ...corpus.responses];
const fieldCount = connections.reduce((n, c) => n + c.reduce((m, b) => m + b.length, 0), 0);
const wires: Uint8Array[][] = connections.map((c) => {
  const encoder = new HpackEncoder();
  return c.map((block) => encoder.encodeToBytes(block));
});
const wireBytes = wires.reduce((n, c) => n + c.reduce((m, w) => m + w.length, 0), 0);
const plainBytes = connections.reduce(
  (n, c) =>
    n + c.reduce((m, b) => m + b.reduce((k, f) => k + f.name.length + f.value.length, 0), 0),
  0,
);
console.log(
  `hpack corpus: ${connections.length} connections, ${fieldCount} fields, ` +
    `${plainBytes} octets of names+values, ${wireBytes} octets encoded`,
);

// hpack.js works on plain {name, value} objects and Node Buffers.
interface JsCompressor {
  write(headers: { name: string; value: string }[]): void;
  read(): Uint8Array | null;
}
interface JsDecompressor {
  write(data: Uint8Array): void;
  execute(): void;
  read(): { name: string; value: string } | null;
}
const js = hpackjs as unknown as {
  compressor: { create(o: unknown): JsCompressor };
  decompressor: { create(o: unknown): JsDecompressor };
};
const { Buffer } = await import("node:buffer");
const jsWires = wires.map((c) => c.map((w) => Buffer.from(w)));
const jsBlocks = connections.map((c) =>
  c.map((b) => b.map((f) => ({ name: f.name, value: f.value })))
);

let sink = 0;

Deno.bench({
  name: "hpack encode: h2kit",
  group: "encode",
  baseline: true,
  fn() {
    for (const c of connections) {
      const encoder = new HpackEncoder();
      for (const block of c) sink += encoder.encodeToBytes(block).length;
    }
  },
});

Deno.bench({
  name: "hpack encode: hpack.js",
  group: "encode",
  fn() {
    for (const c of jsBlocks) {
      const comp = js.compressor.create({ table: { size: 4096 } });
      for (const block of c) {
        comp.write(block);
        sink += comp.read()?.length ?? 0;
      }
    }
  },
});

Deno.bench({
  name: "hpack decode: h2kit",
  group: "decode",
  baseline: true,
  fn() {
    for (const c of wires) {
      const decoder = new HpackDecoder();
      for (const wire of c) {
        const fields: HeaderField[] = decoder.decode(wire);
        sink += fields.length;
      }
    }
  },
});

Deno.bench({
  name: "hpack decode: hpack.js",
  group: "decode",
  fn() {
    for (const c of jsWires) {
      const decomp = js.decompressor.create({ table: { size: 4096 } });
      for (const wire of c) {
        decomp.write(wire);
        decomp.execute();
        while (decomp.read() !== null) sink++;
      }
    }
  },
});

globalThis.addEventListener("unload", () => {
  if (sink === -1) console.log(sink); // keep the work observable
});
