import assert from "node:assert/strict";
import { gunzipSync, gzipSync } from "node:zlib";
import { Deferred, Effect, Exit, Stream } from "effect";
import { compress as brotliCompress, decompress as brotliDecompress } from "../../brotli/mod.ts";
import type { HeaderField } from "../../core/mod.ts";
import { connect } from "../../net/client.ts";
import {
  addAcceptEncoding,
  ContentDecodingError,
  decodableCoding,
  decodeBody,
  resolveMaxDecodedSize,
  withContentEncoding,
} from "../../net/content_encoding.ts";
import { collectBytes, type ServerRequest, type ServerResponse } from "../../net/server.ts";
import { handler as exampleHandler } from "../../examples/h2_server.ts";
import { SeededRng } from "../_support/seeded_rng.ts";
import { CA, CERT, CERT_FILES, KEY, run, withServer } from "./_helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const WORDS = ["alpha", "beta", "gamma", "delta", "stream", "window", "frame", "header", "push"];

/** Compressible JSON-ish text of about `size` bytes, from a seeded generator. */
function text(size: number, seed = 7): string {
  const rng = new SeededRng(seed);
  let out = "";
  while (out.length < size) out += rng.pick(WORDS) + (rng.chance(0.1) ? "\n" : " ");
  return out.slice(0, size);
}

/** A request as the wrapper sees it: method and fields only. */
function request(acceptEncoding?: string | string[], method = "GET"): ServerRequest {
  const headers: HeaderField[] = [];
  for (const v of acceptEncoding === undefined ? [] : [acceptEncoding].flat()) {
    headers.push({ name: "accept-encoding", value: v });
  }
  return {
    method,
    path: "/",
    headers,
    header: (name: string) => headers.find((f) => f.name === name)?.value,
  } as unknown as ServerRequest;
}

function fieldsOf(res: ServerResponse): HeaderField[] {
  return (res.headers ?? []) as HeaderField[];
}

function field(res: ServerResponse, name: string): string | undefined {
  return fieldsOf(res).find((f) => f.name === name)?.value;
}

async function answer(
  res: ServerResponse,
  acceptEncoding?: string | string[],
  method = "GET",
  options: Parameters<typeof withContentEncoding>[1] = {},
): Promise<ServerResponse> {
  const h = withContentEncoding(() => Effect.succeed(res), options);
  return await Effect.runPromise(h(request(acceptEncoding, method)));
}

async function bodyBytes(res: ServerResponse): Promise<Uint8Array> {
  const b = res.body;
  if (b === undefined) return new Uint8Array(0);
  if (typeof b === "string") return enc.encode(b);
  if (b instanceof Uint8Array) return b;
  return await Effect.runPromise(collectBytes(Stream.orDie(b)));
}

async function decoded(res: ServerResponse): Promise<string> {
  const raw = await bodyBytes(res);
  const coding = field(res, "content-encoding");
  if (coding === "br") return dec.decode(await brotliDecompress(raw));
  if (coding === "gzip") return dec.decode(gunzipSync(raw));
  assert.equal(coding, undefined);
  return dec.decode(raw);
}

const JSON_BODY = text(20_000);
const JSON_RESPONSE: ServerResponse = {
  headers: {
    "content-type": "application/json",
    "content-length": String(JSON_BODY.length),
    etag: '"v1"',
    "accept-ranges": "bytes",
  },
  body: JSON_BODY,
};

Deno.test("withContentEncoding picks the coding by q-value, then server order (RFC 9110 §12.5.3)", async () => {
  const cases: Array<[string | string[] | undefined, string | undefined]> = [
    ["gzip, deflate, br", "br"],
    ["deflate, gzip, br, zstd", "br"], // curl --compressed
    ["gzip, deflate", "gzip"], // nghttp
    ["br;q=0, gzip", "gzip"],
    ["br;q=0.5, gzip;q=0.8", "gzip"],
    ["BR;Q=1, gzip;q=0.999", "br"],
    ["x-gzip", "gzip"],
    ["*", "br"],
    ["*;q=0.5, br;q=0", "gzip"],
    [["br;q=0", "gzip"], "gzip"], // two field lines
    ["identity", undefined],
    ["deflate, zstd", undefined],
    ["gzip;q=0, br;q=0", undefined],
    ["", undefined],
    [undefined, undefined],
  ];
  for (const [accept, want] of cases) {
    const res = await answer(JSON_RESPONSE, accept);
    const label = JSON.stringify(accept);
    assert.equal(field(res, "content-encoding"), want, label);
    // Compressible and large enough: the choice depends on accept-encoding either way.
    assert.equal(field(res, "vary"), "accept-encoding", label);
    assert.equal(await decoded(res), JSON_BODY, label);
  }
});

