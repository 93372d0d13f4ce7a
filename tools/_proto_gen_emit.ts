/**
 * The part of `tools/proto_gen.ts` that writes TypeScript: one module per
 * service with its descriptor, message aliases and typed signatures, plus the
 * headers added to the pbjs/pbts output (private, pure: strings in, strings
 * out, so the output is deterministic).
 *
 * @module
 */

import type { MessageModel, MethodModel, ServiceModel } from "./_proto_gen_model.ts";

/**
 * The JSON descriptor file's text: stable key order (protobufjs's, which
 * follows the `.proto`), two-space indentation as `deno fmt` writes it.
 *
 * @param descriptor `Root#toJSON()`.
 * @returns The file text.
 */
export function descriptorJson(descriptor: unknown): string {
  return JSON.stringify(descriptor, null, 2) + "\n";
}

/** The protobufjs-cli package the generator runs (peer dependency protobufjs ^8.8.1). */
export const PROTOBUFJS_CLI = "npm:protobufjs-cli@2.7.1";

const KIND_TYPE = {
  unary: "Unary",
  server_streaming: "ServerStreaming",
  client_streaming: "ClientStreaming",
  bidi_streaming: "BidiStreaming",
} as const;

// Words that cannot name a `const` or `type` in a module (strict mode), so a message
// with such a name gets a qualified alias instead.
const RESERVED = new Set(
  (
    "await break case catch class const continue debugger default delete do else enum eval " +
    "export extends false finally for function if implements import in instanceof interface " +
    "let new null package private protected public return static super switch this throw " +
    "true try typeof var void while with yield arguments undefined any boolean never number " +
    "object string symbol unknown bigint"
  ).split(" "),
);

/**
 * Turns a PascalCase or dotted name into a snake_case file stem, e.g.
 * `"HealthCheck"` → `"health_check"`, `"pkg.v1.Greeter"` → `"pkg_v1_greeter"`.
 *
 * @param name The name.
 * @returns The stem.
 */
export function snakeCase(name: string): string {
  return name
    .replace(/\./g, "_")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase();
}

/** Makes text safe inside a JSDoc block: no early `*\/`, one ` * ` prefix per line. */
function docLines(text: string, indent: string): string[] {
  return text.replace(/\*\//g, "*\\/").split(/\r?\n/).map((line) =>
    `${indent} *${line.trim() === "" ? "" : " " + line.trimEnd()}`
  );
}

function docBlock(lines: readonly string[], indent: string): string[] {
  const body = lines.flatMap((l) => docLines(l, indent));
  if (body.length === 1) return [`${indent}/**${body[0].slice(indent.length + 2)} */`];
  return [`${indent}/**`, ...body, `${indent} */`];
}

/**
 * Picks the exported names of a service module's messages: the name inside
 * the package (`Outer_Inner` for nested types) unless it clashes with another
 * message, a service export or a reserved word; then the fully-qualified name
 * in PascalCase (`shop.v1.Item` → `ShopV1Item`); then a numeric suffix. Each
 * message exports `Name` (class and decoded type) and `IName` (its fields), so
 * both must be free.
 */
function messageAliases(
  service: ServiceModel,
  reserved: ReadonlySet<string>,
): Map<string, { readonly model: MessageModel; readonly alias: string }> {
  const messages = new Map<string, MessageModel>();
  for (const m of service.methods) {
    for (const msg of [m.input, m.output]) {
      if (!messages.has(msg.fullName)) messages.set(msg.fullName, msg);
    }
  }
  const localCount = new Map<string, number>();
  for (const msg of messages.values()) {
    localCount.set(msg.localName, (localCount.get(msg.localName) ?? 0) + 1);
  }
  const taken = new Set(reserved);
  const free = (alias: string) =>
    !RESERVED.has(alias) && !taken.has(alias) && !taken.has(`I${alias}`);
  const out = new Map<string, { model: MessageModel; alias: string }>();
  for (const msg of messages.values()) {
    // `shop.v1.Item` → `ShopV1Item`: still PascalCase, like the simple names.
    const qualified = msg.fullName.split(".").map((p) => p[0].toUpperCase() + p.slice(1)).join("");
    let alias = localCount.get(msg.localName) === 1 && free(msg.localName)
      ? msg.localName
      : qualified;
    for (let n = 2; !free(alias); n++) alias = `${qualified}_${n}`;
    taken.add(alias);
    taken.add(`I${alias}`);
    out.set(msg.fullName, { model: msg, alias });
  }
  return out;
}

