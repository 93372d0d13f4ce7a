/**
 * Minimal reproduction of the per-resume memory growth of long-lived Effect v4 fibers under
 * Deno, and of the fix. No h2kit code is involved. See docs/effect-under-deno.md.
 *
 * Run one mode per process (the fix has to act before Effect is first evaluated):
 *
 * ```sh
 * deno run -A --v8-flags=--expose-gc bench/effect_leak_repro.ts effect 1000000
 * deno run -A --v8-flags=--expose-gc bench/effect_leak_repro.ts fixed 1000000
 * deno run -A --v8-flags=--expose-gc bench/effect_leak_repro.ts raw 1000000
 * ```
 *
 * - `effect`: one fiber resumed asynchronously N times, Effect loaded normally.
 * - `fixed`: the same, with `node:async_hooks` hidden from Effect while it loads.
 * - `late`: the same, with the fix loaded after Effect (Effect's fiber resources detached).
 * - `raw`: no Effect; the `node:async_hooks` pattern Effect's fiber uses, by hand.
 *
 * Prints the heap after a forced GC at five checkpoints, the retained bytes per resume and the
 * heap once the fiber has ended. With `--json` the last line is a JSON summary (used by
 * tests/net/effect_memory_test.ts).
 *
 * @module
 */

import { AsyncResource } from "node:async_hooks";

type Mode = "effect" | "fixed" | "late" | "raw";

/** The mode and resume count this run was asked for. */
interface Options {
  readonly mode: Mode;
  readonly resumes: number;
  readonly json: boolean;
}

/** What one run measured; bytes are V8 heapUsed after a full GC. */
interface Summary {
  readonly mode: Mode;
  readonly resumes: number;
  readonly heapBefore: number;
  readonly heapFirst: number;
  readonly heapAlive: number;
  readonly heapAfterExit: number;
  readonly bytesPerResume: number;
  readonly rssAlive: number;
}

function parseOptions(args: readonly string[]): Options {
  const positional = args.filter((a) => !a.startsWith("--"));
  const mode = (positional[0] ?? "effect") as Mode;
  if (mode !== "effect" && mode !== "fixed" && mode !== "late" && mode !== "raw") {
    throw new TypeError(`Cannot run repro: unknown mode "${mode}"`);
  }
  const resumes = Number(positional[1] ?? 1_000_000);
  if (!Number.isSafeInteger(resumes) || resumes < 1) {
    throw new RangeError(`Cannot run repro: invalid resume count "${positional[1]}"`);
  }
  return { mode, resumes, json: args.includes("--json") };
}

const gc = (globalThis as { gc?: () => void }).gc;

function heapAfterGc(): number {
  if (gc === undefined) throw new Error("Cannot measure heap: run with --v8-flags=--expose-gc");
  // Two passes: the first can leave FinalizationRegistry cells and weak maps for the second.
  gc();
  gc();
  return Deno.memoryUsage().heapUsed;
}

const mib = (bytes: number): string => (bytes / 1048576).toFixed(1).padStart(7) + " MiB";

async function runEffect(options: Options, report: (done: number) => void): Promise<void> {
  // The shipped fix, loaded (and so installed) before Effect is first evaluated ("fixed"), or
  // after it ("late": an application that imported effect first).
  if (options.mode === "fixed") await import("../net/effect_async_context.ts");
  const { Effect, Fiber } = await import("effect");
  if (options.mode === "late") await import("../net/effect_async_context.ts");
  // One asynchronous suspension: the fiber's run loop returns Yield, and the callback resumes it
  // from a microtask, exactly like a socket read completing.
  const tick = Effect.callback<void>((resume) => {
    queueMicrotask(() => resume(Effect.void));
  });
  const step = Math.max(1, Math.floor(options.resumes / 5));
  let done = 0;
  let checkpoint: PromiseWithResolvers<void> = Promise.withResolvers<void>();
  const fiber = Effect.runFork(Effect.gen(function* () {
    while (done < options.resumes) {
      yield* tick;
      done++;
      if (done % step === 0) {
        const reached = checkpoint;
        checkpoint = Promise.withResolvers<void>();
        reached.resolve();
        // Park (one more async resume) so the measurement happens outside the fiber.
        yield* Effect.promise(() => Promise.resolve());
      }
    }
    // Stay alive: a connection's read loop is a fiber that lives as long as the connection.
    return yield* Effect.never;
  }));
  for (let i = 0; i < 5; i++) {
    await checkpoint.promise;
    report(done);
  }
  await Effect.runPromise(Fiber.interrupt(fiber));
}

async function runRaw(options: Options, report: (done: number) => void): Promise<void> {
  // What Effect's FiberImpl.evaluate does per resume, without Effect: resume inside the previous
  // resource's scope, suspend again and capture a new resource from inside that scope.
  let current: AsyncResource | undefined;
  const suspend = (): void => {
    current = new AsyncResource("effect/Fiber");
  };
  const step = Math.max(1, Math.floor(options.resumes / 5));
  for (let done = 1; done <= options.resumes; done++) {
    const resource = current;
    current = undefined;
    if (resource === undefined) suspend();
    else {
      try {
        resource.runInAsyncScope(suspend);
      } finally {
        resource.emitDestroy();
      }
    }
    if (done % step === 0) {
      await Promise.resolve();
      report(done);
    }
  }
  // The "fiber" ends: drop the last resource.
  current = undefined;
}

async function main(): Promise<void> {
  const options = parseOptions(Deno.args);
  const heapBefore = heapAfterGc();
  let heapAlive = heapBefore;
  let heapFirst = -1;
  let doneFirst = 0;
  let rssAlive = 0;
  const log = (line: string): void => {
    if (!options.json) console.log(line);
  };
  log(`mode=${options.mode} resumes=${options.resumes} deno=${Deno.version.deno}`);
  log(`before         heap ${mib(heapBefore)}`);
  const report = (done: number): void => {
    heapAlive = heapAfterGc();
    rssAlive = Deno.memoryUsage().rss;
    // The slope is taken from the first checkpoint on, so loading Effect and warming up the JIT
    // do not count as growth.
    if (heapFirst < 0) {
      heapFirst = heapAlive;
      doneFirst = done;
    }
    const slope = done > doneFirst
      ? ((heapAlive - heapFirst) / (done - doneFirst)).toFixed(0)
      : "-";
    log(
      `${String(done).padStart(9)} res. heap ${mib(heapAlive)}  rss ${mib(rssAlive)}  ` +
        `${slope.padStart(4)} B/resume retained`,
    );
  };
  if (options.mode === "raw") await runRaw(options, report);
  else await runEffect(options, report);
  // One timer turn so FinalizationRegistry cleanup tasks of the dead resources can run.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const heapAfterExit = heapAfterGc();
  log(`fiber ended    heap ${mib(heapAfterExit)}`);
  const summary: Summary = {
    mode: options.mode,
    resumes: options.resumes,
    heapBefore,
    heapFirst,
    heapAlive,
    heapAfterExit,
    bytesPerResume: (heapAlive - heapFirst) / (options.resumes - doneFirst),
    rssAlive,
  };
  if (options.json) console.log(JSON.stringify(summary));
}

if (import.meta.main) await main();
