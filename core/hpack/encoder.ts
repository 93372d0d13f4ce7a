/**
 * The HPACK encoder (RFC 7541 §3, §6): header list in, field block octets out.
 *
 * @module
 */

import type { ByteWriter } from "../byte_writer.ts";
import { UsageError } from "../errors.ts";
import { DynamicTable } from "./dynamic_table.ts";
import type { HeaderField } from "./header_field.ts";
import { huffmanEncode, huffmanEncodedLength } from "./huffman.ts";
import { encodeInteger } from "./integer.ts";
import { STATIC_BY_NAME, STATIC_TABLE_LENGTH } from "./static_table.ts";

/** Options for {@link HpackEncoder}. */
export interface HpackEncoderOptions {
  /**
   * Our own cap on the dynamic table, whatever the peer allows. Default
   * 4096 (as nghttp2 and hyperium h2): a bigger table costs memory for a
   * small gain.
   */
  readonly maxTableSize?: number;
  /**
   * When to Huffman-code string literals: `"auto"` (default) only when it is
   * strictly shorter, `"always"`, or `"never"` (RFC 7541 §5.2).
   */
  readonly huffman?: "auto" | "always" | "never";
}

const DEFAULT_TABLE_SIZE = 4096;
// Slab for encodeToBytes results: big enough to amortize the allocation over
// many blocks, small enough that a retained block pins little memory.
const SLAB_SIZE = 16384;

// Fields nghttp2's deflater never adds to the dynamic table
// (hd_deflate_should_indexing; checked against libnghttp2 1.52, which does
// index last-modified): their values rarely repeat on a connection, so
// indexing them would only evict entries that do.
const NOT_INDEXED: ReadonlySet<string> = new Set([
  ":path",
  "age",
  "content-length",
  "etag",
  "if-modified-since",
  "if-none-match",
  "location",
  "set-cookie",
]);

function notByteString(s: string): UsageError {
  const shown = s.length > 40 ? `${s.slice(0, 40)}...` : s;
  return new UsageError(
    `Cannot encode header field string "${shown}": it has a code unit above 0xFF, not a byte string`,
  );
}

/**
 * A block this encoder wrote for an immutable header list that left the dynamic table as it
 * was (only table hits and literals without indexing): the same list encodes to the same octets
 * for as long as the table holds the same entries.
 */
interface CachedBlock {
  /** The table's insertion count when the block was written. */
  readonly inserted: number;
  /** The encoder's table epoch when the block was written. */
  readonly epoch: number;
  /** The block's octets (a copy). */
  readonly octets: Uint8Array;
}

/**
 * Whether `fields` can never change: a frozen array of frozen plain objects whose `name`,
 * `value` and (if present) `sensitive` are own data properties. Freezing cannot be undone, so
 * what holds now holds forever; accessors survive freezing and are refused.
 */
function isImmutableList(fields: readonly HeaderField[]): boolean {
  if (!Object.isFrozen(fields)) return false;
  for (let i = 0; i < fields.length; i++) {
    const slot = Object.getOwnPropertyDescriptor(fields, i);
    if (slot === undefined || !("value" in slot)) return false;
    const f: unknown = slot.value;
    if (typeof f !== "object" || f === null || !Object.isFrozen(f)) return false;
    const proto = Object.getPrototypeOf(f);
    if (proto !== Object.prototype && proto !== null) return false;
    const name = Object.getOwnPropertyDescriptor(f, "name");
    const value = Object.getOwnPropertyDescriptor(f, "value");
    const sensitive = Object.getOwnPropertyDescriptor(f, "sensitive");
    if (name === undefined || !("value" in name) || typeof name.value !== "string") return false;
    if (value === undefined || !("value" in value) || typeof value.value !== "string") {
      return false;
    }
    if (sensitive !== undefined && !("value" in sensitive)) return false;
  }
  return true;
}

/** Dynamic-table lookup for one name: insertion numbers of its live entries. */
interface NameEntry {
  /** Insertion number of the newest entry with this name. */
  latest: number;
  /** Insertion number of the newest entry for each value. */
  readonly values: Map<string, number>;
}

