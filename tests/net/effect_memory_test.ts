/**
 * Regression tests for the Effect-under-Deno fiber memory growth (docs/effect-under-deno.md).
 * Each case runs bench/effect_leak_repro.ts in a fresh process, because the fix has to act
 * before Effect is first evaluated and the measurement needs `--expose-gc`. Memory, not time, is
 * asserted: 20 000 resumes retain ~8.5 MiB when the bug is present and ~0 when fixed.
 */

import assert from "node:assert/strict";

const REPRO = new URL("../../bench/effect_leak_repro.ts", import.meta.url);
const RESUMES = 20_000;

interface Summary {
  readonly mode: string;
  readonly resumes: number;
  readonly bytesPerResume: number;
  readonly heapAlive: number;
  readonly heapAfterExit: number;
}

async function runRepro(mode: "effect" | "fixed" | "late" | "raw"): Promise<Summary> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      REPRO.pathname,
      mode,
      String(RESUMES),
      "--json",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout).trim();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return JSON.parse(stdout.slice(stdout.lastIndexOf("\n") + 1)) as Summary;
}

Deno.test("hideAsyncHooksFromEffect keeps a long-lived fiber's heap flat across resumes", async () => {
  const summary = await runRepro("fixed");
  assert.equal(summary.resumes, RESUMES);
  // Unfixed, this is ~440 B; a handful of bytes is GC noise.
  assert.ok(summary.bytesPerResume < 50, `retained ${summary.bytesPerResume} B per resume`);
});

Deno.test("the fix also works when Effect was evaluated before h2kit", async () => {
  // An application that imports "effect" first: Effect already holds AsyncResource, so the
  // fiber resources are detached instead.
  const summary = await runRepro("late");
  assert.equal(summary.resumes, RESUMES);
  assert.ok(summary.bytesPerResume < 50, `retained ${summary.bytesPerResume} B per resume`);
});

Deno.test("Effect fiber resumes retain memory under this Deno without the fix", async () => {
  // A canary for the runtime bug itself. When it fails, Deno (or Effect) no longer chains
  // AsyncResource snapshots: re-measure and drop the workaround (docs/effect-under-deno.md).
  const summary = await runRepro("effect");
  assert.ok(summary.bytesPerResume > 200, `retained ${summary.bytesPerResume} B per resume`);
  // The chain hangs off the fiber: it is released when the fiber ends.
  assert.ok(
    summary.heapAlive - summary.heapAfterExit > (RESUMES * summary.bytesPerResume) / 2,
    "the retained chain should be freed once the fiber ends",
  );
});

Deno.test("AsyncResource created inside runInAsyncScope retains its predecessors under Deno", async () => {
  // The same growth with no Effect at all: the node:async_hooks pattern Effect's fiber uses.
  const summary = await runRepro("raw");
  assert.ok(summary.bytesPerResume > 200, `retained ${summary.bytesPerResume} B per resume`);
});

/** Imports `entry` in a fresh process and reports whether Effect obtained node:async_hooks. */
async function effectGotAsyncHooks(entry: string): Promise<boolean> {
  // A spy under whatever h2kit installs: it sees the lookup only if the fix let it through.
  const script = `
    const original = process.getBuiltinModule;
    let asked = false;
    process.getBuiltinModule = function (id) {
      if (id === "node:async_hooks" && /[\\/]effect[\\/]/.test(new Error().stack)) asked = true;
      return original.call(process, id);
    };
    await import(${JSON.stringify(entry)});
    const { Effect } = await import("effect");
    await Effect.runPromise(Effect.promise(() => Promise.resolve()));
    console.log(JSON.stringify(asked));`;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    cwd: new URL("../..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return JSON.parse(new TextDecoder().decode(output.stdout).trim());
}

Deno.test("importing an h2kit entry module hides node:async_hooks from Effect", async () => {
  // Control: Effect on its own does look it up, so the spy can see it.
  assert.equal(await effectGotAsyncHooks("effect"), true);
  for (const entry of ["mod.ts", "net/mod.ts", "rpc/mod.ts"]) {
    const url = new URL(`../../${entry}`, import.meta.url).href;
    assert.equal(await effectGotAsyncHooks(url), false, `${entry} let Effect see async_hooks`);
  }
});
