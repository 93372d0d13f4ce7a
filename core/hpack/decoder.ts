/**
 * The HPACK decoder (RFC 7541 §3, §6): field block octets in, header list out.
 *
 * @module
 */

import { CompressionError } from "../errors.ts";
import { bytesToString } from "./_byte_string.ts";
import { DynamicTable } from "./dynamic_table.ts";
import type { HeaderField } from "./header_field.ts";
import { HeaderListTooLargeError } from "./header_list_too_large_error.ts";
import { huffmanDecode } from "./huffman.ts";
import { decodeInteger, type IntegerResult } from "./integer.ts";
import { STATIC_TABLE, STATIC_TABLE_LENGTH } from "./static_table.ts";

/** Options for {@link HpackDecoder}. */
export interface HpackDecoderOptions {
  /**
   * Largest header list to accept, as Σ(name + value + 32) octets (RFC 9113
   * §6.5.2 SETTINGS_MAX_HEADER_LIST_SIZE). Default 65536.
   */
  readonly maxHeaderListSize?: number;
  /**
   * Our SETTINGS_HEADER_TABLE_SIZE: the largest dynamic table the peer's
   * encoder may use. Default 4096, the HTTP/2 initial value. Another value
   * acts like an acknowledged {@link HpackDecoder.setMaxAllowedTableSize}
   * from the initial 4096 (a smaller one requires a size update in the first
   * block), so a connection should pass the value only once the peer has
   * acknowledged it, and leave the default until then.
   */
  readonly maxTableSize?: number;
}

const DEFAULT_TABLE_SIZE = 4096;

/** How many recently decoded literal values a decoder remembers (a power of two). */
const RECENT_SLOTS = 16;
/** Longest literal value, in encoded octets, a decoder remembers. */
const RECENT_MAX_OCTETS = 128;
/** The recent-literal lengths of a decoder that has remembered none yet: all slots empty. */
const EMPTY_SLOTS = new Int16Array(RECENT_SLOTS);

/**
 * Decodes the field blocks of one direction of one connection (RFC 7541).
 *
 * Use one decoder per connection, give it every block in order (HEADERS or
 * PUSH_PROMISE plus CONTINUATIONs, joined), and call
 * {@link setMaxAllowedTableSize} when the peer acknowledges a new
 * SETTINGS_HEADER_TABLE_SIZE.
 *
 * Hostile input never crashes, hangs or grows memory without bound: a
 * malformed block throws {@link CompressionError}, after which the decoder
 * is failed for good (the peer's context is out of sync; RFC 9113 §4.3 makes
 * it a connection error) and rethrows it. A block whose header list exceeds
 * {@link maxHeaderListSize} is still decoded to the end, so the dynamic table
 * stays in sync, but fields past the limit are only counted, never kept; then
 * {@link HeaderListTooLargeError} is thrown and the decoder stays usable.
 *
 * @example Decode RFC 7541 C.2.4 (an indexed field)
 * ```ts
 * import { HpackDecoder } from "./decoder.ts";
 *
 * const decoder = new HpackDecoder();
 * const [method] = decoder.decode(new Uint8Array([0x82])); // static table entry 2
 * if (method.name !== ":method" || method.value !== "GET") throw new Error();
 * ```
 */
export class HpackDecoder {
  /** Largest accepted header list, Σ(name + value + 32) octets; a list exactly this size passes. */
  maxHeaderListSize: number;

  #table: DynamicTable;
  /** Our acknowledged SETTINGS_HEADER_TABLE_SIZE: the bound for size updates. */
  #maxAllowed: number;
  /** When >= 0, the next block must start with a size update <= this (RFC 7541 §4.2). */
  #requiredUpdate = -1;
  #failed: CompressionError | undefined;
  #pos = 0;
  #int: IntegerResult = [0];
  #scratch = new Uint8Array(512);
  // Recently decoded values of literals without indexing (not never-indexed ones), by their
  // name's static table index: the encoded octets (a slot of RECENT_MAX_OCTETS each, made on first use), their
  // length (negated when Huffman-coded; 0 = empty slot) and the string. Peers send some values
  // on every request without indexing them (nghttp2 never indexes `:path` or `content-length`),
  // and comparing octets costs less than decoding them again.
  #recentOctets: Uint8Array | undefined;
  #recentLengths = EMPTY_SLOTS;
  #recentStrings: string[] = [];
  // The last field object made for each of those slots, frozen: returned again when the same
  // name and value come back, so consumers see one object per repeated field (HTTP field
  // validation caches what it checked per frozen object).
  #recentFields: (HeaderField | undefined)[] = [];

