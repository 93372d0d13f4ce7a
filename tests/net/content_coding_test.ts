import assert from "node:assert/strict";
import {
  chooseResponseCoding,
  codingWeight,
  formatAcceptEncoding,
  isCompressible,
  negotiateContentCoding,
  parseAcceptEncoding,
} from "../../net/content_coding.ts";
import { SeededRng, testSeeds } from "../_support/seeded_rng.ts";

Deno.test("parseAcceptEncoding reads codings, weights and wildcards case-insensitively", () => {
  assert.deepEqual(parseAcceptEncoding("gzip, deflate, BR"), [
    { coding: "gzip", q: 1 },
    { coding: "deflate", q: 1 },
    { coding: "br", q: 1 },
  ]);
  assert.deepEqual(parseAcceptEncoding(" br ; Q=0.8 ,x-gzip;q=0.250,*;q=0 , identity;q=1.000"), [
    { coding: "br", q: 0.8 },
    { coding: "gzip", q: 0.25 },
    { coding: "*", q: 0 },
    { coding: "identity", q: 1 },
  ]);
});

Deno.test("parseAcceptEncoding distinguishes an absent field from an empty one", () => {
  assert.equal(parseAcceptEncoding(undefined), undefined);
  assert.equal(parseAcceptEncoding(null), undefined);
  assert.deepEqual(parseAcceptEncoding(""), []);
  assert.deepEqual(parseAcceptEncoding(" , ,"), []);
});

Deno.test("parseAcceptEncoding joins several field lines", () => {
  assert.deepEqual(parseAcceptEncoding(["br;q=0.5", "gzip"]), [
    { coding: "br", q: 0.5 },
    { coding: "gzip", q: 1 },
  ]);
});

Deno.test("parseAcceptEncoding skips malformed members and keeps the rest", () => {
  const bad = [
    "br;q=1.5", // above 1
    "br;q=0.1234", // four decimals
    "br;q=", // empty
    "br;q=abc",
    "br;q=-0",
    "br;level=5", // not a weight
    "br;q=0.5;q=0.6", // repeated
    "b r", // not a token
    "br\u0000",
    "br;q",
  ];
  for (const member of bad) {
    assert.deepEqual(parseAcceptEncoding(`${member}, gzip`), [{ coding: "gzip", q: 1 }], member);
  }
  assert.deepEqual(parseAcceptEncoding("br;q=1.0, gzip;q=0."), [
    { coding: "br", q: 1 },
    { coding: "gzip", q: 0 },
  ]);
});

Deno.test("parseAcceptEncoding bounds the members it reads from a huge field", () => {
  const huge = Array.from({ length: 10_000 }, (_, i) => `c${i}`).join(",") + ", br";
  const parsed = parseAcceptEncoding(huge)!;
  assert.equal(parsed.length, 64);
  assert.equal(negotiateContentCoding(huge), "identity");
});

Deno.test("parseAcceptEncoding never throws on random input", () => {
  for (const seed of testSeeds(61, 200)) {
    const rng = new SeededRng(seed);
    const alphabet = 'br gzip;q=0.,*identity\t"x-';
    let s = "";
    for (let i = rng.int(0, 60); i > 0; i--) s += alphabet[rng.int(0, alphabet.length - 1)];
    const parsed = parseAcceptEncoding(s)!;
    for (const a of parsed) assert.ok(a.q >= 0 && a.q <= 1 && a.coding === a.coding.toLowerCase());
    const chosen = negotiateContentCoding(s);
    assert.ok(
      chosen === undefined || ["br", "gzip", "identity"].includes(chosen),
      `${s} -> ${chosen}`,
    );
  }
});

Deno.test("negotiateContentCoding prefers the highest weight, then the server's order", () => {
  assert.equal(negotiateContentCoding("gzip, deflate, br"), "br");
  assert.equal(negotiateContentCoding("gzip, br", ["gzip", "br"]), "gzip");
  assert.equal(negotiateContentCoding("br;q=0.5, gzip"), "gzip");
  assert.equal(negotiateContentCoding("br;q=0.5, gzip;q=0.4"), "br");
  assert.equal(negotiateContentCoding("gzip"), "gzip");
  assert.equal(negotiateContentCoding("deflate"), "identity");
  assert.equal(negotiateContentCoding("br;q=0, gzip;q=0"), "identity");
});

