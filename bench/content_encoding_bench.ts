/**
 * Content-coding benchmark: h2kit's HTTP content-coding layer against doing the same work with
 * `node:zlib` directly (the "native zlib" peer), side by side in one run.
 *
 *     deno run -A bench/content_encoding_bench.ts     # the side-by-side tables
 *     deno bench -A bench/content_encoding_bench.ts   # two Deno.bench cases for trend tracking
 *
 * Server side: `withContentEncoding` (net/content_encoding.ts) answering a request that accepts
 * `br, gzip` with a 1 MiB body held in memory (JSON and text), with its defaults (Brotli quality
 * 4, gzip level 5), against `zlib.brotliCompressSync` / `zlib.gzipSync` at the same settings: ms
 * per response and coded size. Client side: `decodeBody` (the streaming decoder the client uses,
 * bounded, fed the coded body in 16 KiB DATA-sized chunks) against zlib's one-shot
 * `brotliDecompressSync` / `gunzipSync` of the whole body. No sockets: this measures the coding
 * layer, not HTTP/2.
 *
 * @module
 */

import "../net/effect_async_context.ts";
import { Effect, Stream } from "effect";
import * as zlib from "node:zlib";
import { decodeBody, withContentEncoding } from "../net/content_encoding.ts";
import type { ServerRequest } from "../net/server.ts";
import { bestOfRounds } from "./_best_of_rounds.ts";
import { jsonCorpus, textCorpus } from "./brotli_corpus.ts";

const SIZE = 1 << 20;
const CHUNK = 16 * 1024;
const BROTLI_QUALITY = 4; // withContentEncoding's default
const GZIP_LEVEL = 5; // withContentEncoding's default

/** A request as the server hands it to handlers; only what the coding layer reads is real. */
function requestAccepting(acceptEncoding: string): ServerRequest {
  const headers = [{ name: "accept-encoding", value: acceptEncoding }];
  return {
    streamId: 1,
    method: "GET",
    scheme: "http",
    authority: "127.0.0.1",
    path: "/big",
    headers,
    header: (name: string) => headers.find((f) => f.name === name)?.value,
  } as unknown as ServerRequest;
}

function chunked(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off < bytes.length; off += CHUNK) out.push(bytes.subarray(off, off + CHUNK));
  return out;
}

async function main() {
  const bodies = [
    { name: "JSON", type: "application/json", bytes: jsonCorpus(42, SIZE) },
    { name: "text", type: "text/plain; charset=utf-8", bytes: textCorpus(43, SIZE) },
  ];
  const C = zlib.constants;
  const peer = {
    br: (b: Uint8Array) =>
      zlib.brotliCompressSync(b, {
        params: { [C.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [C.BROTLI_PARAM_SIZE_HINT]: b.length },
      }),
    gzip: (b: Uint8Array) => zlib.gzipSync(b, { level: GZIP_LEVEL }),
  };
  const peerDecode = {
    br: (b: Uint8Array) => zlib.brotliDecompressSync(b),
    gzip: (b: Uint8Array) => zlib.gunzipSync(b),
  };

  console.log(
    `Deno ${Deno.version.deno}; 1 MiB bodies; br quality ${BROTLI_QUALITY}, gzip level ` +
      `${GZIP_LEVEL} on both sides; decode input in ${CHUNK / 1024} KiB chunks\n`,
  );
  const serverRows: string[] = [];
  const clientRows: string[] = [];
  for (const body of bodies) {
    const handler = withContentEncoding(() =>
      Effect.succeed({ headers: { "content-type": body.type }, body: body.bytes })
    );
    for (const coding of ["br", "gzip"] as const) {
      const request = requestAccepting(coding === "br" ? "br" : "gzip");
      const serve = () => Effect.runPromise(handler(request));
      const first = await serve();
      const ours = first.body as Uint8Array;
      const codingHeader = (first.headers as Array<{ name: string; value: string }>)
        .find((f) => f.name === "content-encoding")?.value;
      if (codingHeader !== coding) throw new Error(`expected ${coding}, got ${codingHeader}`);
      const theirs = peer[coding](body.bytes);
      const chunks = chunked(ours);
      const decode = () =>
        Effect.runPromise(
          Stream.runForEach(
            decodeBody(Stream.fromIterable(chunks), coding),
            () => Effect.void,
          ),
        );
      // The decoded bytes must be the body itself.
      const check = peerDecode[coding](ours);
      if (check.length !== body.bytes.length) throw new Error("round trip failed");
      const best = await bestOfRounds(
        [
          ["serve", serve],
          ["peer", () => peer[coding](body.bytes)],
          ["decode", decode],
          ["peerDecode", () => peerDecode[coding](theirs)],
        ],
        60,
        7,
        2,
      );
      const s = best.get("serve")!, p = best.get("peer")!;
      const d = best.get("decode")!, pd = best.get("peerDecode")!;
      serverRows.push(
        `| ${body.name} | ${coding} | ${s.toFixed(2)} | ${p.toFixed(2)} | ${(s / p).toFixed(2)} | ${
          ours.length.toLocaleString("en")
        } | ${theirs.length.toLocaleString("en")} |`,
      );
      clientRows.push(
        `| ${body.name} | ${coding} | ${d.toFixed(2)} | ${pd.toFixed(2)} | ${
          (d / pd).toFixed(2)
        } | ${(SIZE / 1e6 / (d / 1000)).toFixed(0)} | ${(SIZE / 1e6 / (pd / 1000)).toFixed(0)} |`,
      );
    }
  }
  console.log("## Server: compress a 1 MiB response (ms per response, lower is better)\n");
  console.log(
    "| body | coding | withContentEncoding ms | node:zlib ms | ratio | h2kit bytes | zlib bytes |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const r of serverRows) console.log(r);
  console.log("\n## Client: decode the coded body (ms per body, lower is better)\n");
  console.log(
    "| body | coding | decodeBody ms | zlib one-shot ms | ratio | decodeBody MB/s | zlib MB/s |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const r of clientRows) console.log(r);
}

if (import.meta.main) {
  await main();
} else {
  // Under `deno bench`: one case per side for trend tracking.
  const json = jsonCorpus(42, SIZE);
  const handler = withContentEncoding(() =>
    Effect.succeed({ headers: { "content-type": "application/json" }, body: json })
  );
  const request = requestAccepting("br");
  const coded = (await Effect.runPromise(handler(request))).body as Uint8Array;
  const chunks = chunked(coded);
  Deno.bench("withContentEncoding br 1 MiB JSON", { group: "content-encoding" }, async () => {
    await Effect.runPromise(handler(request));
  });
  Deno.bench("decodeBody br 1 MiB JSON", { group: "content-decoding" }, async () => {
    await Effect.runPromise(
      Stream.runForEach(decodeBody(Stream.fromIterable(chunks), "br"), () => Effect.void),
    );
  });
}
