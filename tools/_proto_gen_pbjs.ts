/**
 * The part of `tools/proto_gen.ts` that runs protobufjs-cli's `pbjs` and
 * `pbts` under Deno, each in its own `deno run` subprocess (private).
 *
 * @module
 */

import { join } from "node:path";
import { PROTOBUFJS_CLI } from "./_proto_gen_emit.ts";

/** Options of {@link runPbjsPbts}. */
export interface PbjsOptions {
  /** Absolute `.proto` paths. */
  readonly files: readonly string[];
  /** Absolute include directories (pbjs `-p`). */
  readonly includeDirs: readonly string[];
  /** Keep field names as written (pbjs `--keep-case`). */
  readonly keepCase: boolean;
  /** The `protobuf.roots` name the module registers under (pbjs `-r`). */
  readonly rootName: string;
  /**
   * Working directory of the subprocesses: a project whose `deno.json` sets
   * `nodeModulesDir` and maps `protobufjs`. pbts runs JSDoc, whose module loader
   * (requizzle) only works from a `node_modules` directory, not Deno's global cache.
   */
  readonly cwd: string;
  /** Upper bound for each subprocess, in ms. Default 120 s. */
  readonly timeoutMs?: number;
}

/** The static module and its declarations. */
export interface PbjsOutput {
  /** `pbjs -t static-module -w es6` output. */
  readonly js: string;
  /** `pbts` output for it. */
  readonly dts: string;
}

async function run(bin: string, args: readonly string[], options: PbjsOptions): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "-q", `${PROTOBUFJS_CLI}/${bin}`, ...args],
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    signal: AbortSignal.timeout(options.timeoutMs ?? 120_000),
  }).output();
  if (out.code !== 0) {
    const detail = new TextDecoder().decode(out.stderr).trim() ||
      new TextDecoder().decode(out.stdout).trim();
    throw new Error(`Cannot run ${bin}: exit code ${out.code}: ${detail}`);
  }
}

/**
 * Runs `pbjs -t static-module -w es6` and then `pbts` on its output, in a
 * temporary directory that is removed afterwards.
 *
 * @param options Files, includes, casing, root name, working directory.
 * @returns The generated JavaScript and declarations.
 * @throws {Error} When either tool fails (with its stderr) or times out.
 */
export async function runPbjsPbts(options: PbjsOptions): Promise<PbjsOutput> {
  const dir = await Deno.makeTempDir({ prefix: "h2kit_proto_gen_" });
  try {
    const js = join(dir, "out.js");
    const dts = join(dir, "out.d.ts");
    await run("pbjs", [
      "-t",
      "static-module",
      "-w",
      "es6",
      // Services come from tools/proto_gen.ts descriptors, not protobufjs's rpc.Service classes.
      "--no-service",
      // `//` comments of the .proto become JSDoc in the module and the .d.ts.
      "--alt-comment",
      "-r",
      options.rootName,
      ...(options.keepCase ? ["--keep-case"] : []),
      ...options.includeDirs.flatMap((d) => ["-p", d]),
      "-o",
      js,
      ...options.files,
    ], options);
    await run("pbts", ["-o", dts, js], options);
    return { js: await Deno.readTextFile(js), dts: await Deno.readTextFile(dts) };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
