/**
 * gRPC custom metadata: ASCII and binary (`-bin`) key/value pairs carried in
 * HTTP/2 headers and trailers.
 *
 * @module
 */

import { decodeBase64, encodeBase64Unpadded } from "./_base64.ts";
import type { Fields } from "./exchange.ts";

/** One metadata value: a string for ASCII keys, bytes for keys ending in `-bin`. */
export type MetadataValue = string | Uint8Array;

// Connection-specific headers are forbidden in HTTP/2 (RFC 9113 §8.2.2); the others are owned
// by the gRPC protocol layer and must not be set or seen as user metadata.
const RESERVED = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "host",
  "te",
  "content-type",
  "content-length",
  "content-encoding",
  "accept-encoding",
  "user-agent",
]);

const KEY_RE = /^[0-9a-z_.\-]+$/;

/**
 * Whether a header name is reserved and can never be user metadata: pseudo
 * headers, connection-specific headers (RFC 9113 §8.2.2), the headers the gRPC
 * protocol itself sets (`content-type`, `te`, `user-agent`, ...) and every
 * `grpc-*` name (grpc doc/PROTOCOL-HTTP2.md reserves that prefix).
 *
 * @param name A lower-case header name.
 * @returns True when the name is reserved.
 */
export function isReservedHeader(name: string): boolean {
  return name.charCodeAt(0) === 0x3a || name.startsWith("grpc-") || RESERVED.has(name);
}

/**
 * Whether a metadata key is binary (its value is bytes, base64 on the wire).
 *
 * @param key A lower-case key.
 * @returns True for keys ending in `-bin`.
 */
export function isBinaryKey(key: string): boolean {
  return key.endsWith("-bin");
}

/**
 * gRPC custom metadata (grpc doc/PROTOCOL-HTTP2.md "Custom-Metadata"). Keys
 * are case-insensitive and stored lower case; a key may hold several values.
 * Keys ending in `-bin` hold bytes, sent base64 (unpadded); other values must
 * be printable ASCII. Reserved names are refused with a `TypeError`, so user
 * code can never spoof `grpc-status` or a pseudo header.
 */
export class Metadata {
  // Made with the first entry: most calls' metadata stays empty, and a Map is not free.
  #entries: Map<string, MetadataValue[]> | undefined;

  get #map(): Map<string, MetadataValue[]> {
    return this.#entries ??= new Map();
  }

  /**
   * Creates metadata, validating every entry.
   *
   * @param init Initial entries; a value array adds each value.
   */
  constructor(init?: Record<string, MetadataValue | readonly MetadataValue[]>) {
    if (init) {
      for (const [k, v] of Object.entries(init)) {
        if (Array.isArray(v)) { for (const x of v) this.append(k, x); }
        else this.append(k, v as MetadataValue);
      }
    }
  }

  /** Number of distinct keys. */
  get size(): number {
    return this.#entries?.size ?? 0;
  }

  /**
   * Adds a value to a key, keeping existing values.
   *
   * @param key The key; case-insensitive.
   * @param value A string for ASCII keys, bytes for `-bin` keys.
   */
  append(key: string, value: MetadataValue): void {
    const k = validateKey(key);
    validateValue(k, value);
    const list = this.#map.get(k);
    if (list) list.push(value);
    else this.#map.set(k, [value]);
  }

  /**
   * Replaces all values of a key.
   *
   * @param key The key; case-insensitive.
   * @param value The new value.
   */
  set(key: string, value: MetadataValue): void {
    const k = validateKey(key);
    validateValue(k, value);
    this.#map.set(k, [value]);
  }

  /**
   * The first value of a key.
   *
   * @param key The key; case-insensitive.
   * @returns The value, or undefined.
   */
  get(key: string): MetadataValue | undefined {
    // Most calls carry no custom metadata: answer without lower-casing the key.
    if (this.#entries === undefined || this.#entries.size === 0) return undefined;
    return this.#entries.get(key.toLowerCase())?.[0];
  }

  /**
   * Every value of a key, in order.
   *
   * @param key The key; case-insensitive.
   * @returns The values (empty when absent).
   */
  getAll(key: string): readonly MetadataValue[] {
    return this.#entries?.get(key.toLowerCase()) ?? [];
  }

  /**
   * Whether the key has at least one value.
   *
   * @param key The key; case-insensitive.
   * @returns True when present.
   */
  has(key: string): boolean {
    return this.#entries?.has(key.toLowerCase()) ?? false;
  }

  /**
   * Removes a key.
   *
   * @param key The key; case-insensitive.
   */
  delete(key: string): void {
    this.#entries?.delete(key.toLowerCase());
  }

  /** Iterates `[key, value]` pairs, one per value. */
  *[Symbol.iterator](): IterableIterator<[string, MetadataValue]> {
    if (this.#entries === undefined) return;
    for (const [k, vs] of this.#entries) for (const v of vs) yield [k, v];
  }

  /**
   * A copy with the entries of `other` appended.
   *
   * @param other Metadata to merge in.
   * @returns A new Metadata.
   */
  merge(other: Metadata): Metadata {
    const out = new Metadata();
    for (const [k, v] of this) out.#push(k, v);
    for (const [k, v] of other) out.#push(k, v);
    return out;
  }

  #push(k: string, v: MetadataValue): void {
    const list = this.#map.get(k);
    if (list) list.push(v);
    else this.#map.set(k, [v]);
  }

  /**
   * Appends the wire form to a header list: one field per value, `-bin`
   * values as unpadded base64.
   *
   * @param out The header list being built.
   */
  writeTo(out: Array<{ name: string; value: string }>): void {
    if (this.#entries === undefined) return;
    for (const [k, vs] of this.#entries) {
      for (const v of vs) {
        out.push({ name: k, value: typeof v === "string" ? v : encodeBase64Unpadded(v) });
      }
    }
  }

  /**
   * Collects the user metadata from received headers or trailers. Reserved
   * names are skipped. A `-bin` value is base64 (padded or not); a value holding
   * several comma-separated base64 strings (how an intermediary may join
   * duplicates) is split. A malformed `-bin` value or a name that is not a valid
   * key is dropped rather than failing the call, like grpc-go.
   *
   * @param fields Received header fields (byte strings).
   * @returns The metadata.
   */
  static fromHeaders(fields: Fields): Metadata {
    const md = new Metadata();
    for (const f of fields) {
      const name = f.name;
      if (isReservedHeader(name) || !KEY_RE.test(name)) continue;
      if (isBinaryKey(name)) {
        for (const part of f.value.split(",")) {
          const bytes = decodeBase64(part.trim());
          if (bytes !== undefined) md.#push(name, bytes);
        }
      } else {
        md.#push(name, f.value);
      }
    }
    return md;
  }
}

function validateKey(key: string): string {
  const k = key.toLowerCase();
  if (k.length === 0 || !KEY_RE.test(k)) {
    throw new TypeError(`Cannot use metadata key "${key}": only 0-9 a-z _ . - are allowed`);
  }
  if (isReservedHeader(k)) throw new TypeError(`Cannot use metadata key "${key}": it is reserved`);
  return k;
}

function validateValue(key: string, value: MetadataValue): void {
  if (isBinaryKey(key)) {
    if (!(value instanceof Uint8Array)) {
      throw new TypeError(`Cannot set metadata "${key}": a -bin key needs a Uint8Array value`);
    }
    return;
  }
  if (typeof value !== "string") {
    throw new TypeError(`Cannot set metadata "${key}": only -bin keys take bytes`);
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      throw new TypeError(`Cannot set metadata "${key}": value is not printable ASCII`);
    }
  }
}
