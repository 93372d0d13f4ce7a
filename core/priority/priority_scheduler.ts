/**
 * The connection's scheduler: picks RFC 9218 or the RFC 7540 tree according
 * to SETTINGS_NO_RFC7540_PRIORITIES and routes every priority signal.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import type { PrioritySpec } from "../frame/priority_spec.ts";
import { DependencyTree, type DependencyTreeOptions } from "./dependency_tree.ts";
import { parsePriorityField, priorityFromField } from "./priority_field.ts";
import type { PriorityParams } from "./priority_params.ts";
import type { SendScheduler } from "./send_scheduler.ts";
import { UrgencyScheduler, type UrgencySchedulerOptions } from "./urgency_scheduler.ts";

/** Which prioritization scheme drives the scheduler. */
export type PriorityScheme = "rfc9218" | "rfc7540";

/** The priority signals a stream opens with: whatever its HEADERS carried. */
export interface StreamPriorityInit {
  /** The `priority` header field value, several field lines joined with ", " (RFC 9218 §5). */
  readonly field?: string;
  /** The RFC 7540 priority block, when HEADERS had the PRIORITY flag (RFC 9113 §6.2). */
  readonly spec?: PrioritySpec;
}

/** Options for {@link PriorityScheduler}. */
export interface PrioritySchedulerOptions extends UrgencySchedulerOptions, DependencyTreeOptions {
  /**
   * Whether our first SETTINGS frame sends SETTINGS_NO_RFC7540_PRIORITIES = 1
   * (RFC 9218 §2.1), which commits us to ignore RFC 7540 signals. Default true.
   */
  readonly noRfc7540Priorities?: boolean;
}

/**
 * The send scheduler a connection owns (RFC 9218 §2.1). The scheme is RFC 9218
 * when either side sends SETTINGS_NO_RFC7540_PRIORITIES = 1 (a server receiving
 * 1 MUST ignore RFC 7540 signals; sending 1 announces that we do), otherwise the
 * RFC 7540 dependency tree. Signals of the scheme not in use are ignored, except
 * that a stream depending on itself is always a stream error (RFC 9113 §5.3.1).
 *
 * If the peer's first SETTINGS switches the scheme after streams exist (only
 * when we did not send 1 ourselves), those streams move to the new scheme with
 * default priority and keep their readiness.
 *
 * @example Route signals and pick the next stream
 * ```ts
 * import { PriorityScheduler } from "./priority_scheduler.ts";
 * const s = new PriorityScheduler();
 * s.applyPeerSettings(1);
 * s.add(1, { field: "u=5" });
 * s.add(3, { field: "u=2" });
 * s.setReady(1, true);
 * s.setReady(3, true);
 * if (s.next() !== 3) throw new Error("urgency 2 goes before urgency 5");
 * s.priorityUpdate(1, "u=0");
 * if (s.next() !== 1) throw new Error("PRIORITY_UPDATE u=0 moves stream 1 first");
 * ```
 */
export class PriorityScheduler implements SendScheduler<StreamPriorityInit | PriorityParams> {
  readonly #options: PrioritySchedulerOptions;
  readonly #local: boolean;
  #peer: number | undefined = undefined;
  #urgency: UrgencyScheduler | undefined;
  #tree: DependencyTree | undefined;
  #active: SendScheduler;

  /**
   * Creates the scheduler for one connection, before any SETTINGS are exchanged.
   *
   * @param options Our own SETTINGS_NO_RFC7540_PRIORITIES and the schedulers' limits.
   */
  constructor(options: PrioritySchedulerOptions = {}) {
    this.#options = options;
    this.#local = options.noRfc7540Priorities ?? true;
    if (this.#local) {
      this.#urgency = new UrgencyScheduler(options);
      this.#active = this.#urgency;
    } else {
      this.#tree = new DependencyTree(options);
      this.#active = this.#tree;
    }
  }

  /**
   * The SETTINGS_NO_RFC7540_PRIORITIES value to put in our first SETTINGS frame
   * (RFC 9218 §2.1): 1 when we ignore RFC 7540 signals, else 0.
   */
  get localSetting(): 0 | 1 {
    return this.#local ? 1 : 0;
  }

  /** The scheme in use. */
  get scheme(): PriorityScheme {
    return this.#urgency !== undefined ? "rfc9218" : "rfc7540";
  }

  /** The RFC 9218 scheduler, when that scheme is in use (for inspection). */
  get urgencyScheduler(): UrgencyScheduler | undefined {
    return this.#urgency;
  }

  /** The RFC 7540 tree, when that scheme is in use (for inspection). */
  get dependencyTree(): DependencyTree | undefined {
    return this.#tree;
  }