/** The method as the `.proto` declares it, e.g. `rpc Chat(stream a.Msg) returns (stream a.Msg)`. */
function rpcSignature(m: MethodModel): string {
  const streamIn = m.kind === "client_streaming" || m.kind === "bidi_streaming";
  const streamOut = m.kind === "server_streaming" || m.kind === "bidi_streaming";
  const input = (streamIn ? "stream " : "") + m.input.fullName;
  const output = (streamOut ? "stream " : "") + m.output.fullName;
  return `\`rpc ${m.name}(${input}) returns (${output})\``;
}

/** What {@link emitServiceModule} needs besides the service. */
export interface EmitServiceOptions {
  /** The static module's file name, e.g. `"greeter_pb.js"` (imported as `./<it>`). */
  readonly bundleFile: string;
  /** The module exporting `defineService` and the rpc types, e.g. `"../../rpc/mod.ts"`. */
  readonly runtime: string;
  /** Source `.proto` names for the header, e.g. `["greeter.proto"]`. */
  readonly sources: readonly string[];
  /** The JSON descriptor's file name, e.g. `"greeter_descriptor.json"`; none: no reflection. */
  readonly descriptorFile?: string;
}

/**
 * Emits the TypeScript module of one service: message classes and types
 * re-exported from the pbjs static module, the method spec type, client and
 * handler types, and the descriptor built with `defineService` (given the
 * JSON descriptor when there is one, so server reflection describes it).
 *
 * Requests are typed by the message's field interface (`IHelloRequest`: what
 * `create` and `encode` accept), responses by the decoded class
 * (`HelloReply`), so `makeClient(Greeter, t).SayHello({ name })` returns an
 * `Effect<HelloReply, RpcError>` and a handler returns `HelloReply.create(...)`.
 *
 * @param service The service.
 * @param options Bundle file, runtime module, sources.
 * @returns The module text.
 * @throws {Error} When the service name cannot be a TypeScript identifier.
 */
export function emitServiceModule(service: ServiceModel, options: EmitServiceOptions): string {
  const svc = service.name;
  if (RESERVED.has(svc)) {
    throw new Error(`Cannot generate service "${service.fullName}": its name is a reserved word`);
  }
  const exportsOf = [svc, `${svc}Spec`, `${svc}Client`, `${svc}Handlers`];
  const aliases = messageAliases(service, new Set(exportsOf));
  const aliasOf = (m: MessageModel) => aliases.get(m.fullName)!.alias;
  const lines: string[] = [];
  const push = (...l: string[]) => lines.push(...l);

  push(
    `// Code generated by tools/proto_gen.ts from ${options.sources.join(", ")}. DO NOT EDIT.`,
    "// deno-fmt-ignore-file",
    "",
    ...docBlock([
      `\`${service.fullName}\`: the service descriptor, message types and typed signatures`,
      `for h2kit, over the protobufjs static classes of \`./${options.bundleFile}\`.`,
      ...(service.comment === undefined ? [] : ["", service.comment]),
      "",
      "@module",
    ], ""),
    "",
    `import * as $pb from ${JSON.stringify(`./${options.bundleFile}`)};`,
    `import * as $rpc from ${JSON.stringify(options.runtime)};`,
    ...(options.descriptorFile === undefined ? [] : [
      `import $descriptor from ${
        JSON.stringify(`./${options.descriptorFile}`)
      } with { type: "json" };`,
    ]),
  );

  for (const { model, alias } of aliases.values()) {
    const ref = `$pb.${model.path.join(".")}`;
    push(
      "",
      `/** The \`${model.fullName}\` message class: \`create\`, \`encode\`, \`decode\`. */`,
      `export const ${alias} = ${ref};`,
      `/** A decoded \`${model.fullName}\` message (an instance of the class). */`,
      `export type ${alias} = ${ref};`,
      `/** The fields of a \`${model.fullName}\`, as accepted by \`create\` and \`encode\`. */`,
      `export type I${alias} = ${ref}.$Properties;`,
    );
  }

  push("", `/** The method types of \`${service.fullName}\`. */`, `export type ${svc}Spec = {`);
  for (const m of service.methods) {
    const doc = m.comment === undefined
      ? [`${rpcSignature(m)}.`]
      : [`${rpcSignature(m)}:`, m.comment];
    const spec = `$rpc.${KIND_TYPE[m.kind]}<I${aliasOf(m.input)}, ${aliasOf(m.output)}>`;
    push(...docBlock(doc, "  "), `  readonly ${m.name}: ${spec};`);
  }
  push(
    "};",
    "",
    `/** A typed \`${service.fullName}\` client, as \`makeClient(${svc}, transport)\` returns. */`,
    `export type ${svc}Client = $rpc.ServiceClient<${svc}Spec>;`,
    "",
    `/** Handlers of \`${service.fullName}\`, as \`implement(${svc}, handlers)\` takes. */`,
    `export type ${svc}Handlers = $rpc.ServiceHandlers<${svc}Spec>;`,
    "",
    `/** The \`${service.fullName}\` descriptor, for \`makeClient\` and \`implement\`. */`,
    `export const ${svc}: $rpc.ServiceDescriptor<${svc}Spec> = $rpc.defineService<`,
    `  $rpc.MethodDefinitionsOf<${svc}Spec>`,
    ">(",
    `  ${JSON.stringify(service.fullName)},`,
    "  {",
  );
  for (const m of service.methods) {
    push(
      `    ${m.name}: {`,
      `      kind: ${JSON.stringify(m.kind)},`,
      `      input: ${aliasOf(m.input)},`,
      `      output: ${aliasOf(m.output)},`,
      `      inputType: ${JSON.stringify(m.input.fullName)},`,
      `      outputType: ${JSON.stringify(m.output.fullName)},`,
      "    },",
    );
  }
  push("  },");
  if (options.descriptorFile !== undefined) push("  { descriptor: $descriptor },");
  push(");", "");
  return lines.join("\n");
}