/**
 * Encodes the field blocks of one direction of one connection (RFC 7541).
 *
 * It compresses like nghttp2's deflater: exact matches in the static and
 * dynamic tables become one indexed octet or so (Map lookups, no scans);
 * otherwise a table name index is reused (static first); new fields are added
 * to the dynamic table except those nghttp2 does not index (`:path`, `age`,
 * `content-length`, `etag`, `if-modified-since`, `if-none-match`,
 * `location`, `set-cookie`, and any field over 3/4 of the table). Secrets are
 * sent as never-indexed literals (RFC 7541 §7.1.3): fields marked
 * `sensitive`, and automatically `authorization`, `proxy-authorization` and
 * cookies shorter than 20 octets (low-entropy values that compression
 * side channels could guess, as nghttp2 and python h2 do). Strings are
 * Huffman-coded only when that is strictly shorter (RFC 7541 §5.2).
 *
 * A field whose name or value has a code unit above 0xFF is a
 * {@link UsageError}; the block is abandoned and the encoder's context is
 * restored to what it was before it, so the connection can go on.
 *
 * @example Encode a request and decode it again
 * ```ts
 * import { HpackDecoder } from "./decoder.ts";
 * import { HpackEncoder } from "./encoder.ts";
 *
 * const encoder = new HpackEncoder();
 * const block = encoder.encodeToBytes([
 *   { name: ":method", value: "GET" },
 *   { name: ":path", value: "/" },
 * ]);
 * // Both fields are in the static table: one octet each.
 * if (block.length !== 2 || block[0] !== 0x82 || block[1] !== 0x84) throw new Error();
 * if (new HpackDecoder().decode(block)[1].value !== "/") throw new Error();
 * ```
 */
export class HpackEncoder {
  #cap: number;
  #huffman: "auto" | "always" | "never";
  #table: DynamicTable;
  #byName = new Map<string, NameEntry>();
  /** The size updates to emit at the start of the next block, or -1. */
  #updateMin = -1;
  #updateFinal = -1;
  /**
   * Output buffer. A block is written at `#start`; `encodeToBytes` hands
   * out a view of it and moves `#start` past it, so small blocks share one
   * allocation (a slab) instead of costing an ArrayBuffer each.
   */
  #buf = new Uint8Array(SLAB_SIZE);
  #start = 0;
  /** Entries evicted during the current block, to undo it if it fails. */
  #evicted: { field: HeaderField; insertion: number }[] = [];
  /**
   * Counts the table changes that keep its insertion count (size updates; also undo, which
   * restores the earlier content, to stay on the safe side), so that (insertion count, epoch)
   * names one table content: an add always bumps the count.
   */
  #epoch = 0;
  /** Blocks of immutable lists that left the table unchanged, to copy instead of re-encoding. */
  #blocks = new WeakMap<readonly HeaderField[], CachedBlock>();