  /** @param options Header-list limit and our table-size setting. */
  constructor(options: HpackDecoderOptions = {}) {
    this.maxHeaderListSize = options.maxHeaderListSize ?? 65536;
    // Before any SETTINGS, the table starts at the protocol default; a
    // smaller setting then behaves exactly like a SETTINGS change.
    this.#table = new DynamicTable(DEFAULT_TABLE_SIZE);
    this.#maxAllowed = DEFAULT_TABLE_SIZE;
    const max = options.maxTableSize ?? DEFAULT_TABLE_SIZE;
    if (max !== DEFAULT_TABLE_SIZE) this.setMaxAllowedTableSize(max);
  }

  /** The dynamic table (read it, do not change it): for tests and diagnostics. */
  get dynamicTable(): DynamicTable {
    return this.#table;
  }

  /** Our SETTINGS_HEADER_TABLE_SIZE as last set: the largest size update the peer may send. */
  get maxAllowedTableSize(): number {
    return this.#maxAllowed;
  }

  /**
   * Applies our SETTINGS_HEADER_TABLE_SIZE once the peer has acknowledged it
   * (RFC 9113 §6.5.3). If it is below the table's current maximum size, the
   * next block must begin with a dynamic table size update no larger than
   * the smallest value set since the last block (RFC 7541 §4.2); a block
   * without one is a {@link CompressionError}.
   *
   * @param n The new setting in octets.
   */
  setMaxAllowedTableSize(n: number): void {
    this.#maxAllowed = n;
    if (n < this.#table.maxSize) {
      this.#requiredUpdate = this.#requiredUpdate < 0 ? n : Math.min(this.#requiredUpdate, n);
    }
  }

