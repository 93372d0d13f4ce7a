/**
 * The RFC 9218 priority parameters: urgency and incremental.
 *
 * @module
 */

/**
 * A response's extensible priority (RFC 9218 §4): `urgency` 0 (most urgent) to
 * 7 (background), and whether the client can use the response incrementally.
 * Used by {@link UrgencyScheduler} and carried by the `priority` header field
 * and PRIORITY_UPDATE frames.
 */
export interface PriorityParams {
  /** 0..7, smaller is more urgent; default 3 (RFC 9218 §4.1). */
  readonly urgency: number;
  /** True when partial responses are useful, so bandwidth is shared; default false (RFC 9218 §4.2). */
  readonly incremental: boolean;
}

/** The urgency a request without a `u` parameter gets (RFC 9218 §4.1). */
export const DEFAULT_URGENCY = 3;

/** The most urgent level (RFC 9218 §4.1). */
export const MIN_URGENCY = 0;

/** The least urgent level, reserved for background work (RFC 9218 §4.1). */
export const MAX_URGENCY = 7;

/** The priority of a request that carries no priority signal (RFC 9218 §4: `u=3`, not incremental). */
export const DEFAULT_PRIORITY: PriorityParams = Object.freeze({
  urgency: DEFAULT_URGENCY,
  incremental: false,
});

/**
 * Whether `u` is a valid urgency: an integer in 0..7 (RFC 9218 §4.1).
 *
 * @param u The candidate urgency.
 * @returns True when the scheduler accepts it.
 */
export function isValidUrgency(u: number): boolean {
  return Number.isInteger(u) && u >= MIN_URGENCY && u <= MAX_URGENCY;
}