Deno.test("withContentEncoding rewrites the fields of a coded response", async () => {
  for (const coding of ["br", "gzip"]) {
    const res = await answer(JSON_RESPONSE, coding);
    const names = fieldsOf(res).map((f) => f.name);
    assert.deepEqual(names.sort(), ["content-encoding", "content-type", "etag", "vary"], coding);
    assert.equal(field(res, "etag"), 'W/"v1"', "a strong validator becomes weak");
    const raw = await bodyBytes(res);
    assert.ok(raw.length < JSON_BODY.length / 3, `${coding}: ${raw.length} bytes`);
  }
  // An explicit identity coding is replaced, never listed next to the real one.
  const identity = await answer({
    ...JSON_RESPONSE,
    headers: { "content-type": "text/plain", "content-encoding": "identity" },
  }, "gzip");
  assert.deepEqual(
    fieldsOf(identity).filter((f) => f.name === "content-encoding").map((f) => f.value),
    ["gzip"],
  );
  const weak = await answer({
    ...JSON_RESPONSE,
    headers: { ...JSON_RESPONSE.headers, etag: 'W/"x"' },
  }, "br");
  assert.equal(field(weak, "etag"), 'W/"x"');
});

Deno.test("withContentEncoding merges vary and keeps the rest of the response", async () => {
  const base = { status: 201, trailers: { "x-t": "1" }, body: JSON_BODY };
  const other = await answer(
    { ...base, headers: { "content-type": "text/html", vary: "origin" } },
    "br",
  );
  assert.deepEqual(
    fieldsOf(other).filter((f) => f.name === "vary").map((f) => f.value),
    ["origin", "accept-encoding"],
  );
  assert.equal(other.status, 201);
  assert.deepEqual(other.trailers, { "x-t": "1" });
  const covered = await answer({
    ...base,
    headers: { "content-type": "text/html", vary: "Origin, Accept-Encoding" },
  }, "br");
  assert.equal(fieldsOf(covered).filter((f) => f.name === "vary").length, 1);
  const star = await answer(
    { ...base, headers: [["Content-Type", "text/css"], ["Vary", "*"]] },
    "gzip",
  );
  assert.deepEqual(fieldsOf(star).filter((f) => f.name === "vary").map((f) => f.value), ["*"]);
  assert.equal(field(star, "content-encoding"), "gzip");
});

Deno.test("withContentEncoding leaves small, incompressible, coded, no-transform and bodiless responses alone", async () => {
  const big = new Uint8Array(50_000).fill(0x61);
  const untouched: Array<[string, ServerResponse, string?]> = [
    ["small", { headers: { "content-type": "text/plain" }, body: "x".repeat(1023) }],
    ["png", { headers: { "content-type": "image/png" }, body: big }],
    ["octet-stream", { headers: { "content-type": "application/octet-stream" }, body: big }],
    ["no content-type", { body: big }],
    ["grpc", { headers: { "content-type": "application/grpc" }, body: big }],
    ["coded", { headers: { "content-type": "text/plain", "content-encoding": "br" }, body: big }],
    [
      "no-transform",
      {
        headers: { "content-type": "text/plain", "cache-control": "max-age=5, No-Transform" },
        body: big,
      },
    ],
    ["content-digest", {
      headers: { "content-type": "text/plain", "content-digest": "sha-256=:AAAA:" },
      body: big,
    }],
    ["204", { status: 204, headers: { "content-type": "text/plain" } }],
    ["304", { status: 304, headers: { "content-type": "text/plain" }, body: big }],
    ["206", {
      status: 206,
      headers: { "content-type": "text/plain", "content-range": "bytes 0-49999/99999" },
      body: big,
    }],
    ["HEAD", { headers: { "content-type": "text/plain", "content-length": "50000" } }, "HEAD"],
    ["HEAD with a body", { headers: { "content-type": "text/plain" }, body: big }, "HEAD"],
    [
      "small stream",
      {
        headers: { "content-type": "text/plain", "content-length": "10" },
        body: Stream.make(enc.encode("0123456789")),
      },
    ],
  ];
  for (const [label, res, method] of untouched) {
    const out = await answer(res, "br, gzip", method);
    assert.equal(out, res, label);
  }
  // The threshold is an option.
  const tiny = await answer(
    { headers: { "content-type": "text/plain" }, body: "a".repeat(100) },
    "gzip",
    "GET",
    { minSize: 10 },
  );
  assert.equal(field(tiny, "content-encoding"), "gzip");
  assert.equal(await decoded(tiny), "a".repeat(100));
});