  /**
   * Decodes one complete field block (RFC 7541 §3.1).
   *
   * @param block The whole block: HEADERS or PUSH_PROMISE fragment plus any
   *   CONTINUATION fragments, joined.
   * @returns The fields in order; never-indexed literals have `sensitive: true`.
   * @throws {CompressionError} The block is malformed; the decoder is now failed.
   * @throws {HeaderListTooLargeError} The list exceeds {@link maxHeaderListSize}.
   */
  decode(block: Uint8Array): HeaderField[] {
    if (this.#failed !== undefined) throw this.#failed;
    const end = block.length;
    const table = this.#table;
    const int = this.#int;
    const limit = this.maxHeaderListSize;
    let fields: HeaderField[] = [];
    let listSize = 0;
    let i = 0;

    // Dynamic table size updates are allowed only at the start of a block;
    // several in a row are fine (RFC 7541 §4.2).
    while (i < end && (block[i] & 0xe0) === 0x20) {
      i = decodeInteger(block, i, end, 5, int);
      if (i < 0) this.#integerFail(i);
      const size = int[0];
      if (size > this.#maxAllowed) {
        this.#fail(
          `Dynamic table size update to ${size} exceeds the allowed maximum of ${this.#maxAllowed}`,
        );
      }
      if (this.#requiredUpdate >= 0 && size <= this.#requiredUpdate) this.#requiredUpdate = -1;
      table.setMaxSize(size);
    }
    if (this.#requiredUpdate >= 0) {
      this.#fail(
        `Missing dynamic table size update: the allowed maximum was lowered to ${this.#requiredUpdate}`,
      );
    }

    while (i < end) {
      const b = block[i];
      let field: HeaderField;
      if (b >= 0x80) {
        // Indexed field (§6.1).
        i = b < 0xff ? i + 1 : decodeInteger(block, i, end, 7, int);
        if (i < 0) this.#integerFail(i);
        const index = b < 0xff ? b & 0x7f : int[0];
        field = this.#lookup(index);
      } else if (b >= 0x40) {
        // Literal with incremental indexing (§6.2.1).
        i = this.#literal(block, i, end, 6, false);
        // Frozen: the entry comes back in every block that indexes it, so a consumer may cache
        // what it learned about this object (HTTP field validation does).
        field = Object.freeze(this.#field);
        table.add(field);
      } else if (b >= 0x20) {
        this.#fail("Dynamic table size update after the first field of the block");
      } else {
        // Literal without indexing (0000) or never indexed (0001) (§6.2.2, §6.2.3).
        // Values sent without indexing may come again on the next request: remembered. Never-indexed
        // ones (credentials, by their sender's choice) are not kept.
        i = this.#literal(block, i, end, 4, b < 0x10);
        field = b >= 0x10
          ? { name: this.#field.name, value: this.#field.value, sensitive: true }
          : this.#field;
      }
      listSize += field.name.length + field.value.length + 32;
      if (listSize <= limit) fields.push(field);
      else if (fields.length !== 0) fields = []; // keep nothing once over: bounded memory
    }
    if (listSize > limit) throw new HeaderListTooLargeError(listSize, limit);
    return fields;
  }

  /** Set by #literal: the field just read. */
  #field: HeaderField = STATIC_TABLE[0];

  /**
   * Reads a literal representation with an N-bit name index prefix; sets #field. `remember`:
   * look the value up among, and add it to, the recently decoded values.
   */
  #literal(block: Uint8Array, i: number, end: number, prefix: number, remember: boolean): number {
    const int = this.#int;
    i = decodeInteger(block, i, end, prefix, int);
    if (i < 0) this.#integerFail(i);
    const nameIndex = int[0];
    let name: string;
    if (nameIndex === 0) {
      name = this.#string(block, i, end, -1);
      i = this.#pos;
    } else {
      name = this.#lookup(nameIndex).name;
    }
    // A value is remembered under its name's static table index: two headers sent this way on
    // every request (`:path`, `content-length`) then never evict each other.
    const slot = remember && nameIndex !== 0 && nameIndex <= STATIC_TABLE_LENGTH
      ? nameIndex & (RECENT_SLOTS - 1)
      : -1;
    const value = this.#string(block, i, end, slot);
    if (slot < 0) {
      this.#field = { name, value };
    } else {
      const last = this.#recentFields[slot];
      if (last !== undefined && last.name === name && last.value === value) {
        this.#field = last;
      } else {
        this.#field = this.#recentFields[slot] = Object.freeze({ name, value });
      }
    }
    return this.#pos;
  }

  /**
   * Reads a string literal (§5.2) starting at `i`; leaves the end offset in #pos. `slot`: where
   * among the recently decoded values to look for it and keep it, or -1 for nowhere.
   */
  #string(block: Uint8Array, i: number, end: number, slot: number): string {
    if (i >= end) this.#fail("Truncated field block: a string literal is missing");
    const huffman = block[i] >= 0x80;
    const int = this.#int;
    i = decodeInteger(block, i, end, 7, int);
    if (i < 0) this.#integerFail(i);
    const length = int[0];
    if (length > end - i) {
      this.#fail(`Truncated field block: a string of ${length} octets has ${end - i} left`);
    }
    const stop = i + length;
    this.#pos = stop;
    if (slot < 0 || length === 0 || length > RECENT_MAX_OCTETS) {
      return this.#decodeString(block, i, stop, huffman);
    }
    const key = huffman ? -length : length;
    let octets = this.#recentOctets;
    if (octets === undefined) {
      octets = this.#recentOctets = new Uint8Array(RECENT_SLOTS * RECENT_MAX_OCTETS);
      this.#recentLengths = new Int16Array(RECENT_SLOTS);
      this.#recentStrings = new Array<string>(RECENT_SLOTS).fill("");
    }
    const base = slot * RECENT_MAX_OCTETS;
    if (this.#recentLengths[slot] === key) {
      let k = 0;
      while (k < length && octets[base + k] === block[i + k]) k++;
      if (k === length) return this.#recentStrings[slot];
    }
    const out = this.#decodeString(block, i, stop, huffman);
    for (let k = 0; k < length; k++) octets[base + k] = block[i + k];
    this.#recentLengths[slot] = key;
    this.#recentStrings[slot] = out;
    return out;
  }

  /** Decodes the string literal octets `block[i..stop)`. */
  #decodeString(block: Uint8Array, i: number, stop: number, huffman: boolean): string {
    if (!huffman) return bytesToString(block, i, stop);
    const length = stop - i;
    if (this.#scratch.length < 2 * length) this.#scratch = new Uint8Array(4 * length);
    const n = huffmanDecode(block, i, stop, this.#scratch, 0);
    if (n < 0) {
      this.#fail(
        "Invalid Huffman string: EOS symbol, or padding longer than 7 bits or not all ones",
      );
    }
    return bytesToString(this.#scratch, 0, n);
  }

  #lookup(index: number): HeaderField {
    if (index === 0) this.#fail("Invalid index 0");
    if (index <= STATIC_TABLE_LENGTH) return STATIC_TABLE[index - 1];
    const field = this.#table.get(index - STATIC_TABLE_LENGTH - 1);
    if (field === undefined) {
      this.#fail(
        `Invalid index ${index}: the tables hold ${
          STATIC_TABLE_LENGTH + this.#table.length
        } entries`,
      );
    }
    return field;
  }

  #integerFail(code: number): never {
    this.#fail(
      code === -1
        ? "Truncated field block: it ends inside an integer"
        : "Integer overflow: a value exceeds 2^32-1 or uses too many octets",
    );
  }

  #fail(message: string): never {
    this.#failed = new CompressionError(message);
    throw this.#failed;
  }
}
