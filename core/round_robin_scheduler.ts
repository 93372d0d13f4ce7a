/**
 * A minimal outbound DATA scheduler: plain round-robin over the streams that
 * have data and window, one frame per turn, ignoring priorities.
 *
 * The connection's default is `core/priority`'s `PriorityScheduler` (RFC 9218, or the RFC 7540 tree);
 * inject this one (`new H2Connection({ scheduler: new RoundRobinScheduler() })`)
 * where priorities do not matter and the last bit of throughput does.
 *
 * @module
 */

import type { DataScheduler } from "./config.ts";

/**
 * Round-robin {@link DataScheduler}: every ready stream gets one frame per turn.
 *
 * @example
 * ```ts
 * import { RoundRobinScheduler } from "./round_robin_scheduler.ts";
 *
 * const s = new RoundRobinScheduler();
 * s.setReady(1, true);
 * s.setReady(3, true);
 * if (s.next() !== 1) throw new Error("lowest id first");
 * s.charge(1, 100);
 * if (s.next() !== 3) throw new Error("then the one not yet charged");
 * ```
 */
export class RoundRobinScheduler implements DataScheduler {
  // Ready streams in service order; `#ready` mirrors membership, so entries of streams that
  // stopped being ready are skipped lazily instead of searched for.
  #queue: number[] = [];
  #head = 0;
  readonly #ready = new Set<number>();

  /** Nothing to track until the stream becomes ready. */
  add(_streamId: number): void {}

  /** Forgets the stream. */
  remove(streamId: number): void {
    this.#ready.delete(streamId);
  }

  /** Priorities are ignored by round-robin. */
  setPriority(_streamId: number): void {}

  /** Marks the stream ready or not. */
  setReady(streamId: number, ready: boolean): void {
    if (ready) {
      if (this.#ready.has(streamId)) return;
      this.#ready.add(streamId);
      this.#queue.push(streamId);
    } else {
      this.#ready.delete(streamId);
    }
  }

  /** The next ready stream in rotation. */
  next(): number | undefined {
    const q = this.#queue;
    while (this.#head < q.length) {
      const id = q[this.#head];
      if (this.#ready.has(id)) return id;
      this.#head++; // a stream that stopped being ready
    }
    q.length = 0;
    this.#head = 0;
    return undefined;
  }

  /** Moves the served stream to the back of the rotation. */
  charge(streamId: number, _bytes?: number): void {
    const q = this.#queue;
    if (this.#head < q.length && q[this.#head] === streamId) {
      this.#head++;
      if (this.#ready.has(streamId)) q.push(streamId);
    }
    if (this.#head > 64 && this.#head * 2 > q.length) {
      this.#queue = q.slice(this.#head);
      this.#head = 0;
    }
  }
}
