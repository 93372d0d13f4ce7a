/**
 * An indexed binary min-heap: the one priority queue both schedulers use.
 *
 * Every element records its own position (`heapIndex`), so removing or
 * re-keying an arbitrary element is O(log n) instead of a linear search. That
 * is what lets a stream be blocked, unblocked or charged in logarithmic time.
 *
 * @module
 */

/** What an element must carry to live in an {@link IndexedHeap}. */
export interface HeapItem {
  /** Position in the heap array, or -1 when the element is in no heap. */
  heapIndex: number;
}

/**
 * A min-heap ordered by `less`, whose elements know their own index.
 *
 * An element can be in at most one heap at a time (it has one `heapIndex`).
 */
export class IndexedHeap<T extends HeapItem> {
  readonly #items: T[] = [];
  readonly #less: (a: T, b: T) => boolean;

  /** @param less Strict ordering: true when `a` must come out before `b`. */
  constructor(less: (a: T, b: T) => boolean) {
    this.#less = less;
  }

  /** Number of elements. */
  get size(): number {
    return this.#items.length;
  }

  /** The smallest element, or undefined when empty. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Inserts an element that is in no heap. */
  push(item: T): void {
    const items = this.#items;
    item.heapIndex = items.length;
    items.push(item);
    this.#up(item.heapIndex);
  }

  /** Removes an element that is in this heap. */
  delete(item: T): void {
    const items = this.#items;
    const at = item.heapIndex;
    const last = items.pop()!;
    item.heapIndex = -1;
    if (last === item) return;
    items[at] = last;
    last.heapIndex = at;
    // The moved element may belong above or below its new position.
    if (at > 0 && this.#less(last, items[(at - 1) >> 1])) this.#up(at);
    else this.#down(at);
  }

  /** Restores the order after the key of `item` (in this heap) changed. */
  update(item: T): void {
    const at = item.heapIndex;
    if (at > 0 && this.#less(item, this.#items[(at - 1) >> 1])) this.#up(at);
    else this.#down(at);
  }

  /** Iterates the elements in no particular order. */
  values(): IterableIterator<T> {
    return this.#items.values();
  }

  #up(at: number): void {
    const items = this.#items;
    const item = items[at];
    while (at > 0) {
      const parentAt = (at - 1) >> 1;
      const parent = items[parentAt];
      if (!this.#less(item, parent)) break;
      items[at] = parent;
      parent.heapIndex = at;
      at = parentAt;
    }
    items[at] = item;
    item.heapIndex = at;
  }

  #down(at: number): void {
    const items = this.#items;
    const n = items.length;
    const item = items[at];
    for (;;) {
      const left = 2 * at + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.#less(items[right], items[left]) ? right : left;
      if (!this.#less(items[child], item)) break;
      items[at] = items[child];
      items[at].heapIndex = at;
      at = child;
    }
    items[at] = item;
    item.heapIndex = at;
  }
}