Deno.test("negotiateContentCoding follows RFC 9110 for the wildcard and identity", () => {
  assert.equal(negotiateContentCoding("*"), "br");
  assert.equal(negotiateContentCoding("*;q=0.1, br;q=0"), "gzip");
  assert.equal(negotiateContentCoding("*;q=0"), undefined, "*;q=0 excludes identity too");
  assert.equal(negotiateContentCoding("*;q=0, identity"), "identity");
  assert.equal(negotiateContentCoding("identity;q=0"), undefined);
  assert.equal(negotiateContentCoding("identity;q=0, gzip"), "gzip");
  assert.equal(negotiateContentCoding("identity;q=0.5, br;q=0.4"), "identity");
  // An unlisted identity stays acceptable but ranks below anything the client listed.
  assert.equal(negotiateContentCoding("br;q=0.001"), "br");
});

Deno.test("negotiateContentCoding without the field sends identity, with an empty one too", () => {
  assert.equal(negotiateContentCoding(undefined), "identity");
  assert.equal(negotiateContentCoding(""), "identity");
  assert.equal(negotiateContentCoding(parseAcceptEncoding("br, gzip")), "br");
});

Deno.test("codingWeight gives explicit entries precedence over the wildcard", () => {
  const parsed = parseAcceptEncoding("*;q=0.3, gzip;q=0.7, gzip;q=0.2");
  assert.equal(codingWeight(parsed, "gzip"), 0.7);
  assert.equal(codingWeight(parsed, "br"), 0.3);
  assert.ok(codingWeight(parsed, "identity") > 0);
  assert.equal(codingWeight(undefined, "br"), 0);
  assert.equal(codingWeight(undefined, "identity"), 1);
});

Deno.test("isCompressible accepts text-like types above the threshold", () => {
  for (
    const type of [
      "text/html; charset=utf-8",
      "TEXT/PLAIN",
      "application/json",
      "application/problem+json",
      "application/atom+xml",
      "application/javascript",
      "image/svg+xml",
      "application/wasm",
      "font/ttf",
    ]
  ) {
    assert.equal(isCompressible(type, 5000), true, type);
    assert.equal(isCompressible(type), true, `${type} of unknown size`);
    assert.equal(isCompressible(type, 1023), false, `${type} below 1 KiB`);
  }
  assert.equal(isCompressible("text/plain", 100, { minSize: 0 }), true);
});

Deno.test("isCompressible refuses compressed, unknown and gRPC types", () => {
  for (
    const type of [
      "image/png",
      "image/jpeg",
      "video/mp4",
      "audio/ogg",
      "font/woff2",
      "application/zip",
      "application/gzip",
      "application/octet-stream",
      "application/grpc",
      "application/grpc+proto",
      "nonsense",
      "text/",
      "/json",
      "",
    ]
  ) {
    assert.equal(isCompressible(type, 1 << 20), false, type);
  }
  assert.equal(isCompressible(undefined, 1 << 20), false);
});

Deno.test("chooseResponseCoding compresses compressible responses and asks for vary", () => {
  const json = { contentType: "application/json", contentLength: 50_000 };
  assert.deepEqual(chooseResponseCoding("gzip, br", json), { coding: "br", vary: true });
  assert.deepEqual(chooseResponseCoding("gzip", json), { coding: "gzip", vary: true });
  assert.deepEqual(chooseResponseCoding(undefined, json), { coding: "identity", vary: true });
  assert.deepEqual(chooseResponseCoding("br", json, { supported: ["gzip"] }), {
    coding: "identity",
    vary: true,
  });
  assert.deepEqual(chooseResponseCoding("*;q=0", json), { coding: "identity", vary: true });
});

Deno.test("chooseResponseCoding leaves bodies alone when coding them is wrong", () => {
  const base = { contentType: "text/html", contentLength: 50_000 };
  const identity = { coding: "identity", vary: false };
  assert.deepEqual(chooseResponseCoding("br", { ...base, contentEncoding: "gzip" }), identity);
  assert.deepEqual(
    chooseResponseCoding("br", { ...base, cacheControl: "public, no-transform" }),
    identity,
  );
  assert.deepEqual(chooseResponseCoding("br", { ...base, status: 204 }), identity);
  assert.deepEqual(chooseResponseCoding("br", { ...base, status: 304 }), identity);
  assert.deepEqual(chooseResponseCoding("br", { ...base, contentLength: 10 }), identity);
  assert.deepEqual(chooseResponseCoding("br", { contentType: "image/webp" }), identity);
  assert.deepEqual(chooseResponseCoding("br", { ...base, contentEncoding: "identity" }), {
    coding: "br",
    vary: true,
  });
  assert.deepEqual(chooseResponseCoding("br", { ...base, cacheControl: "no-transformer" }), {
    coding: "br",
    vary: true,
  });
});

Deno.test("formatAcceptEncoding lists the client's codings", () => {
  assert.equal(formatAcceptEncoding(), "br, gzip");
  assert.equal(formatAcceptEncoding(["gzip"]), "gzip");
  assert.equal(negotiateContentCoding(formatAcceptEncoding()), "br");
});
