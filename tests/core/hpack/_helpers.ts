/**
 * Shared helpers for the HPACK tests: hex, header-list conversion.
 *
 * @module
 */

import type { HeaderField } from "../../../core/hpack/mod.ts";

/** Parses hex (whitespace allowed) into bytes. */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Formats bytes as lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** `[name, value]` pairs as plain fields. */
export function fields(pairs: readonly (readonly [string, string])[]): HeaderField[] {
  return pairs.map(([name, value]) => ({ name, value }));
}

/** Fields as `[name, value]` pairs (drops the sensitive flag). */
export function pairs(list: readonly HeaderField[]): [string, string][] {
  return list.map((f) => [f.name, f.value]);
}

/** A source of random numbers (the subset of SeededRng the generators use). */
export interface Rng {
  int(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  bytes(n: number): Uint8Array;
}

const COMMON: readonly (readonly [string, string])[] = [
  [":method", "GET"],
  [":method", "POST"],
  [":scheme", "https"],
  [":path", "/"],
  [":path", "/api/v1/items?page=2"],
  [":authority", "example.com"],
  [":status", "200"],
  [":status", "404"],
  ["accept", "*/*"],
  ["accept-encoding", "gzip, deflate, br"],
  ["user-agent", "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0"],
  ["cookie", "session=0123456789abcdef0123456789abcdef"],
  ["cookie", "a=b"],
  ["authorization", "Bearer token"],
  ["content-type", "application/grpc"],
  ["content-length", "1234"],
  ["set-cookie", "id=1; Path=/; HttpOnly"],
  ["x-custom", "value"],
  ["te", "trailers"],
];

/** A random byte string: ASCII-ish, arbitrary octets, or empty. */
export function randomByteString(rng: Rng, maxLength: number): string {
  const n = rng.int(0, maxLength);
  const kind = rng.int(0, 2);
  let s = "";
  for (let i = 0; i < n; i++) {
    const c = kind === 0 ? rng.int(0x61, 0x7a) : kind === 1 ? rng.int(0x20, 0x7e) : rng.int(0, 255);
    s += String.fromCharCode(c);
  }
  return s;
}

/**
 * A random header list: common fields (so the dynamic table gets hits),
 * arbitrary octets, empty names, duplicates and sensitive flags.
 */
export function randomHeaderList(rng: Rng, pool: [string, string][]): HeaderField[] {
  const out: HeaderField[] = [];
  const count = rng.int(0, 20);
  for (let i = 0; i < count; i++) {
    let pair: readonly [string, string];
    const r = rng.int(0, 9);
    if (r < 4) pair = rng.pick(COMMON);
    else if (r < 7 && pool.length > 0) pair = rng.pick(pool);
    else if (r < 8 && out.length > 0) pair = [out[out.length - 1].name, out[out.length - 1].value];
    else {
      pair = [rng.chance(0.05) ? "" : randomByteString(rng, 20), randomByteString(rng, 80)];
      if (pool.length < 50) pool.push([pair[0], pair[1]]);
    }
    out.push(
      rng.chance(0.1)
        ? { name: pair[0], value: pair[1], sensitive: true }
        : { name: pair[0], value: pair[1] },
    );
  }
  return out;
}
