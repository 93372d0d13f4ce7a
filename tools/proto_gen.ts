/**
 * `deno task gen:proto`: static code generation for gRPC services. Runs
 * protobufjs-cli's `pbjs -t static-module -w es6` and `pbts` on `.proto`
 * files, then writes one TypeScript module per service with its descriptor
 * (for `makeClient` and `implement`), its message classes and types, and typed
 * client and handler signatures.
 *
 * Usage:
 * `deno task gen:proto --out DIR [-I DIR]... [--name STEM] [--runtime SPECIFIER] [--keep-case]
 * [--no-reflection] [--check] FILE.proto...`; `--check` writes nothing and exits 1 when a
 * file in DIR differs from what would be generated (for CI).
 *
 * For `--out examples/generated examples/protos/greeter.proto` it writes:
 * - `greeter_pb.js`: the pbjs static module (encoding and decoding), with a
 *   `/// <reference types>` to
 * - `greeter_pb.d.ts`: the pbts declarations;
 * - `greeter_descriptor.json`: the protobufjs JSON of the `.proto` (unless
 *   `--no-reflection`), so server reflection describes the services;
 * - `greeter.ts`: for service `helloworld.Greeter`, `Greeter` (the descriptor),
 *   `GreeterSpec`, `GreeterClient`, `GreeterHandlers`, and `HelloRequest` /
 *   `IHelloRequest` / `HelloReply` / `IHelloReply`.
 *
 * Output is deterministic (same input, same bytes) and marked with
 * `deno-fmt-ignore-file` (and `deno-lint-ignore-file` for the protobufjs
 * output), so `deno fmt --check` and `deno lint` pass without excludes.
 * Runs from the h2kit project root, whose `deno.json` pins protobufjs and
 * provides the `node_modules` directory pbts needs.
 *
 * @module
 */

import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  descriptorJson,
  emitServiceModule,
  finishDeclarations,
  finishStaticModule,
  serviceFileNames,
} from "./_proto_gen_emit.ts";
import { loadServiceModels } from "./_proto_gen_model.ts";
import { runPbjsPbts } from "./_proto_gen_pbjs.ts";

/** The h2kit project root (this file's parent directory). */
const PROJECT_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** What to generate; see {@link parseProtoGenArgs} for the command line. */
export interface ProtoGenOptions {
  /** `.proto` files, relative to the current directory or absolute. */
  readonly files: readonly string[];
  /** Output directory. */
  readonly outDir: string;
  /** Include directories for imports (like `protoc -I`). */
  readonly includeDirs?: readonly string[];
  /** File stem of the static module (`<name>_pb.js`); default the first file's stem. */
  readonly name?: string;
  /**
   * Module specifier the service modules import the rpc runtime from, e.g.
   * `"@h2kit/h2kit/rpc"`; default a relative path from the output directory
   * to this project's `rpc/mod.ts`.
   */
  readonly runtime?: string;
  /** Keep `.proto` field names instead of camelCase (pbjs `--keep-case`). */
  readonly keepCase?: boolean;
  /**
   * Write `<name>_descriptor.json` and pass it to `defineService`, so server
   * reflection describes the services (default true; `--no-reflection`).
   */
  readonly reflection?: boolean;
  /** CLI only: compare with the files in `outDir` instead of writing (exit 1 when stale). */
  readonly check?: boolean;
}

/** A usage or input error of the generator, reported without a stack trace. */
export class ProtoGenError extends Error {
  /** The error name. */
  override readonly name = "ProtoGenError";
}

/** The command-line usage text. */
export const USAGE =
  "Usage: deno task gen:proto --out DIR [-I DIR]... [--name STEM] [--runtime SPECIFIER] " +
  "[--keep-case] [--no-reflection] [--check] FILE.proto...";

/**
 * Parses the command line: `--out DIR` (or `-o`), `-I DIR` / `-IDIR` /
 * `--include DIR` (repeatable), `--name STEM`, `--runtime SPECIFIER`,
 * `--keep-case`, `--no-reflection`, `--check` (compare instead of write), then
 * `.proto` files.
 * `--opt=value` works for every option with a value.
 *
 * @param args The arguments, e.g. `Deno.args`.
 * @returns The options.
 * @throws {ProtoGenError} On an unknown option, a missing value, no `--out` or no file.
 */
export function parseProtoGenArgs(args: readonly string[]): ProtoGenOptions {
  const files: string[] = [];
  const includeDirs: string[] = [];
  let outDir: string | undefined;
  let name: string | undefined;
  let runtime: string | undefined;
  let keepCase = false;
  let check = false;
  let reflection = true;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const value = (): string => {
      const v = eq >= 0 ? arg.slice(eq + 1) : args[++i];
      if (v === undefined || v === "") throw new ProtoGenError(`Missing value of "${flag}"`);
      return v;
    };
    if (flag === "--out" || flag === "-o") outDir = value();
    else if (flag === "--include" || flag === "-I") includeDirs.push(value());
    else if (flag.startsWith("-I") && flag.length > 2) includeDirs.push(flag.slice(2));
    else if (flag === "--name") name = value();
    else if (flag === "--runtime") runtime = value();
    else if (flag === "--keep-case" && eq < 0) keepCase = true;
    else if (flag === "--check" && eq < 0) check = true;
    else if (flag === "--no-reflection" && eq < 0) reflection = false;
    else if (arg === "--") {
      files.push(...args.slice(i + 1));
      break;
    } else if (arg.startsWith("-")) throw new ProtoGenError(`Unknown option "${arg}"`);
    else files.push(arg);
  }
  if (outDir === undefined) throw new ProtoGenError("Missing --out DIR");
  if (files.length === 0) throw new ProtoGenError("Missing .proto files");
  return { files, outDir, includeDirs, name, runtime, keepCase, reflection, check };
}