Deno.test("withContentEncoding honours codings and levels and rejects bad options", async () => {
  const gzipOnly = await answer(JSON_RESPONSE, "br, gzip", "GET", { codings: ["gzip"] });
  assert.equal(field(gzipOnly, "content-encoding"), "gzip");
  const none = await answer(JSON_RESPONSE, "br", "GET", { codings: ["gzip"] });
  assert.equal(field(none, "content-encoding"), undefined);
  assert.equal(field(none, "vary"), "accept-encoding");
  const fast = await bodyBytes(await answer(JSON_RESPONSE, "br", "GET", { brotliQuality: 0 }));
  const small = await bodyBytes(await answer(JSON_RESPONSE, "br", "GET", { brotliQuality: 9 }));
  assert.ok(small.length < fast.length, `${small.length} < ${fast.length}`);
  // cacheBodies: the same array is compressed once per coding; another array is not confused.
  const asset = enc.encode(text(30_000, 21));
  const other = enc.encode(text(30_000, 22));
  const cached = withContentEncoding(
    (req) =>
      Effect.succeed({
        headers: { "content-type": "text/css" },
        body: req.path === "/a" ? asset : other,
      }),
    { cacheBodies: true },
  );
  const get = (path: string, accept: string) =>
    Effect.runPromise(cached({ ...request(accept), path } as ServerRequest));
  const first = await get("/a", "br");
  const second = await get("/a", "br");
  assert.equal(second.body, first.body, "served from the cache");
  assert.equal(await decoded(second), dec.decode(asset));
  const gz = await get("/a", "gzip");
  assert.equal(field(gz, "content-encoding"), "gzip");
  assert.equal(await decoded(gz), dec.decode(asset));
  assert.equal(await decoded(await get("/b", "br")), dec.decode(other));
  const uncached = withContentEncoding(() =>
    Effect.succeed({ headers: { "content-type": "text/css" }, body: asset })
  );
  const u1 = await Effect.runPromise(uncached(request("br")));
  const u2 = await Effect.runPromise(uncached(request("br")));
  assert.notEqual(u1.body, u2.body);
  const h = () => Effect.succeed({});
  assert.throws(() => withContentEncoding(h, { brotliQuality: 12 }), RangeError);
  assert.throws(() => withContentEncoding(h, { gzipLevel: -1 }), RangeError);
  assert.throws(() => withContentEncoding(h, { codings: ["zstd" as "br"] }), RangeError);
});

Deno.test("withContentEncoding compresses a streamed body as it is pulled", async () => {
  for (const coding of ["br", "gzip"] as const) {
    const chunks = [text(3000, 1), text(5000, 2), text(10, 3)];
    const res = await answer({
      headers: { "content-type": "text/event-stream", "content-length": "8010" },
      body: Stream.fromIterable(chunks.map((c) => enc.encode(c))),
    }, coding);
    assert.equal(field(res, "content-encoding"), coding);
    assert.equal(field(res, "content-length"), undefined);
    assert.ok(!(res.body instanceof Uint8Array) && typeof res.body !== "string");
    assert.equal(await decoded(res), chunks.join(""), coding);
  }
});

