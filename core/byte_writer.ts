/**
 * A growable output buffer for building wire bytes with few allocations.
 *
 * The frame serializer, the HPACK encoder and the connection's outbound queue
 * all append into a `ByteWriter`, so a burst of frames becomes one contiguous
 * `Uint8Array` (one socket write) instead of many small arrays.
 *
 * @module
 */

const MIN_CAPACITY = 256;

/**
 * An append-only byte buffer that doubles its capacity when full.
 *
 * `take()` hands out the written bytes and starts over, reusing nothing that
 * was handed out, so callers may keep the returned array.
 */
export class ByteWriter {
  #buf: Uint8Array;
  #len = 0;

  /** @param capacity Initial capacity in bytes. */
  constructor(capacity = 4096) {
    this.#buf = new Uint8Array(Math.max(capacity, MIN_CAPACITY));
  }

  /** Number of bytes written and not yet taken. */
  get length(): number {
    return this.#len;
  }

  /** Ensures room for `n` more bytes and returns the offset where they go. */
  reserve(n: number): number {
    const need = this.#len + n;
    if (need > this.#buf.length) {
      let cap = this.#buf.length * 2;
      while (cap < need) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.#buf.subarray(0, this.#len));
      this.#buf = next;
    }
    const at = this.#len;
    this.#len = need;
    return at;
  }

  /** The underlying array; valid until the next write that grows it. */
  get buffer(): Uint8Array {
    return this.#buf;
  }

  /** Appends one byte. */
  u8(v: number): void {
    const at = this.reserve(1);
    this.#buf[at] = v;
  }

  /** Appends a 16-bit big-endian integer. */
  u16(v: number): void {
    const at = this.reserve(2);
    const b = this.#buf;
    b[at] = v >>> 8;
    b[at + 1] = v;
  }

  /** Appends a 24-bit big-endian integer. */
  u24(v: number): void {
    const at = this.reserve(3);
    const b = this.#buf;
    b[at] = v >>> 16;
    b[at + 1] = v >>> 8;
    b[at + 2] = v;
  }

  /** Appends a 32-bit big-endian integer. */
  u32(v: number): void {
    const at = this.reserve(4);
    const b = this.#buf;
    b[at] = v >>> 24;
    b[at + 1] = v >>> 16;
    b[at + 2] = v >>> 8;
    b[at + 3] = v;
  }

  /** Appends raw bytes. */
  bytes(src: Uint8Array): void {
    const at = this.reserve(src.length);
    this.#buf.set(src, at);
  }

  /** Overwrites a 24-bit big-endian integer at `at` (e.g. a frame length known only afterwards). */
  patchU24(at: number, v: number): void {
    const b = this.#buf;
    b[at] = v >>> 16;
    b[at + 1] = v >>> 8;
    b[at + 2] = v;
  }

  /**
   * Returns the bytes written so far and resets the writer.
   *
   * The returned array is a view of the old buffer, which the writer abandons,
   * so it stays valid. Returns an empty array when nothing was written.
   */
  take(): Uint8Array {
    if (this.#len === 0) return new Uint8Array(0);
    const out = this.#buf.subarray(0, this.#len);
    this.#buf = new Uint8Array(Math.max(MIN_CAPACITY, Math.min(this.#buf.length, 1 << 16)));
    this.#len = 0;
    return out;
  }

  /** Returns a copy of the bytes written so far without resetting. */
  toBytes(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }

  /**
   * Discards everything written, keeping the buffer for reuse.
   *
   * @param maxCapacity When the buffer is larger than this, it is replaced by one of this size,
   *   so a writer that once held a large burst does not keep that memory forever.
   */
  clear(maxCapacity = Infinity): void {
    this.#len = 0;
    if (this.#buf.length > maxCapacity) {
      this.#buf = new Uint8Array(Math.max(MIN_CAPACITY, maxCapacity));
    }
  }
}
