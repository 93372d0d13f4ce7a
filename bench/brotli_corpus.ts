/**
 * A deterministic corpus for the Brotli benchmark: JSON API responses, English-like text and
 * protobuf-encoded messages, generated from a seed so every run measures the same bytes.
 *
 * @module
 */

import { SeededRng } from "../tests/_support/seeded_rng.ts";

const WORDS = (
  "the of and to in is that for it as was with be by on not he this are or his from at which " +
  "but have an they you were her she there one all we can their has been if more when will would " +
  "who so no stream frame header window settings priority connection request response server " +
  "client error timeout retry message buffer queue latency throughput protocol compression data"
).split(" ");

/** A word with a Zipf-like bias toward the common ones, as in natural text. */
function word(rng: SeededRng): string {
  const f = rng.float();
  return WORDS[Math.floor(f * f * f * WORDS.length)];
}

/** JSON like an API response: an array of user/event records, `size` bytes. */
export function jsonCorpus(seed: number, size: number): Uint8Array {
  const rng = new SeededRng(seed);
  const parts: string[] = [];
  let length = 1;
  for (let i = 0; length < size; i++) {
    const record = JSON.stringify({
      id: 100000 + i,
      uuid: Array.from({ length: 4 }, () => rng.u32().toString(16).padStart(8, "0")).join("-"),
      name: `${word(rng)} ${word(rng)}`,
      email: `user${rng.int(1, 50000)}@example.com`,
      createdAt: new Date(1_700_000_000_000 + rng.int(0, 3e9) * 10).toISOString(),
      active: rng.chance(0.7),
      score: Math.round(rng.float() * 10000) / 100,
      tags: Array.from({ length: rng.int(0, 4) }, () => word(rng)),
      address: { city: word(rng), zip: String(rng.int(10000, 99999)), country: "DE" },
    });
    parts.push(record);
    length += record.length + 1;
  }
  return new TextEncoder().encode(`[${parts.join(",")}]`).subarray(0, size);
}

/** English-like prose and log lines, `size` bytes. */
export function textCorpus(seed: number, size: number): Uint8Array {
  const rng = new SeededRng(seed);
  let s = "";
  while (s.length < size) {
    if (rng.chance(0.3)) {
      s += `2026-11-22T04:${String(rng.int(0, 59)).padStart(2, "0")}:${
        String(rng.int(0, 59)).padStart(2, "0")
      }Z INFO stream=${rng.int(1, 999)} ${word(rng)} ${word(rng)} bytes=${rng.int(0, 65535)}\n`;
    } else {
      const n = rng.int(5, 25);
      const sentence = Array.from({ length: n }, () => word(rng)).join(" ");
      s += sentence[0].toUpperCase() + sentence.slice(1) + ". ";
    }
  }
  return new TextEncoder().encode(s.slice(0, size));
}

/** Protobuf wire-format messages (varints, strings, packed ints, hashes), `size` bytes. */
export function protobufCorpus(seed: number, size: number): Uint8Array {
  const rng = new SeededRng(seed);
  const out = new Uint8Array(size);
  let off = 0;
  const byte = (b: number) => {
    if (off < size) out[off++] = b;
  };
  const varint = (v: number) => {
    while (v > 0x7f) {
      byte((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    byte(v);
  };
  const bytesField = (tag: number, data: Uint8Array) => {
    varint((tag << 3) | 2);
    varint(data.length);
    for (const b of data) byte(b);
  };
  const te = new TextEncoder();
  while (off < size) {
    varint((1 << 3) | 0);
    varint(rng.int(1, 1_000_000)); // id
    bytesField(2, te.encode(`${word(rng)}-${word(rng)}`)); // name
    varint((3 << 3) | 0);
    varint(1_700_000_000 + rng.int(0, 1e7)); // timestamp
    const packed: number[] = Array.from({ length: rng.int(0, 12) }, () => rng.int(0, 300));
    const tmp: number[] = [];
    for (let v of packed) {
      while (v > 0x7f) {
        tmp.push((v & 0x7f) | 0x80);
        v >>>= 7;
      }
      tmp.push(v);
    }
    bytesField(4, Uint8Array.from(tmp)); // packed repeated ints
    if (rng.chance(0.15)) bytesField(5, rng.bytes(32)); // a hash: incompressible
    bytesField(7, te.encode(rng.chance(0.5) ? "application/json" : "text/plain")); // an enum-like string
    varint((6 << 3) | 5); // fixed32 float
    for (let i = 0; i < 4; i++) byte(rng.int(0, 255));
  }
  return out;
}

/** The benchmark corpus: one third each of JSON, text and protobuf, about `size` bytes in all. */
export function mixedCorpus(seed: number, size: number): { name: string; bytes: Uint8Array }[] {
  const third = Math.floor(size / 3);
  return [
    { name: "json", bytes: jsonCorpus(seed, third) },
    { name: "text", bytes: textCorpus(seed + 1, third) },
    { name: "protobuf", bytes: protobufCorpus(seed + 2, third) },
  ];
}
