/**
 * The RFC 9218 extensible-priority scheduler: strict urgency order, fair
 * sharing among incremental responses, one-at-a-time among non-incremental.
 *
 * @module
 */

import { ProtocolError, UsageError } from "../errors.ts";
import { type HeapItem, IndexedHeap } from "./_heap.ts";
import {
  DEFAULT_PRIORITY,
  isValidUrgency,
  MAX_URGENCY,
  type PriorityParams,
} from "./priority_params.ts";
import type { SendScheduler } from "./send_scheduler.ts";

/** Options for {@link UrgencyScheduler}. */
export interface UrgencySchedulerOptions {
  /**
   * Our SETTINGS_MAX_CONCURRENT_STREAMS. Streams of one parity that are open plus
   * idle streams with a buffered PRIORITY_UPDATE may not exceed it (RFC 9218 §7.1);
   * default 100.
   */
  readonly maxConcurrentStreams?: number;
  /**
   * Hard cap on buffered PRIORITY_UPDATEs for idle streams, whatever
   * `maxConcurrentStreams` says; beyond it the oldest is dropped. Default 128.
   */
  readonly maxBufferedUpdates?: number;
}

// One member of a level's fair queue: an incremental stream, or the level's
// sentinel standing for all its non-incremental streams (id -1).
interface Entry extends HeapItem {
  readonly id: number;
  /** Virtual time: bytes charged, never less than the level clock when (re)joining. */
  key: number;
  /** Join order, breaking ties so equal keys are served round-robin. */
  seq: number;
}

class ScheduledStream implements Entry {
  readonly id: number;
  key = 0;
  seq = 0;
  heapIndex = -1;
  ready = false;
  urgency: number;
  incremental: boolean;
  /** What the client last signalled (header, then PRIORITY_UPDATEs). */
  client: PriorityParams;
  /** What the application imposed, if anything (RFC 9218 §8). */
  override: Partial<PriorityParams> | undefined = undefined;

  constructor(id: number, client: PriorityParams) {
    this.id = id;
    this.client = client;
    this.urgency = client.urgency;
    this.incremental = client.incremental;
  }
}

function byVirtualTime(a: Entry, b: Entry): boolean {
  return a.key < b.key || (a.key === b.key && a.seq < b.seq);
}

function byStreamId(a: ScheduledStream, b: ScheduledStream): boolean {
  return a.id < b.id;
}

class Level {
  /** Ready incremental streams plus the sentinel when `sequential` is non-empty. */
  readonly fair = new IndexedHeap<Entry>(byVirtualTime);
  /** Ready non-incremental streams, lowest stream id (earliest request) first. */
  readonly sequential = new IndexedHeap<ScheduledStream>(byStreamId);
  readonly sentinel: Entry = { id: -1, key: 0, seq: 0, heapIndex: -1 };
  /** Start tag of the entry served last: where newcomers join (start-time fair queueing). */
  clock = 0;
}

/**
 * The RFC 9218 scheduler (RFC 9218 §10). Urgency is strict: a ready stream of
 * urgency u is never passed over for one of urgency > u. Within one urgency:
 *
 * - incremental streams share bandwidth byte-fairly (start-time fair queueing
 *   on bytes charged, ties round-robin), so they interleave frame by frame;
 * - non-incremental streams are served one at a time, lowest stream id first,
 *   each to completion or until it blocks (RFC 9218 §10);
 * - the non-incremental group as a whole takes one fair share beside the
 *   incremental streams, so neither kind starves the other (the starvation
 *   RFC 9218 §10 recommends avoiding).
 *
 * Each decision is O(1) (a bitmap of non-empty urgencies and a heap peek);
 * `charge`, `setReady` and reprioritisation are O(log n).
 *
 * Priority signals: the `priority` header (to {@link add}), PRIORITY_UPDATE
 * frames ({@link priorityUpdate}, buffered when the stream is not open yet) and
 * the application's override ({@link setPriority}), which wins over the client.
 *
 * @example Urgency first, then stream order for non-incremental responses
 * ```ts
 * import { UrgencyScheduler } from "./urgency_scheduler.ts";
 * const s = new UrgencyScheduler();
 * s.add(1, { urgency: 3, incremental: false });
 * s.add(3, { urgency: 1, incremental: false });
 * s.setReady(1, true);
 * s.setReady(3, true);
 * if (s.next() !== 3) throw new Error("urgency 1 goes first");
 * s.setReady(3, false);
 * if (s.next() !== 1) throw new Error("then urgency 3");
 * ```
 */
export class UrgencyScheduler implements SendScheduler<PriorityParams> {
  readonly #streams = new Map<number, ScheduledStream>();
  readonly #levels: Level[] = [];
  /** Bit u is set when urgency u has a ready stream. */
  #nonEmpty = 0;
  #seq = 0;
  /** Latest PRIORITY_UPDATE per idle stream, oldest first (RFC 9218 §7). */
  readonly #buffered = new Map<number, PriorityParams>();
  /** Highest stream id ever added, per parity (even, odd): anything lower and unknown is closed. */
  readonly #highest = [0, 0];
  /** Registered streams per parity, for the RFC 9218 §7.1 limit. */
  readonly #count = [0, 0];
  readonly #maxConcurrent: number;
  readonly #maxBuffered: number;

