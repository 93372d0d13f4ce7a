/**
 * Keeps Effect fibers from retaining memory at every resume under Deno.
 *
 * Effect 4.1.0 looks up `process.getBuiltinModule("node:async_hooks")` once, while its
 * `internal/effect` module is evaluated, and then creates an `AsyncResource("effect/Fiber")` at
 * every asynchronous fiber suspension and resumes the fiber inside it, to propagate
 * AsyncLocalStorage. Deno 2.9's `AsyncResource` snapshots the whole async context, which holds
 * the resource being run, so each new resource holds the previous one: a long-lived fiber (a
 * connection's read loop, a streaming call) retains ~440 B per resume until it ends
 * (docs/effect-under-deno.md). Node keeps that state elsewhere and is not affected.
 *
 * h2kit uses no AsyncLocalStorage, so under Deno this module, when imported:
 * - answers Effect's lookup with `undefined` if Effect has not been evaluated yet, so Effect runs
 *   as in a browser and creates no resources at all ({@link hideAsyncHooksFromEffect});
 * - and, for an Effect that was evaluated first (an application that imports `effect` before
 *   h2kit), runs Effect's fiber resources without entering their async scope, which is what
 *   links them ({@link detachEffectFiberResources}).
 *
 * h2kit's entry modules import it first. With no imports of its own it is safe to load anywhere,
 * also with `deno run --preload`. Outside Deno it does nothing.
 *
 * @module
 */

/** Matches a stack frame in Effect's `internal/effect` module (dist or source-mapped src). */
const EFFECT_INTERNAL =
  /[/\\]effect[/\\](?:[^/\\]+[/\\])?(?:dist|src)[/\\]internal[/\\]effect\.[jt]s/;

/** The `type` Effect gives the resource it creates per fiber suspension. */
const EFFECT_FIBER_RESOURCE = "effect/Fiber";

type GetBuiltinModule = (id: string) => unknown;

function nodeProcess(): { getBuiltinModule?: GetBuiltinModule } | undefined {
  return (globalThis as { process?: { getBuiltinModule?: GetBuiltinModule } }).process;
}

/**
 * Answers Effect's one `node:async_hooks` lookup with `undefined`, then restores
 * `process.getBuiltinModule`; every other caller gets the real module. Acts only if it runs
 * before Effect is evaluated, and only where `process.getBuiltinModule` exists.
 */
export function hideAsyncHooksFromEffect(): void {
  const proc = nodeProcess();
  const original = proc?.getBuiltinModule;
  if (proc === undefined || typeof original !== "function") return;
  proc.getBuiltinModule = function getBuiltinModule(id: string): unknown {
    if (
      (id === "node:async_hooks" || id === "async_hooks") &&
      EFFECT_INTERNAL.test(new Error().stack ?? "")
    ) {
      proc.getBuiltinModule = original;
      return undefined;
    }
    return original.call(proc, id);
  };
}

const DETACHED = Symbol.for("h2kit.detachedEffectFiberResources");

interface AsyncResourceLike {
  readonly type?: unknown;
  runInAsyncScope(
    fn: (...args: unknown[]) => unknown,
    thisArg?: unknown,
    ...args: unknown[]
  ): unknown;
}

/**
 * Makes `AsyncResource#runInAsyncScope` call the function directly for resources of type
 * `effect/Fiber`, so a resource created while a fiber runs no longer captures the previous one.
 * Other resources (and AsyncLocalStorage outside Effect fibers) are untouched. Idempotent.
 */
export function detachEffectFiberResources(): void {
  const asyncHooks = nodeProcess()?.getBuiltinModule?.("node:async_hooks") as
    | { AsyncResource?: { prototype: AsyncResourceLike & { [DETACHED]?: true } } }
    | undefined;
  const proto = asyncHooks?.AsyncResource?.prototype;
  if (proto === undefined || proto[DETACHED] === true) return;
  const original = proto.runInAsyncScope;
  proto.runInAsyncScope = function runInAsyncScope(
    this: AsyncResourceLike,
    fn: (...args: unknown[]) => unknown,
    thisArg?: unknown,
    ...args: unknown[]
  ): unknown {
    return this.type === EFFECT_FIBER_RESOURCE
      ? fn.apply(thisArg, args)
      : original.call(this, fn, thisArg, ...args);
  };
  proto[DETACHED] = true;
}

// Deno only: that is where resources chain. (Deno Deploy is Deno too.)
if ("Deno" in globalThis) {
  hideAsyncHooksFromEffect();
  detachEffectFiberResources();
}
