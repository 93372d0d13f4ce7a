/**
 * A simulated output path for scheduler tests: repeatedly asks the scheduler
 * who sends next, "writes" one DATA frame for it, charges the bytes and drops
 * the stream from the ready set when its body is done, exactly as the
 * connection does.
 *
 * @module
 */

import type { SendScheduler } from "../../../core/priority/send_scheduler.ts";

/** What happened during a simulated transfer. */
export interface TransferLog {
  /** Stream served by each decision, in order. */
  readonly served: number[];
  /** Bytes sent per stream. */
  readonly bytes: Map<number, number>;
  /** Streams in the order their bodies finished. */
  readonly finished: number[];
}

/**
 * Runs up to `decisions` scheduling decisions.
 *
 * @param scheduler Streams already added and marked ready.
 * @param remaining Bytes left per stream (`Infinity` for an endless body); mutated.
 * @param frameSize Bytes per DATA frame, or a function choosing it per decision.
 * @param decisions Upper bound on decisions.
 * @returns The log.
 */
export function simulateTransfer(
  scheduler: SendScheduler,
  remaining: Map<number, number>,
  frameSize: number | ((id: number) => number),
  decisions: number,
): TransferLog {
  const served: number[] = [];
  const bytes = new Map<number, number>();
  const finished: number[] = [];
  for (let i = 0; i < decisions; i++) {
    const id = scheduler.next();
    if (id === undefined) break;
    const left = remaining.get(id) ?? 0;
    const size = typeof frameSize === "number" ? frameSize : frameSize(id);
    const n = Math.min(size, left);
    served.push(id);
    bytes.set(id, (bytes.get(id) ?? 0) + n);
    scheduler.charge(id, n);
    remaining.set(id, left - n);
    if (left - n === 0) {
      scheduler.setReady(id, false);
      finished.push(id);
    }
  }
  return { served, bytes, finished };
}
