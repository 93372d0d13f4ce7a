/**
 * In-process timing shared by the side-by-side benches (`brotli_bench.ts`,
 * `content_encoding_bench.ts`): cases timed in interleaved rounds, best round kept.
 *
 * @module
 */

/**
 * Runs `f` repeatedly for at least `minMs` (and at least `minRuns` times); returns ms per call.
 *
 * @param f The work; a returned promise is awaited.
 * @param minMs Least time to spend.
 * @param minRuns Least number of calls.
 */
export async function timePerCall(
  f: () => unknown,
  minMs: number,
  minRuns = 1,
): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs || n < minRuns) {
    const x = f();
    if (x instanceof Promise) await x;
    n++;
    t = performance.now();
  }
  return (t - t0) / n;
}

/**
 * Times several cases in interleaved rounds and keeps each case's best round, so a burst of load
 * from other processes on the shared machine hits every case alike instead of one.
 *
 * @param cases Label and work of each case.
 * @param minMs Least time per case per round ({@link timePerCall}).
 * @param rounds How many rounds.
 * @param minRuns Least calls per case per round.
 * @returns Best ms per call, by label.
 */
export async function bestOfRounds(
  cases: ReadonlyArray<readonly [string, () => unknown]>,
  minMs: number,
  rounds = 5,
  minRuns = 1,
): Promise<Map<string, number>> {
  const best = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    for (const [label, f] of cases) {
      best.set(label, Math.min(best.get(label) ?? Infinity, await timePerCall(f, minMs, minRuns)));
    }
  }
  return best;
}