  /**
   * Creates an empty scheduler.
   *
   * @param options Limits on buffered PRIORITY_UPDATE frames.
   */
  constructor(options: UrgencySchedulerOptions = {}) {
    this.#maxConcurrent = options.maxConcurrentStreams ?? 100;
    this.#maxBuffered = options.maxBufferedUpdates ?? 128;
    for (let u = 0; u <= MAX_URGENCY; u++) this.#levels.push(new Level());
  }

  /** Number of registered streams. */
  get size(): number {
    return this.#streams.size;
  }

  /** Number of PRIORITY_UPDATEs held for streams that are not open yet. */
  get bufferedUpdates(): number {
    return this.#buffered.size;
  }

  /**
   * Whether `streamId` is registered.
   *
   * @param streamId The stream.
   * @returns True when registered.
   */
  has(streamId: number): boolean {
    return this.#streams.has(streamId);
  }

  /**
   * Registers an opened stream, not ready. A PRIORITY_UPDATE received while the
   * stream was idle is the most recent signal and beats the header (RFC 9218 §7).
   *
   * @param streamId The stream.
   * @param priority From the request's `priority` field (see `priorityFromField`); defaults otherwise.
   * @throws {UsageError} When already registered or the urgency is invalid.
   */
  add(streamId: number, priority: PriorityParams = DEFAULT_PRIORITY): void {
    if (this.#streams.has(streamId)) {
      throw new UsageError(`Cannot add stream "${streamId}": already scheduled`);
    }
    checkParams(priority);
    const parity = streamId & 1;
    const buffered = this.#buffered.get(streamId);
    if (this.#buffered.size > 0) {
      if (buffered !== undefined) this.#buffered.delete(streamId);
      // Opening a stream implicitly closes every idle stream of the same
      // parity below it (RFC 9113 §5.1.1): their updates can never apply.
      for (const id of this.#buffered.keys()) {
        if ((id & 1) === parity && id < streamId) this.#buffered.delete(id);
      }
    }
    if (streamId > this.#highest[parity]) this.#highest[parity] = streamId;
    this.#count[parity]++;
    this.#streams.set(streamId, new ScheduledStream(streamId, buffered ?? priority));
  }

  /**
   * Forgets a stream. Unknown ids are ignored.
   *
   * @param streamId The stream.
   */
  remove(streamId: number): void {
    const s = this.#streams.get(streamId);
    if (s === undefined) return;
    if (s.ready) this.#detach(s);
    this.#streams.delete(streamId);
    this.#count[streamId & 1]--;
  }

  /**
   * Marks a stream ready (data and window) or not.
   *
   * @param streamId A registered stream.
   * @param ready Whether it can send now.
   * @throws {UsageError} When the stream is not registered.
   */
  setReady(streamId: number, ready: boolean): void {
    const s = this.#get(streamId);
    if (s.ready === ready) return;
    s.ready = ready;
    if (ready) this.#attach(s);
    else this.#detach(s);
  }

  /**
   * Whether a stream is registered and ready.
   *
   * @param streamId The stream.
   * @returns True when it would be considered by {@link next}.
   */
  isReady(streamId: number): boolean {
    return this.#streams.get(streamId)?.ready ?? false;
  }

  /**
   * The stream to serve next: from the most urgent non-empty level, the fair
   * queue's head, where the non-incremental group's turn means its lowest stream id.
   *
   * @returns The stream id, or `undefined` when nothing is ready.
   */
  next(): number | undefined {
    const bits = this.#nonEmpty;
    if (bits === 0) return undefined;
    const level = this.#levels[31 - Math.clz32(bits & -bits)];
    const head = level.fair.peek()!;
    return head.id >= 0 ? head.id : level.sequential.peek()!.id;
  }

  /**
   * Accounts bytes sent on a stream. Non-incremental streams charge their
   * level's group, so the group as a whole gets one fair share.
   *
   * @param streamId A registered stream.
   * @param bytes Bytes written.
   * @throws {UsageError} When the stream is not registered or `bytes` is negative.
   */
  charge(streamId: number, bytes: number): void {
    const s = this.#get(streamId);
    if (!(bytes >= 0)) throw new UsageError(`Cannot charge "${bytes}" bytes: must be >= 0`);
    const level = this.#levels[s.urgency];
    const entry: Entry = s.incremental ? s : level.sentinel;
    if (entry.key > level.clock) level.clock = entry.key;
    entry.key += bytes;
    if (entry.heapIndex >= 0) level.fair.update(entry);
  }

  /**
   * Applies a client's PRIORITY_UPDATE (RFC 9218 §7.1). For an open stream the
   * client's view is replaced (an application override still wins). For an idle
   * stream (id above every stream opened so far) the latest update is buffered
   * and applied when the stream opens. For a closed stream it is discarded.
   *
   * @param streamId The Prioritized Stream ID.
   * @param priority The parsed Priority Field Value (see `parsePriorityField`).
   * @throws {ProtocolError} When the id is 0, or buffering would exceed
   * `maxConcurrentStreams` (RFC 9218 §7.1).
   */
  priorityUpdate(streamId: number, priority: PriorityParams): void {
    if (streamId === 0) throw new ProtocolError("PRIORITY_UPDATE has Prioritized Stream ID 0");
    checkParams(priority);
    const s = this.#streams.get(streamId);
    if (s !== undefined) {
      s.client = priority;
      this.#refresh(s);
      return;
    }
    const parity = streamId & 1;
    if (streamId <= this.#highest[parity]) return; // closed: nothing more will be sent
    if (this.#buffered.delete(streamId)) {
      // Re-inserted below, so the Map's order stays oldest-update-first.
    } else {
      let idle = 0;
      for (const id of this.#buffered.keys()) if ((id & 1) === parity) idle++;
      if (idle + this.#count[parity] >= this.#maxConcurrent) {
        throw new ProtocolError(
          `PRIORITY_UPDATE for idle stream "${streamId}" exceeds SETTINGS_MAX_CONCURRENT_STREAMS`,
        );
      }
      if (this.#buffered.size >= this.#maxBuffered) {
        this.#buffered.delete(this.#buffered.keys().next().value!);
      }
    }
    this.#buffered.set(streamId, priority);
  }

  /**
   * Server-side override by the application (RFC 9218 §8): the given parameters
   * replace the client's and keep winning over later PRIORITY_UPDATEs; parameters
   * left out keep following the client.
   *
   * A stream that is not registered (it may just have closed) is ignored.
   *
   * @param streamId The stream.
   * @param priority The parameters to impose.
   * @throws {UsageError} When the urgency is invalid.
   */
  setPriority(streamId: number, priority: Partial<PriorityParams>): void {
    if (priority.urgency !== undefined && !isValidUrgency(priority.urgency)) {
      throw new UsageError(`Cannot set urgency "${priority.urgency}": must be an integer 0..7`);
    }
    const s = this.#streams.get(streamId);
    if (s === undefined) return;
    s.override = {
      urgency: priority.urgency ?? s.override?.urgency,
      incremental: priority.incremental ?? s.override?.incremental,
    };
    this.#refresh(s);
  }

  /**
   * Drops the application's override, so the client's latest signal applies again.
   * Unknown streams are ignored.
   *
   * @param streamId The stream.
   */
  clearPriority(streamId: number): void {
    const s = this.#streams.get(streamId);
    if (s === undefined) return;
    s.override = undefined;
    this.#refresh(s);
  }

  /**
   * The effective priority of a stream.
   *
   * @param streamId The stream.
   * @returns Its parameters, or `undefined` when not registered.
   */
  priorityOf(streamId: number): PriorityParams | undefined {
    const s = this.#streams.get(streamId);
    return s === undefined ? undefined : { urgency: s.urgency, incremental: s.incremental };
  }

  /**
   * Visits every registered stream (for migrating to another scheme).
   *
   * @param fn Called with each stream id and whether it is ready.
   */
  forEachStream(fn: (streamId: number, ready: boolean) => void): void {
    for (const s of this.#streams.values()) fn(s.id, s.ready);
  }

  #get(streamId: number): ScheduledStream {
    const s = this.#streams.get(streamId);
    if (s === undefined) throw new UsageError(`Stream "${streamId}" is not scheduled`);
    return s;
  }

  #refresh(s: ScheduledStream): void {
    const urgency = s.override?.urgency ?? s.client.urgency;
    const incremental = s.override?.incremental ?? s.client.incremental;
    if (urgency === s.urgency && incremental === s.incremental) return;
    if (s.ready) this.#detach(s);
    s.urgency = urgency;
    s.incremental = incremental;
    if (s.ready) this.#attach(s);
  }

  #attach(s: ScheduledStream): void {
    const level = this.#levels[s.urgency];
    if (s.incremental) {
      // Joining at the level clock: time spent blocked earns no credit.
      if (s.key < level.clock) s.key = level.clock;
      s.seq = ++this.#seq;
      level.fair.push(s);
    } else {
      level.sequential.push(s);
      const sentinel = level.sentinel;
      if (sentinel.heapIndex < 0) {
        if (sentinel.key < level.clock) sentinel.key = level.clock;
        sentinel.seq = ++this.#seq;
        level.fair.push(sentinel);
      }
    }
    this.#nonEmpty |= 1 << s.urgency;
  }

  #detach(s: ScheduledStream): void {
    const level = this.#levels[s.urgency];
    if (s.incremental) {
      level.fair.delete(s);
    } else {
      level.sequential.delete(s);
      if (level.sequential.size === 0) level.fair.delete(level.sentinel);
    }
    if (level.fair.size === 0) this.#nonEmpty &= ~(1 << s.urgency);
  }
}

function checkParams(p: PriorityParams): void {
  if (!isValidUrgency(p.urgency)) {
    throw new UsageError(`Cannot use urgency "${p.urgency}": must be an integer 0..7`);
  }
}