Deno.test("decodableCoding, addAcceptEncoding and resolveMaxDecodedSize follow the client's rules", () => {
  assert.equal(decodableCoding(" BR "), "br");
  assert.equal(decodableCoding("x-gzip"), "gzip");
  assert.equal(decodableCoding("gzip, br"), undefined);
  assert.equal(decodableCoding("deflate"), undefined);
  assert.equal(decodableCoding(undefined), undefined);
  const plain: HeaderField[] = [{ name: ":method", value: "GET" }];
  assert.equal(addAcceptEncoding(plain), true);
  assert.deepEqual(plain[1], { name: "accept-encoding", value: "br, gzip" });
  const own: HeaderField[] = [{ name: ":method", value: "GET" }, {
    name: "accept-encoding",
    value: "identity",
  }];
  assert.equal(addAcceptEncoding(own), false);
  assert.equal(own.length, 2);
  const grpc: HeaderField[] = [{ name: ":method", value: "POST" }, {
    name: "content-type",
    value: "application/grpc+proto",
  }];
  assert.equal(addAcceptEncoding(grpc), false);
  assert.equal(addAcceptEncoding([{ name: ":method", value: "CONNECT" }]), false);
  assert.equal(resolveMaxDecodedSize(undefined), 64 * 1024 * 1024);
  assert.equal(resolveMaxDecodedSize(Infinity), Infinity);
  assert.equal(resolveMaxDecodedSize(0), 0);
  for (const bad of [-1, 1.5, NaN]) assert.throws(() => resolveMaxDecodedSize(bad), RangeError);
});

async function decodeAll(
  coded: Uint8Array,
  coding: "br" | "gzip",
  limit?: number,
  pieces = 3,
): Promise<Exit.Exit<Uint8Array, unknown>> {
  const step = Math.max(1, Math.ceil(coded.length / pieces));
  const parts: Uint8Array[] = [];
  for (let i = 0; i < coded.length; i += step) parts.push(coded.subarray(i, i + step));
  return await Effect.runPromiseExit(
    collectBytes(decodeBody(Stream.fromIterable(parts), coding, limit)),
  );
}

function failure(exit: Exit.Exit<unknown, unknown>): ContentDecodingError {
  assert.ok(Exit.isFailure(exit), "expected a failure");
  const e = exit.cause.reasons.find((r) => r._tag === "Fail");
  assert.ok(e !== undefined && e._tag === "Fail");
  assert.ok(e.error instanceof ContentDecodingError, String(e.error));
  return e.error;
}

Deno.test("decodeBody decodes br and gzip split anywhere, and stops a bomb at the limit", async () => {
  const plainText = enc.encode(text(100_000));
  const coded = { br: await brotliCompress(plainText), gzip: new Uint8Array(gzipSync(plainText)) };
  const bomb = new Uint8Array(32 << 20); // 32 MiB of zeros: tens of KiB coded
  const bombs = { br: await brotliCompress(bomb), gzip: new Uint8Array(gzipSync(bomb)) };
  for (const coding of ["br", "gzip"] as const) {
    for (const pieces of [1, 7, 1000]) {
      const exit = await decodeAll(coded[coding], coding, undefined, pieces);
      assert.ok(Exit.isSuccess(exit));
      assert.deepEqual(exit.value, plainText);
    }
    const exact = await decodeAll(coded[coding], coding, plainText.length);
    assert.ok(Exit.isSuccess(exact), `${coding}: a body of exactly the limit is fine`);
    const over = failure(await decodeAll(coded[coding], coding, plainText.length - 1));
    assert.equal(over.limitExceeded, true);
    assert.equal(over.coding, coding);
    assert.equal(over.initiator, "remote");
    const bombed = failure(await decodeAll(bombs[coding], coding, 1 << 20));
    assert.equal(bombed.limitExceeded, true, coding);
  }
});

Deno.test("decodeBody fails with ContentDecodingError on corrupt, truncated or empty input", async () => {
  const plainText = enc.encode(text(5000));
  const gz = new Uint8Array(gzipSync(plainText));
  const br = await brotliCompress(plainText);
  const withGarbage = new Uint8Array(gz.length + 4);
  withGarbage.set(gz);
  withGarbage.set([1, 2, 3, 4], gz.length);
  const badCrc = gz.slice();
  badCrc[badCrc.length - 6] ^= 0xff;
  const bad: Array<[string, "br" | "gzip", Uint8Array]> = [
    ["gzip truncated", "gzip", gz.subarray(0, gz.length - 5)],
    ["gzip garbage", "gzip", enc.encode("this is not gzip at all")],
    ["gzip trailing bytes", "gzip", withGarbage],
    ["gzip bad crc", "gzip", badCrc],
    ["gzip empty", "gzip", new Uint8Array(0)],
    ["br truncated", "br", br.subarray(0, br.length - 3)],
    ["br garbage", "br", new SeededRng(3).bytes(200)],
    ["br empty", "br", new Uint8Array(0)],
  ];
  for (const [label, coding, input] of bad) {
    const e = failure(await decodeAll(input, coding));
    assert.equal(e.limitExceeded, false, label);
    assert.match(e.reason, new RegExp(`Cannot decode the ${coding} body`), label);
  }
});