  /**
   * Feeds the peer's SETTINGS_NO_RFC7540_PRIORITIES; call once per non-ACK
   * SETTINGS frame from the peer, with the value it carried or `undefined` when
   * absent. The first frame fixes the value (absent means 0); a later frame that
   * changes it is rejected, which RFC 9218 §2.1 allows.
   *
   * @param value The parameter's value in this SETTINGS frame, if present.
   * @throws {ProtocolError} When the value is not 0 or 1, or changes after the first SETTINGS.
   */
  applyPeerSettings(value: number | undefined): void {
    if (value !== undefined && value !== 0 && value !== 1) {
      throw new ProtocolError(
        `SETTINGS_NO_RFC7540_PRIORITIES has value "${value}": must be 0 or 1`,
      );
    }
    if (this.#peer !== undefined) {
      if (value !== undefined && value !== this.#peer) {
        throw new ProtocolError("SETTINGS_NO_RFC7540_PRIORITIES changed after the first SETTINGS");
      }
      return;
    }
    this.#peer = value ?? 0;
    if (this.#peer === 1 && this.#tree !== undefined) this.#switchToUrgency();
  }

  /** Number of registered streams. */
  get size(): number {
    return this.#active.size;
  }

  /**
   * Whether `streamId` is registered.
   *
   * @param streamId The stream.
   * @returns True when registered.
   */
  has(streamId: number): boolean {
    return this.#active.has(streamId);
  }

  /**
   * Registers a stream that opened, with the signals its HEADERS carried, or
   * with RFC 9218 parameters the caller already parsed.
   *
   * @param streamId The stream.
   * @param init Its `priority` field and RFC 7540 priority block, or its parameters.
   * @throws {ProtocolError} Stream error when the priority block names the stream itself.
   * @throws {UsageError} When already registered.
   */
  add(streamId: number, init: StreamPriorityInit | PriorityParams = {}): void {
    if ("urgency" in init) {
      if (this.#urgency !== undefined) this.#urgency.add(streamId, init);
      else this.#tree!.add(streamId);
      return;
    }
    const spec = init.spec;
    if (spec !== undefined) checkSelfDependency(streamId, spec);
    if (this.#urgency !== undefined) {
      this.#urgency.add(streamId, priorityFromField(init.field));
    } else {
      this.#tree!.add(streamId, spec);
    }
  }

  /**
   * Forgets a closed stream. Unknown ids are ignored.
   *
   * @param streamId The stream.
   */
  remove(streamId: number): void {
    this.#active.remove(streamId);
  }

  /**
   * Marks a stream ready (data and window) or not.
   *
   * @param streamId A registered stream.
   * @param ready Whether it can send now.
   * @throws {UsageError} When the stream is not registered.
   */
  setReady(streamId: number, ready: boolean): void {
    this.#active.setReady(streamId, ready);
  }

  /**
   * Whether a stream is registered and ready.
   *
   * @param streamId The stream.
   * @returns True when {@link next} may pick it.
   */
  isReady(streamId: number): boolean {
    return this.#active.isReady(streamId);
  }

  /**
   * The stream to serve next.
   *
   * @returns The stream id, or `undefined` when no stream is ready.
   */
  next(): number | undefined {
    return this.#active.next();
  }

  /**
   * Accounts bytes sent on a stream.
   *
   * @param streamId A registered stream.
   * @param bytes Flow-controlled bytes written.
   * @throws {UsageError} When the stream is not registered.
   */
  charge(streamId: number, bytes: number): void {
    this.#active.charge(streamId, bytes);
  }

  /**
   * Applies a received PRIORITY_UPDATE frame (RFC 9218 §7.1); ignored under
   * RFC 7540. A Priority Field Value that does not parse is ignored (RFC 9218 §7
   * leaves treating it as a connection error optional); parameters it leaves out
   * take their defaults, since the frame carries the complete set.
   *
   * @param prioritizedStreamId The stream the frame is about.
   * @param fieldValue The Priority Field Value.
   * @throws {ProtocolError} When the id is 0 or too many idle streams are prioritized.
   */
  priorityUpdate(prioritizedStreamId: number, fieldValue: string): void {
    if (prioritizedStreamId === 0) {
      throw new ProtocolError("PRIORITY_UPDATE has Prioritized Stream ID 0");
    }
    if (this.#urgency === undefined) return;
    const params = parsePriorityField(fieldValue);
    if (params !== undefined) this.#urgency.priorityUpdate(prioritizedStreamId, params);
  }

  /**
   * Applies a received PRIORITY frame (RFC 9113 §6.3); ignored under RFC 9218.
   *
   * @param streamId The frame's stream.
   * @param spec Its dependency, weight and exclusive flag.
   * @throws {ProtocolError} Stream error when the stream depends on itself (RFC 9113 §5.3.1).
   */
  priorityFrame(streamId: number, spec: PrioritySpec): void {
    checkSelfDependency(streamId, spec);
    this.#tree?.reprioritize(streamId, spec);
  }

  /**
   * The application's own view of a response's priority (server-side override,
   * RFC 9218 §8); it wins over the client's signals. Under RFC 7540 the stream
   * moves under the root with weight `16 × 2^(3 − urgency)` (`urgencyWeight`); `incremental` has no
   * meaning there. Streams that are not registered are ignored.
   *
   * @param streamId The stream.
   * @param priority The parameters to impose; missing ones keep following the client.
   * @throws {UsageError} When the urgency is not an integer 0..7.
   */
  setPriority(streamId: number, priority: Partial<PriorityParams>): void {
    this.#active.setPriority(streamId, priority);
  }

  #switchToUrgency(): void {
    const tree = this.#tree!;
    const urgency = new UrgencyScheduler(this.#options);
    tree.forEachStream((id, ready) => {
      urgency.add(id);
      if (ready) urgency.setReady(id, true);
    });
    this.#tree = undefined;
    this.#urgency = urgency;
    this.#active = urgency;
  }
}

function checkSelfDependency(streamId: number, spec: PrioritySpec): void {
  if (spec.dependency === streamId) {
    throw new ProtocolError(`Stream "${streamId}" depends on itself`, {
      scope: "stream",
      streamId,
    });
  }
}