  /** @param options Table cap and Huffman policy. */
  constructor(options: HpackEncoderOptions = {}) {
    this.#cap = options.maxTableSize ?? DEFAULT_TABLE_SIZE;
    this.#huffman = options.huffman ?? "auto";
    // Both sides start at the protocol default (RFC 9113 §6.5.2); a smaller
    // cap of ours is announced in the first block.
    this.#table = new DynamicTable(DEFAULT_TABLE_SIZE, (field, insertion) => {
      this.#evicted.push({ field, insertion });
      const entry = this.#byName.get(field.name);
      if (entry === undefined) return;
      if (entry.values.get(field.value) === insertion) entry.values.delete(field.value);
      // FIFO eviction: if the newest entry of a name goes, all of them went.
      if (entry.latest === insertion) this.#byName.delete(field.name);
    });
    if (this.#cap < DEFAULT_TABLE_SIZE) this.setPeerMaxTableSize(DEFAULT_TABLE_SIZE);
  }

  /** The dynamic table (read it, do not change it): for tests and diagnostics. */
  get dynamicTable(): DynamicTable {
    return this.#table;
  }

  /**
   * Applies the peer's SETTINGS_HEADER_TABLE_SIZE (RFC 9113 §6.5.2). Our
   * table becomes `min(n, maxTableSize)`, announced by dynamic table size
   * updates at the start of the next block; if the size went below that
   * value and back up meanwhile, the minimum is announced first, then the
   * final size (RFC 7541 §4.2).
   *
   * @param n The peer's setting in octets.
   */
  setPeerMaxTableSize(n: number): void {
    const size = Math.min(n, this.#cap);
    if (this.#updateFinal < 0) {
      if (size === this.#table.maxSize) return;
      this.#updateMin = size;
    } else {
      this.#updateMin = Math.min(this.#updateMin, size);
    }
    this.#updateFinal = size;
  }

  /**
   * Encodes one header list as a complete field block and appends it to `out`.
   *
   * @param fields The fields, in order; duplicates are kept.
   * @param out Where the block goes.
   * @throws {UsageError} A name or value has a code unit above 0xFF.
   */
  encode(fields: Iterable<HeaderField>, out: ByteWriter): void {
    const end = this.#encode(fields);
    out.bytes(this.#buf.subarray(this.#start, end)); // copied: the region can be reused
  }

  /**
   * Encodes one header list as a complete field block.
   *
   * @param fields The fields, in order; duplicates are kept.
   * @returns The block: a view into a slab shared with other blocks from
   *   this encoder (never overwritten), so do not assume it owns `.buffer`.
   * @throws {UsageError} A name or value has a code unit above 0xFF.
   */
  encodeToBytes(fields: Iterable<HeaderField>): Uint8Array {
    const end = this.#encode(fields); // first: it may replace #buf
    const block = this.#buf.subarray(this.#start, end);
    this.#start = end; // handed out: never written again
    return block;
  }

  #encode(input: Iterable<HeaderField>): number {
    // Strings are checked for code units above 0xFF only when written as
    // literals (a table hit is a valid byte string by construction). If one
    // fails mid-block, the table changes of the fields before it are undone,
    // so the context stays what the peer knows.
    const table = this.#table;
    const inserted = table.inserted;
    // A frozen list may have been encoded before against this very table content; no pending size
    // update means the block would start the same way too.
    const cacheable = this.#updateFinal < 0 && Array.isArray(input) && Object.isFrozen(input);
    if (cacheable) {
      const known = this.#blocks.get(input as readonly HeaderField[]);
      if (known !== undefined && known.inserted === inserted && known.epoch === this.#epoch) {
        const octets = known.octets;
        const at = this.#ensure(this.#start, octets.length);
        this.#buf.set(octets, at);
        return at + octets.length;
      }
    }
    const maxSize = table.maxSize;
    const updateMin = this.#updateMin;
    const updateFinal = this.#updateFinal;
    if (this.#evicted.length !== 0) this.#evicted.length = 0;
    try {
      const end = this.#encodeFields(input);
      if (
        cacheable && table.inserted === inserted &&
        isImmutableList(input as readonly HeaderField[])
      ) {
        this.#blocks.set(input as readonly HeaderField[], {
          inserted,
          epoch: this.#epoch,
          octets: this.#buf.slice(this.#start, end),
        });
      }
      return end;
    } catch (e) {
      this.#undo(maxSize, inserted);
      this.#updateMin = updateMin;
      this.#updateFinal = updateFinal;
      throw e;
    }
  }

  /** Restores the table and lookup maps to their state before the block. */
  #undo(maxSize: number, inserted: number): void {
    this.#epoch++;
    const table = this.#table;
    const entries: HeaderField[] = [];
    // Entries evicted by this block that were there before it, oldest first,
    // then the survivors from before the block.
    for (const { field, insertion } of this.#evicted) {
      if (insertion <= inserted) entries.push(field);
    }
    for (let i = table.length - 1; i >= 0; i--) {
      if (table.inserted - i <= inserted) entries.push(table.get(i)!);
    }
    table.restore(entries, maxSize, inserted);
    this.#byName.clear();
    entries.forEach((field, i) =>
      this.#remember(field.name, field.value, inserted - entries.length + 1 + i)
    );
  }

  #encodeFields(input: Iterable<HeaderField>): number {
    let at = this.#ensure(this.#start, 12);
    if (this.#updateFinal >= 0) {
      this.#epoch++;
      if (this.#updateMin < this.#updateFinal) {
        at = encodeInteger(this.#buf, at, this.#updateMin, 5, 0x20);
        this.#table.setMaxSize(this.#updateMin);
      }
      at = encodeInteger(this.#buf, at, this.#updateFinal, 5, 0x20);
      this.#table.setMaxSize(this.#updateFinal);
      this.#updateMin = this.#updateFinal = -1;
    }

    const table = this.#table;
    for (const f of input) {
      const name = f.name;
      const value = f.value;
      // Worst case: "always" Huffman of 30-bit codes is < 4 octets per octet.
      at = this.#ensure(at, 4 * (name.length + value.length) + 16);
      const buf = this.#buf;
      const stat = STATIC_BY_NAME.get(name);
      const sensitive = f.sensitive === true || name === "authorization" ||
        name === "proxy-authorization" || (name === "cookie" && value.length < 20);
      if (stat !== undefined && !sensitive) {
        const index = stat.values.get(value);
        if (index !== undefined) {
          buf[at++] = 0x80 | index; // static indices fit the 7-bit prefix
          continue;
        }
      }
      const dyn = this.#byName.get(name);

      if (sensitive) {
        // Never indexed (§6.2.3); the name may still come from a table.
        const nameIndex = stat !== undefined
          ? stat.index
          : dyn !== undefined
          ? STATIC_TABLE_LENGTH + 1 + table.inserted - dyn.latest
          : 0;
        at = encodeInteger(buf, at, nameIndex, 4, 0x10);
        if (nameIndex === 0) at = this.#string(name, at);
        at = this.#string(value, at);
        continue;
      }

      if (dyn !== undefined) {
        const insertion = dyn.values.get(value);
        if (insertion !== undefined) {
          at = encodeInteger(
            buf,
            at,
            STATIC_TABLE_LENGTH + 1 + table.inserted - insertion,
            7,
            0x80,
          );
          continue;
        }
      }

      const nameIndex = stat !== undefined
        ? stat.index
        : dyn !== undefined
        ? STATIC_TABLE_LENGTH + 1 + table.inserted - dyn.latest
        : 0;
      const entrySize = name.length + value.length + 32;
      if (entrySize * 4 <= table.maxSize * 3 && !NOT_INDEXED.has(name)) {
        at = encodeInteger(buf, at, nameIndex, 6, 0x40);
        if (nameIndex === 0) at = this.#string(name, at);
        at = this.#string(value, at);
        this.#index(name, value);
      } else {
        at = encodeInteger(buf, at, nameIndex, 4, 0x00);
        if (nameIndex === 0) at = this.#string(name, at);
        at = this.#string(value, at);
      }
    }
    return at;
  }

  /** Adds a field to the dynamic table and to the lookup maps. */
  #index(name: string, value: string): void {
    this.#table.add({ name, value });
    this.#remember(name, value, this.#table.inserted);
  }

  #remember(name: string, value: string, insertion: number): void {
    const entry = this.#byName.get(name);
    if (entry === undefined) {
      const values = new Map<string, number>();
      values.set(value, insertion);
      this.#byName.set(name, { latest: insertion, values });
    } else {
      entry.latest = insertion;
      entry.values.set(value, insertion);
    }
  }

  /** Writes a string literal (§5.2); Huffman per the policy. */
  #string(s: string, at: number): number {
    const buf = this.#buf;
    if (this.#huffman !== "never") {
      const length = huffmanEncodedLength(s);
      if (length < 0) throw notByteString(s);
      if (length < s.length || this.#huffman === "always") {
        at = encodeInteger(buf, at, length, 7, 0x80);
        return huffmanEncode(s, buf, at);
      }
    }
    const n = s.length;
    at = encodeInteger(buf, at, n, 7, 0);
    let all = 0;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      all |= c;
      buf[at + i] = c;
    }
    if (all > 0xff) throw notByteString(s);
    return at + n;
  }

  /**
   * Makes room for `n` more octets at `at` and returns where writing goes on.
   * When the buffer is full, the block so far moves to the start of a new
   * buffer (a new slab), leaving handed-out blocks untouched.
   */
  #ensure(at: number, n: number): number {
    if (at + n <= this.#buf.length) return at;
    const used = at - this.#start;
    let cap = SLAB_SIZE;
    while (cap < used + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(this.#start, at));
    this.#buf = next;
    this.#start = 0;
    return used;
  }
}
