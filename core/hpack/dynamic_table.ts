/**
 * The HPACK dynamic table (RFC 7541 §2.3.2, §4): a FIFO of recently indexed
 * fields bounded by a size in octets.
 *
 * @module
 */

import type { HeaderField } from "./header_field.ts";

/** Called for each entry the table evicts, with its insertion number (see {@link DynamicTable.inserted}). */
export type EvictionListener = (field: HeaderField, insertion: number) => void;

/**
 * The dynamic table of one HPACK context, as a ring buffer.
 *
 * Each entry counts `name.length + value.length + 32` octets (RFC 7541
 * §4.1). Adding an entry first evicts the oldest ones until it fits; an
 * entry larger than the whole table empties it and is not added (§4.4).
 * Lowering the maximum size evicts at once (§4.3). Index 0 is the newest
 * entry (wire index 62 when the static table has 61 entries).
 */
export class DynamicTable {
  #ring: HeaderField[] = new Array(16);
  #mask = 15;
  #start = 0; // slot of the oldest entry
  #count = 0;
  #size = 0;
  #maxSize: number;
  #inserted = 0;
  #onEvict: EvictionListener | undefined;

  /**
   * @param maxSize Initial maximum size in octets (RFC 7541 §4.2).
   * @param onEvict Optional listener for evictions (the encoder keeps its
   *   lookup maps in step with it).
   */
  constructor(maxSize: number, onEvict?: EvictionListener) {
    this.#maxSize = maxSize;
    this.#onEvict = onEvict;
  }

  /** Number of entries. */
  get length(): number {
    return this.#count;
  }

  /** Current size in octets (Σ name + value + 32). */
  get size(): number {
    return this.#size;
  }

  /** Maximum size in octets, as last set by a dynamic table size update. */
  get maxSize(): number {
    return this.#maxSize;
  }

  /**
   * How many entries were ever added. The newest entry has insertion number
   * `inserted`, so an entry with insertion number `k` is at index
   * `inserted - k` while it lives.
   */
  get inserted(): number {
    return this.#inserted;
  }

  /**
   * The entry at `index` (0 = newest), or `undefined` when out of range.
   *
   * @param index 0-based position from the newest entry.
   * @returns The field, or undefined.
   */
  get(index: number): HeaderField | undefined {
    if (index >= this.#count) return undefined;
    return this.#ring[(this.#start + this.#count - 1 - index) & this.#mask];
  }

  /**
   * Adds a field as the newest entry, evicting the oldest as needed
   * (RFC 7541 §4.4).
   *
   * @param field The field to index; stored as given.
   */
  add(field: HeaderField): void {
    const entrySize = field.name.length + field.value.length + 32;
    if (entrySize > this.#maxSize) {
      // Not an error: the table is emptied and the field is not kept (§4.4).
      this.#evictTo(0);
      return;
    }
    this.#evictTo(this.#maxSize - entrySize);
    if (this.#count === this.#ring.length) this.#grow();
    this.#ring[(this.#start + this.#count) & this.#mask] = field;
    this.#count++;
    this.#size += entrySize;
    this.#inserted++;
  }

  /**
   * Sets the maximum size and evicts entries that no longer fit (RFC 7541
   * §4.3). Callers check the value against the negotiated limit first.
   *
   * @param maxSize New maximum size in octets.
   */
  setMaxSize(maxSize: number): void {
    this.#maxSize = maxSize;
    this.#evictTo(maxSize);
  }

  /**
   * Replaces the whole contents: `entries` oldest first, the newest getting
   * insertion number `inserted`. No eviction listener is called. The encoder
   * uses it to undo a block it could not finish.
   *
   * @param entries The entries, oldest first; they must fit in `maxSize`.
   * @param maxSize The maximum size.
   * @param inserted The insertion number of the newest entry.
   */
  restore(entries: readonly HeaderField[], maxSize: number, inserted: number): void {
    let capacity = 16;
    while (capacity < entries.length) capacity *= 2;
    this.#ring = new Array(capacity);
    this.#mask = capacity - 1;
    this.#start = 0;
    this.#count = entries.length;
    this.#size = 0;
    entries.forEach((field, i) => {
      this.#ring[i] = field;
      this.#size += field.name.length + field.value.length + 32;
    });
    this.#maxSize = maxSize;
    this.#inserted = inserted;
  }

  #evictTo(limit: number): void {
    while (this.#size > limit) {
      const slot = this.#start;
      const field = this.#ring[slot];
      this.#ring[slot] = undefined as unknown as HeaderField; // let it be collected
      this.#start = (slot + 1) & this.#mask;
      this.#count--;
      this.#size -= field.name.length + field.value.length + 32;
      this.#onEvict?.(field, this.#inserted - this.#count);
    }
  }

  #grow(): void {
    const old = this.#ring;
    const next: HeaderField[] = new Array(old.length * 2);
    for (let i = 0; i < this.#count; i++) next[i] = old[(this.#start + i) & this.#mask];
    this.#ring = next;
    this.#mask = next.length - 1;
    this.#start = 0;
  }
}
