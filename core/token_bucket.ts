/**
 * A token bucket driven by caller-supplied time, the rate limiter behind the
 * connection's flood defenses (Rapid Reset, MadeYouReset, control-frame floods).
 *
 * @module
 */

/**
 * A token bucket: `burst` tokens to start with, refilled at `perSecond`
 * tokens per second, never above `burst` (nghttp2's stream-reset limiter is
 * burst 1000 at 33/s).
 *
 * The core has no clock, so time arrives as `now` (milliseconds, any
 * monotonic origin). Without time the bucket does not refill by itself and is
 * a plain budget; callers may also refill it explicitly with {@link earn} when
 * the peer does useful work.
 */
export class TokenBucket {
  /** Maximum tokens. */
  readonly burst: number;
  /** Tokens added per second of `now` time. */
  readonly perSecond: number;
  #tokens: number;
  #last: number | undefined;

  /**
   * Creates a full bucket.
   *
   * @param burst Maximum and initial tokens.
   * @param perSecond Refill rate.
   */
  constructor(burst: number, perSecond: number) {
    this.burst = burst;
    this.perSecond = perSecond;
    this.#tokens = burst;
  }

  /** Tokens currently available (after the last refill). */
  get tokens(): number {
    return this.#tokens;
  }

  /**
   * Takes one token.
   *
   * @param now Current time in milliseconds, or `undefined` when the caller supplies no clock.
   * @returns `false` when the bucket is empty: the limit is exceeded.
   */
  take(now?: number): boolean {
    if (now !== undefined) this.#refill(now);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    return false;
  }

  /** Adds `n` tokens (capped at `burst`), e.g. for useful work done by the peer. */
  earn(n: number): void {
    const t = this.#tokens + n;
    this.#tokens = t > this.burst ? this.burst : t;
  }

  #refill(now: number): void {
    const last = this.#last;
    this.#last = now;
    if (last === undefined || now <= last) return;
    this.earn(((now - last) * this.perSecond) / 1000);
  }
}