/** A server whose handler records each request's accept-encoding and answers by path. */
function recordingServer(seen: Array<string | undefined>, codings?: Array<"br" | "gzip">) {
  const big = text(200_000);
  const handler = withContentEncoding((req: ServerRequest) => {
    seen.push(req.header("accept-encoding"));
    switch (req.path) {
      case "/corrupt-br":
        return Effect.succeed<ServerResponse>({
          headers: { "content-type": "text/plain", "content-encoding": "br" },
          body: new SeededRng(5).bytes(5000),
        });
      case "/truncated-gzip": {
        const gz = gzipSync(enc.encode(text(20_000)));
        return Effect.succeed<ServerResponse>({
          headers: { "content-type": "text/plain", "content-encoding": "gzip" },
          body: new Uint8Array(gz.subarray(0, gz.length - 8)),
        });
      }
      case "/stacked":
        return Effect.succeed<ServerResponse>({
          headers: [["content-type", "text/plain"], ["content-encoding", "gzip"], [
            "content-encoding",
            "br",
          ]],
          body: "as is",
        });
      default:
        return Effect.succeed<ServerResponse>({
          headers: { "content-type": "text/plain", "content-length": String(big.length) },
          body: req.method === "HEAD" ? undefined : big,
        });
    }
  }, { codings });
  return { big, handler };
}

Deno.test("connect asks for br, gzip and decodes transparently over h2c and TLS", async () => {
  for (const tls of [undefined, { cert: CERT, key: KEY }]) {
    for (const codings of [undefined, ["gzip" as const]]) {
      const seen: Array<string | undefined> = [];
      const { big, handler } = recordingServer(seen, codings);
      await withServer({ handler, tls }, async (server) => {
        const url = tls ? `https://localhost:${server.port}` : server.url;
        await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
          const client = yield* connect(url, { caCerts: [CA] });
          const want = codings === undefined ? "br" : "gzip";
          const res = yield* client.request({ path: "/big" });
          assert.equal(res.decodedEncoding, want);
          assert.equal(res.header("content-encoding"), undefined);
          assert.equal(res.header("content-length"), undefined);
          assert.equal(res.header("vary"), "accept-encoding");
          assert.equal(yield* res.text, big);
          // Streamed consumption decodes too.
          const streamed = yield* client.request({ path: "/big" });
          assert.equal(dec.decode(yield* collectBytes(streamed.body)), big);
          // HEAD: nothing to code or decode; the identity fields pass through.
          const head = yield* client.request({ method: "HEAD", path: "/big" });
          assert.equal(head.decodedEncoding, undefined);
          assert.equal(head.header("content-encoding"), undefined);
          assert.equal(head.header("content-length"), String(big.length));
          assert.equal((yield* head.bytes).length, 0);
        })));
      });
      assert.deepEqual(seen, ["br, gzip", "br, gzip", "br, gzip"]);
    }
  }
});

Deno.test("connect hands the body over as received when the caller opts out", async () => {
  const seen: Array<string | undefined> = [];
  const { big, handler } = recordingServer(seen);
  await withServer({ handler }, async (server) => {
    await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      const off = yield* connect(server.url, { decompress: false });
      const plainRes = yield* off.request({ path: "/big" });
      assert.equal(plainRes.decodedEncoding, undefined);
      assert.equal(plainRes.header("content-length"), String(big.length));
      assert.equal(yield* plainRes.text, big);
      // Per request, both ways.
      const on = yield* off.request({ path: "/big", decompress: true });
      assert.equal(on.decodedEncoding, "br");
      assert.equal(yield* on.text, big);
      const client = yield* connect(server.url);
      const offOnce = yield* client.request({ path: "/big", decompress: false });
      assert.equal(offOnce.decodedEncoding, undefined);
      assert.equal((yield* offOnce.bytes).length, big.length);
      // The caller's own accept-encoding: the coded bytes and their fields, untouched.
      const own = yield* client.request({ path: "/big", headers: { "Accept-Encoding": "gzip" } });
      assert.equal(own.decodedEncoding, undefined);
      assert.equal(own.header("content-encoding"), "gzip");
      const raw = yield* own.bytes;
      assert.equal(own.header("content-length"), String(raw.length));
      assert.equal(dec.decode(gunzipSync(raw)), big);
      // Two codings stacked: not decoded, left to the caller.
      const stacked = yield* client.request({ path: "/stacked" });
      assert.equal(stacked.decodedEncoding, undefined);
      assert.equal(yield* stacked.text, "as is");
      // gRPC requests are never given an accept-encoding.
      const grpc = yield* client.request({
        method: "POST",
        path: "/grpc",
        headers: { "content-type": "application/grpc" },
        body: new Uint8Array(5),
      });
      yield* grpc.bytes;
    })));
  });
  assert.deepEqual(seen, [undefined, "br, gzip", undefined, "gzip", "br, gzip", undefined]);
});