/**
 * Picks each service module's file name: the snake_case simple name
 * (`Greeter` → `greeter.ts`), or the snake_case full name when two services
 * share a simple name or the name would shadow the static module.
 *
 * @param services The services.
 * @param bundleStem The static module's stem, e.g. `"greeter_pb"`.
 * @returns File names by service full name.
 */
export function serviceFileNames(
  services: readonly ServiceModel[],
  bundleStem: string,
): Map<string, string> {
  const count = new Map<string, number>();
  for (const s of services) count.set(snakeCase(s.name), (count.get(snakeCase(s.name)) ?? 0) + 1);
  const out = new Map<string, string>();
  for (const s of services) {
    const simple = snakeCase(s.name);
    const stem = count.get(simple) === 1 && simple !== bundleStem ? simple : snakeCase(s.fullName);
    out.set(s.fullName, `${stem}.ts`);
  }
  return out;
}

/** pbts's import of the `long` typings, which Deno cannot resolve from a local file. */
const LONG_IMPORT = 'import Long = require("long");';

/**
 * Adds the generated-file header to pbjs's static module, with a
 * `/// <reference types>` to its `.d.ts` so importers get the pbts types
 * without `@ts-types`.
 *
 * @param js pbjs output.
 * @param dtsFile The `.d.ts` file name next to it.
 * @param sources Source `.proto` names.
 * @returns The module text.
 */
export function finishStaticModule(
  js: string,
  dtsFile: string,
  sources: readonly string[],
): string {
  return [
    `// Code generated by tools/proto_gen.ts (${PROTOBUFJS_CLI} pbjs -t static-module -w es6)`,
    `// from ${sources.join(", ")}. DO NOT EDIT.`,
    "// deno-fmt-ignore-file",
    "// deno-lint-ignore-file",
    `/// <reference types="./${dtsFile}" />`,
    js.endsWith("\n") ? js : js + "\n",
  ].join("\n");
}

/**
 * Adds the generated-file header to pbts's declarations and replaces its
 * `import Long = require("long")`, which Deno resolves to `any` (silently
 * untyping every 64-bit field), with protobufjs's own stand-alone `Long`
 * interface.
 *
 * @param dts pbts output.
 * @param sources Source `.proto` names.
 * @returns The declaration text.
 */
export function finishDeclarations(dts: string, sources: readonly string[]): string {
  const body = dts.replace(LONG_IMPORT, "type Long = $protobuf.Long;");
  return [
    `// Code generated by tools/proto_gen.ts (${PROTOBUFJS_CLI} pbts) from ${sources.join(", ")}.`,
    "// DO NOT EDIT.",
    "// deno-fmt-ignore-file",
    "// deno-lint-ignore-file",
    body.endsWith("\n") ? body : body + "\n",
  ].join("\n");
}
