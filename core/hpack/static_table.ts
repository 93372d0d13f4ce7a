/**
 * The HPACK static table (RFC 7541 Appendix A) and the lookups the encoder
 * needs on it.
 *
 * @module
 */

import type { HeaderField } from "./header_field.ts";

/** Number of entries in the static table; dynamic indices start after it (RFC 7541 §2.3.3). */
export const STATIC_TABLE_LENGTH = 61;

const entries: readonly (readonly [string, string])[] = [
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""],
  ["accept-ranges", ""],
  ["accept", ""],
  ["access-control-allow-origin", ""],
  ["age", ""],
  ["allow", ""],
  ["authorization", ""],
  ["cache-control", ""],
  ["content-disposition", ""],
  ["content-encoding", ""],
  ["content-language", ""],
  ["content-length", ""],
  ["content-location", ""],
  ["content-range", ""],
  ["content-type", ""],
  ["cookie", ""],
  ["date", ""],
  ["etag", ""],
  ["expect", ""],
  ["expires", ""],
  ["from", ""],
  ["host", ""],
  ["if-match", ""],
  ["if-modified-since", ""],
  ["if-none-match", ""],
  ["if-range", ""],
  ["if-unmodified-since", ""],
  ["last-modified", ""],
  ["link", ""],
  ["location", ""],
  ["max-forwards", ""],
  ["proxy-authenticate", ""],
  ["proxy-authorization", ""],
  ["range", ""],
  ["referer", ""],
  ["refresh", ""],
  ["retry-after", ""],
  ["server", ""],
  ["set-cookie", ""],
  ["strict-transport-security", ""],
  ["transfer-encoding", ""],
  ["user-agent", ""],
  ["vary", ""],
  ["via", ""],
  ["www-authenticate", ""],
];

/**
 * The static table, 1-based as on the wire: `STATIC_TABLE[i - 1]` is index
 * `i` (RFC 7541 Appendix A). The fields are frozen and shared, so the
 * decoder returns them without allocating.
 */
export const STATIC_TABLE: readonly HeaderField[] = entries.map(([name, value]) =>
  Object.freeze({ name, value })
);

/** What the encoder knows about one name in the static table. */
export interface StaticNameEntry {
  /** The lowest index with this name, for a name-only reference. */
  readonly index: number;
  /** Index of each (name, value) pair with this name. */
  readonly values: ReadonlyMap<string, number>;
}

/**
 * Static-table lookup by name, then value, for the encoder's exact and
 * name-only matches without a linear scan.
 */
export const STATIC_BY_NAME: ReadonlyMap<string, StaticNameEntry> = buildIndex();

function buildIndex(): Map<string, StaticNameEntry> {
  const byName = new Map<string, { index: number; values: Map<string, number> }>();
  entries.forEach(([name, value], i) => {
    let entry = byName.get(name);
    if (entry === undefined) {
      entry = { index: i + 1, values: new Map() };
      byName.set(name, entry);
    }
    if (!entry.values.has(value)) entry.values.set(value, i + 1);
  });
  return byName;
}