function stemOf(file: string): string {
  return basename(file).replace(/\.proto$/, "");
}

/**
 * Generates the files for `.proto` inputs, without writing them: the static
 * module, its declarations, and one module per service defined in the given
 * files (services of imported files are left to their own run).
 *
 * @param options Inputs, output directory, names.
 * @returns File contents by file name (relative to `outDir`), sorted by name.
 * @throws {ProtoGenError} On a bad name, a missing file, a `.proto` error or a failing tool.
 */
export async function generateProtos(options: ProtoGenOptions): Promise<Map<string, string>> {
  if (options.files.length === 0) throw new ProtoGenError("Missing .proto files");
  const files = options.files.map((f) => resolve(f));
  const includeDirs = (options.includeDirs ?? []).map((d) => resolve(d));
  const outDir = resolve(options.outDir);
  const stem = options.name ?? stemOf(files[0]);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(stem)) {
    throw new ProtoGenError(`Invalid --name "${stem}": use letters, digits, "_", "." and "-"`);
  }
  for (const f of files) {
    try {
      if (!Deno.statSync(f).isFile) throw new ProtoGenError(`Not a file: "${f}"`);
    } catch (e) {
      if (e instanceof ProtoGenError) throw e;
      throw new ProtoGenError(`Cannot read "${f}": ${(e as Error).message}`);
    }
  }
  let runtime = options.runtime;
  if (runtime === undefined) {
    runtime = relative(outDir, resolve(PROJECT_ROOT, "rpc/mod.ts")).replaceAll("\\", "/");
    if (!runtime.startsWith(".")) runtime = `./${runtime}`;
  }
  const keepCase = options.keepCase ?? false;
  let model;
  try {
    model = loadServiceModels(files, { includeDirs });
  } catch (e) {
    throw new ProtoGenError(`Cannot load .proto files: ${(e as Error).message}`);
  }
  let pb;
  try {
    pb = await runPbjsPbts({
      files,
      includeDirs,
      keepCase,
      rootName: stem,
      cwd: PROJECT_ROOT,
    });
  } catch (e) {
    throw new ProtoGenError((e as Error).message);
  }
  const sources = files.map((f) => basename(f));
  const bundleStem = `${stem}_pb`;
  const out = new Map<string, string>();
  out.set(`${bundleStem}.js`, finishStaticModule(pb.js, `${bundleStem}.d.ts`, sources));
  out.set(`${bundleStem}.d.ts`, finishDeclarations(pb.dts, sources));
  const descriptorFile = options.reflection === false ? undefined : `${stem}_descriptor.json`;
  if (descriptorFile !== undefined) out.set(descriptorFile, descriptorJson(model.descriptor));
  const names = serviceFileNames(model.services, bundleStem);
  for (const service of model.services) {
    const file = names.get(service.fullName)!;
    if (out.has(file)) throw new ProtoGenError(`Two outputs would be named "${file}"`);
    try {
      out.set(
        file,
        emitServiceModule(service, {
          bundleFile: `${bundleStem}.js`,
          runtime,
          sources,
          descriptorFile,
        }),
      );
    } catch (e) {
      throw new ProtoGenError((e as Error).message);
    }
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Writes generated files into a directory (created if missing), leaving
 * files whose content is unchanged untouched.
 *
 * @param outDir The directory.
 * @param files Contents by file name.
 * @returns The names of the files written.
 */
export async function writeGenerated(
  outDir: string,
  files: ReadonlyMap<string, string>,
): Promise<string[]> {
  await Deno.mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const [name, text] of files) {
    const path = join(outDir, name);
    const old = await Deno.readTextFile(path).catch(() => undefined);
    if (old === text) continue;
    await Deno.writeTextFile(path, text);
    written.push(name);
  }
  return written;
}

if (import.meta.main) {
  try {
    const options = parseProtoGenArgs(Deno.args);
    const files = await generateProtos(options);
    if (options.check) {
      const stale: string[] = [];
      for (const [name, text] of files) {
        const old = await Deno.readTextFile(join(options.outDir, name)).catch(() => undefined);
        if (old !== text) stale.push(join(options.outDir, name));
      }
      for (const path of stale) console.error(`stale: ${path}`);
      if (stale.length > 0) {
        console.error("error: Generated files are out of date: run deno task gen:proto");
      }
      Deno.exit(stale.length > 0 ? 1 : 0);
    }
    const written = new Set(await writeGenerated(options.outDir, files));
    for (const name of files.keys()) {
      console.log(`${written.has(name) ? "wrote" : "unchanged"} ${join(options.outDir, name)}`);
    }
  } catch (e) {
    if (!(e instanceof ProtoGenError)) throw e;
    const usage = e.message.startsWith("Missing") || e.message.startsWith("Unknown");
    console.error(`error: ${e.message}`);
    if (usage) console.error(USAGE);
    Deno.exit(usage ? 2 : 1);
  }
}
