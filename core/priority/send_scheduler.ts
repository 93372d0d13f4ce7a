/**
 * The contract between the connection's output path and a priority scheme.
 *
 * @module
 */

import type { PriorityParams } from "./priority_params.ts";

/**
 * Decides which stream's DATA the connection writes next (RFC 9113 §5.3,
 * RFC 9218 §10). A pure data structure: it never sees bytes, only stream ids,
 * readiness and the number of bytes sent.
 *
 * The connection drives it like this whenever it has connection window to fill:
 *
 * ```text
 * while (connection window > 0 && (id = scheduler.next()) !== undefined) {
 *   write one DATA frame for id (at most the stream window, connection window, frame size)
 *   scheduler.charge(id, bytes written)         // flow-controlled bytes, for fair shares
 *   if (id has no more queued data || its stream window is 0) scheduler.setReady(id, false)
 * }
 * ```
 *
 * and calls `setReady(id, true)` when the application queues data on a stream
 * that has window, or a WINDOW_UPDATE reopens a stream that has data. Streams
 * that are not ready are not in any queue, so `next()` never loops over them:
 * a blocked stream costs nothing until it is unblocked (the `block`/`unblock`
 * of python-hyper's `priority`). The connection window is shared because every
 * byte, whichever stream sent it, is charged to the scheduler.
 *
 * @typeParam P What `add` accepts as the stream's initial priority.
 */
export interface SendScheduler<P = unknown> {
  /** Number of streams currently registered. */
  readonly size: number;
  /**
   * Whether `streamId` is registered.
   *
   * @param streamId The stream.
   */
  has(streamId: number): boolean;
  /**
   * Registers a stream that has just opened, not ready.
   *
   * @param streamId The stream; must not be registered.
   * @param priority Its initial priority, when it signalled one.
   * @throws {UsageError} When the stream is already registered.
   */
  add(streamId: number, priority?: P): void;
  /**
   * Forgets a stream that has closed (or will send nothing more). Unknown ids are ignored.
   *
   * @param streamId The stream.
   */
  remove(streamId: number): void;
  /**
   * The application's (server-side) view of a stream's priority, which wins over
   * the peer's signals (RFC 9218 §8). Parameters left out keep their current
   * source. A stream that is not registered (it may just have closed) is ignored.
   *
   * @param streamId The stream.
   * @param priority Urgency 0..7 and/or incremental.
   * @throws {UsageError} When the urgency is not an integer 0..7.
   */
  setPriority(streamId: number, priority: Partial<PriorityParams>): void;
  /**
   * Marks a stream as having data to send and window to send it (`true`), or not.
   *
   * @param streamId A registered stream.
   * @param ready Whether the stream can send now.
   * @throws {UsageError} When the stream is not registered.
   */
  setReady(streamId: number, ready: boolean): void;
  /**
   * Whether a registered stream is currently ready.
   *
   * @param streamId The stream.
   */
  isReady(streamId: number): boolean;
  /**
   * The stream to serve next, or `undefined` when no stream is ready. Does not
   * change state: calling it twice without a `charge` in between gives the same answer.
   */
  next(): number | undefined;
  /**
   * Accounts `bytes` just sent on `streamId`, which moves it back in its fair-share queue.
   *
   * @param streamId A registered stream.
   * @param bytes Flow-controlled bytes written (>= 0).
   * @throws {UsageError} When the stream is not registered.
   */
  charge(streamId: number, bytes: number): void;
}
