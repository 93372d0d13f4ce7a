/**
 * The `grpc-timeout` header (grpc doc/PROTOCOL-HTTP2.md "Timeout"): at most 8
 * ASCII digits followed by a unit, `H` hours, `M` minutes, `S` seconds, `m`
 * milliseconds, `u` microseconds, `n` nanoseconds.
 *
 * @module
 */

import { Context } from "effect";

const UNIT_MS: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1_000,
  m: 1,
  u: 1e-3,
  n: 1e-6,
};

const MAX_VALUE = 99_999_999;

/**
 * Parses a `grpc-timeout` value.
 *
 * @param value The header value, e.g. `"100m"`.
 * @returns The timeout in milliseconds (fractional for `u`/`n`), or
 * undefined when the value is malformed (more than 8 digits, no digits, an
 * unknown unit, a sign or spaces), which a server treats as "no timeout"
 * after reporting it.
 */
export function parseTimeout(value: string): number | undefined {
  const n = value.length;
  if (n < 2 || n > 9) return undefined;
  const ms = UNIT_MS[value[n - 1]];
  if (ms === undefined) return undefined;
  let v = 0;
  for (let i = 0; i < n - 1; i++) {
    const c = value.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return undefined;
    v = v * 10 + c;
  }
  return v * ms;
}

/**
 * Formats a timeout for `grpc-timeout`, choosing the finest unit whose value
 * fits in 8 digits and rounding up, so a deadline is never shortened. A
 * non-positive timeout becomes `"0n"` (already expired: the server answers
 * DEADLINE_EXCEEDED at once). Timeouts beyond 99,999,999 hours are capped.
 *
 * @param ms The timeout in milliseconds.
 * @returns The header value.
 */
export function formatTimeout(ms: number): string {
  if (!(ms > 0)) return "0n";
  const ns = ms * 1e6;
  if (ns <= MAX_VALUE) return `${Math.ceil(ns)}n`;
  const us = ms * 1e3;
  if (us <= MAX_VALUE) return `${Math.ceil(us)}u`;
  if (ms <= MAX_VALUE) return `${Math.ceil(ms)}m`;
  const s = ms / 1e3;
  if (s <= MAX_VALUE) return `${Math.ceil(s)}S`;
  const min = s / 60;
  if (min <= MAX_VALUE) return `${Math.ceil(min)}M`;
  return `${Math.min(MAX_VALUE, Math.ceil(min / 60))}H`;
}

/**
 * The absolute deadline (epoch milliseconds from Effect's `Clock`) of the RPC
 * currently being served, if any. The server sets it for each handler; the
 * client reads it so outgoing calls made while serving a call never outlive it
 * (deadline propagation).
 */
export class CurrentDeadline extends Context.Reference<number | undefined>(
  "h2kit/rpc/CurrentDeadline",
  { defaultValue: () => undefined },
) {}