Deno.test("connect fails a response body with ContentDecodingError and keeps the connection usable", async () => {
  const seen: Array<string | undefined> = [];
  const { big, handler } = recordingServer(seen);
  await withServer({ handler }, async (server) => {
    await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      const client = yield* connect(server.url, { maxDecompressedSize: 50_000 });
      const cases: Array<[string, boolean]> = [
        ["/big", true],
        ["/corrupt-br", false],
        ["/truncated-gzip", false],
      ];
      for (const [path, limitExceeded] of cases) {
        const res = yield* client.request({ path });
        const e = yield* Effect.flip(res.text);
        assert.ok(e instanceof ContentDecodingError, `${path}: ${String(e)}`);
        assert.equal(e.limitExceeded, limitExceeded, path);
        const streamed = yield* client.request({ path });
        const e2 = yield* Effect.flip(collectBytes(streamed.body));
        assert.equal(e2._tag, "ContentDecoding", path);
      }
      // The connection is still good.
      const roomy = yield* connect(server.url, { maxDecompressedSize: big.length });
      const ok = yield* roomy.request({ path: "/big" });
      assert.equal((yield* ok.text).length, big.length);
      const again = yield* client.request({ path: "/big", decompress: false });
      assert.equal((yield* again.bytes).length, big.length);
    })));
  });
});

Deno.test("connect resets an endless coded stream once its decoded size passes the limit", async () => {
  for (const coding of ["br", "gzip"] as const) {
    const aborted = Effect.runSync(Deferred.make<void>());
    // Fresh random bytes each time, so the coded stream is as large as the input and flow
    // control paces the producer (a repeated chunk codes to a few bytes, and the producer would
    // then run unchecked, starving this process's client of CPU).
    const rng = new SeededRng(31);
    const handler = withContentEncoding((req: ServerRequest) => {
      req.signal.addEventListener("abort", () => Deferred.doneUnsafe(aborted, Effect.void));
      return Effect.succeed<ServerResponse>({
        headers: { "content-type": "text/plain" },
        body: Stream.fromEffectRepeat(Effect.sync(() => rng.bytes(16_384))), // never ends
      });
    }, { codings: [coding] });
    await withServer({ handler }, async (server) => {
      await Effect.runPromise(
        Effect.scoped(Effect.gen(function* () {
          const client = yield* connect(server.url, { maxDecompressedSize: 1 << 20 });
          const res = yield* client.request({ path: "/" });
          const e = yield* Effect.flip(collectBytes(res.body));
          assert.ok(e instanceof ContentDecodingError && e.limitExceeded, String(e));
          // The server learns of the reset (RST_STREAM CANCEL) and stops producing.
          yield* Deferred.await(aborted);
        })).pipe(Effect.timeout(10_000)),
      );
    });
  }
});

Deno.test("connect decodes a streamed, flushed response chunk by chunk", async () => {
  for (const coding of ["br", "gzip"] as const) {
    const latch = Effect.runSync(Deferred.make<void>());
    const first = text(4000, 11);
    const second = text(4000, 12);
    const handler = withContentEncoding(() =>
      Effect.succeed<ServerResponse>({
        headers: { "content-type": "text/plain" },
        // The second chunk waits until the client has decoded the first: without a flush per
        // chunk the compressor would hold the first back and this would never finish.
        body: Stream.concat(
          Stream.make(enc.encode(first)),
          Stream.fromEffect(Effect.as(Deferred.await(latch), enc.encode(second))),
        ),
      }), { codings: [coding] });
    await withServer({ handler }, async (server) => {
      const got = await Effect.runPromise(
        Effect.scoped(Effect.gen(function* () {
          const client = yield* connect(server.url);
          const res = yield* client.request({ path: "/" });
          assert.equal(res.decodedEncoding, coding);
          let received = "";
          yield* res.body.pipe(
            Stream.runForEach((chunk) =>
              Effect.sync(() => {
                received += dec.decode(chunk);
                if (received.length >= first.length) Deferred.doneUnsafe(latch, Effect.void);
              })
            ),
          );
          return received;
        })).pipe(Effect.timeout(10_000)),
      );
      assert.equal(got, first + second);
    });
  }
});

