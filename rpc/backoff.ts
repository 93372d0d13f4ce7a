/**
 * gRPC connection backoff (grpc doc/connection-backoff.md): how long a channel
 * waits between connection attempts, and how long each attempt may take.
 *
 * @module
 */

import type { ReconnectPolicy } from "../net/client.ts";

/** The parameters of gRPC connection backoff; every field has gRPC's default. */
export interface BackoffOptions {
  /** Delay after the first failure. Default 1,000 ms (INITIAL_BACKOFF). */
  readonly initialBackoffMs?: number;
  /** Growth of the delay per failed attempt. Default 1.6 (MULTIPLIER). */
  readonly multiplier?: number;
  /** Randomisation of each delay, as a fraction (+/-). Default 0.2 (JITTER). */
  readonly jitter?: number;
  /** Upper bound of the delay. Default 120,000 ms (MAX_BACKOFF). */
  readonly maxBackoffMs?: number;
  /** The least time an attempt is given to connect. Default 20,000 ms (MIN_CONNECT_TIMEOUT). */
  readonly minConnectTimeoutMs?: number;
}

/** gRPC's defaults (grpc doc/connection-backoff.md). */
export const DEFAULT_BACKOFF: Required<BackoffOptions> = {
  initialBackoffMs: 1_000,
  multiplier: 1.6,
  jitter: 0.2,
  maxBackoffMs: 120_000,
  minConnectTimeoutMs: 20_000,
};

/**
 * The connection backoff state of one channel, as a `net/connect` {@link ReconnectPolicy}. It
 * follows the algorithm of grpc doc/connection-backoff.md:
 *
 * ```
 * ConnectWithBackoff()
 *   current_backoff = INITIAL_BACKOFF
 *   current_deadline = now() + INITIAL_BACKOFF
 *   while (TryConnect(Max(current_deadline, now() + MIN_CONNECT_TIMEOUT)) != SUCCESS)
 *     SleepUntil(current_deadline)
 *     current_backoff = Min(current_backoff * MULTIPLIER, MAX_BACKOFF)
 *     current_deadline = now() + current_backoff + UniformRandom(-JITTER * current_backoff,
 *                                                              JITTER * current_backoff)
 * ```
 *
 * Time and randomness are passed in, so the schedule is deterministic under test.
 */
export class ConnectionBackoff implements ReconnectPolicy {
  readonly #o: Required<BackoffOptions>;
  readonly #random: () => number;
  /** The current backoff, or undefined before the first attempt of a run. */
  #backoff: number | undefined;

  /**
   * A schedule with the given parameters, before its first attempt.
   *
   * @param options Backoff parameters (gRPC's defaults for those left out).
   * @param random Uniform random numbers in [0, 1), for the jitter; default `Math.random`.
   */
  constructor(options: BackoffOptions = {}, random: () => number = Math.random) {
    const o = { ...DEFAULT_BACKOFF, ...options };
    for (const [name, value] of Object.entries(o)) {
      if (!(value >= 0) || !Number.isFinite(value)) {
        throw new RangeError(`Cannot use backoff option ${name}: "${value}" is not a number >= 0`);
      }
    }
    if (o.multiplier < 1) {
      throw new RangeError(`Cannot use backoff multiplier "${o.multiplier}": it must be >= 1`);
    }
    if (o.jitter > 1) throw new RangeError(`Cannot use backoff jitter "${o.jitter}": it is > 1`);
    this.#o = o;
    this.#random = random;
  }

  /**
   * An attempt starts at `now`.
   *
   * @param now The current time in milliseconds.
   * @returns The attempt's connect timeout, and when the next attempt may start if it fails.
   */
  attempt(now: number): { readonly timeoutMs: number; readonly retryAt: number } {
    const o = this.#o;
    let delay: number;
    if (this.#backoff === undefined) {
      // The first attempt of a run: no jitter, as in the algorithm.
      this.#backoff = o.initialBackoffMs;
      delay = this.#backoff;
    } else {
      this.#backoff = Math.min(this.#backoff * o.multiplier, o.maxBackoffMs);
      delay = this.#backoff * (1 + o.jitter * (2 * this.#random() - 1));
    }
    return { timeoutMs: Math.max(delay, o.minConnectTimeoutMs), retryAt: now + delay };
  }

  /** A connection was established: the next attempt starts a new run. */
  reset(): void {
    this.#backoff = undefined;
  }
}