Deno.test("examples/h2_server.ts handler: curl --compressed gets /big as br over TLS and h2c, gzip when asked", async () => {
  for (const tls of [undefined, { cert: CERT, key: KEY }]) {
    await withServer({ handler: exampleHandler, tls }, async (server) => {
      const base = tls ? `https://localhost:${server.port}` : server.url;
      const common = tls
        ? ["-sS", "--http2", "--cacert", CERT_FILES.ca]
        : ["-sS", "--http2-prior-knowledge"];
      const fmt = "%{http_version} %{size_download}";
      const br = await run("curl", [
        ...common,
        "--compressed",
        "-D",
        "-",
        "-o",
        "/dev/null",
        "-w",
        fmt,
        `${base}/big`,
      ]);
      assert.equal(br.code, 0, br.stderr);
      assert.match(br.stdout, /^content-encoding: br\r$/m);
      assert.match(br.stdout, /^vary: accept-encoding\r$/m);
      const [version, size] = br.stdout.trim().split("\n").at(-1)!.split(" ");
      assert.equal(version, "2");
      assert.ok(Number(size) < 1000, `${size} bytes on the wire for 1 MiB`);
      // The decoded body is byte for byte the uncompressed one.
      const decodedOut = await run("curl", [...common, "--compressed", `${base}/big`]);
      const identity = await run("curl", [...common, "-D", "-", `${base}/big`]);
      assert.doesNotMatch(identity.stdout, /content-encoding/);
      assert.equal(decodedOut.stdout, "x".repeat(1 << 20));
      const gz = await run("curl", [
        ...common,
        "--compressed",
        "-H",
        "accept-encoding: gzip",
        "-D",
        "-",
        `${base}/big`,
      ]);
      assert.match(gz.stdout, /^content-encoding: gzip\r$/m);
      assert.ok(gz.stdout.endsWith("x".repeat(1 << 20)));
      // Small responses stay as they are.
      const small = await run("curl", [...common, "--compressed", "-D", "-", `${base}/`]);
      assert.doesNotMatch(small.stdout, /content-encoding/);
      assert.ok(small.stdout.endsWith("\r\n\r\nhello, world\n"));
    });
  }
});

Deno.test("examples/h2_server.ts handler: nghttp (accept-encoding: gzip, deflate) gets gzip and inflates it", async () => {
  await withServer({ handler: exampleHandler }, async (server) => {
    const out = await run("nghttp", ["-v", "-t", "10", `${server.url}/big`]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /accept-encoding: gzip, deflate/);
    assert.match(out.stdout, /recv \(stream_id=\d+\) content-encoding: gzip/);
    const body = await run("nghttp", ["-t", "10", `${server.url}/big`]);
    assert.equal(body.stdout, "x".repeat(1 << 20));
  });
});

Deno.test("examples/h2_server.ts handler: our client gets /big as br, gzip or identity", async () => {
  await withServer({ handler: exampleHandler }, async (server) => {
    await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      const client = yield* connect(server.url);
      for (const [accept, want] of [["br", "br"], ["gzip", "gzip"], ["identity", undefined]]) {
        const res = yield* client.request({
          path: "/big",
          headers: { "accept-encoding": accept! },
        });
        assert.equal(res.header("content-encoding"), want, accept);
        const raw = yield* res.bytes;
        if (want === undefined) assert.equal(raw.length, 1 << 20);
        else assert.ok(raw.length < 2000, `${want}: ${raw.length}`);
      }
      const auto = yield* client.request({ path: "/big" });
      assert.equal(auto.decodedEncoding, "br");
      assert.equal(yield* auto.text, "x".repeat(1 << 20));
    })));
  });
});
