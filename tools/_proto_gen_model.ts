/**
 * The part of `tools/proto_gen.ts` that reads `.proto` files with protobufjs
 * reflection and describes their services: what the TypeScript emitter needs
 * and nothing else (private).
 *
 * @module
 */

import protobuf from "protobufjs";
import type { MethodKind } from "../rpc/service.ts";

/** A message type a method uses, located in the pbjs static module. */
export interface MessageModel {
  /** Fully-qualified name without the leading dot, e.g. `"pkg.Outer.Inner"`. */
  readonly fullName: string;
  /** The path of the class in the static module, e.g. `["pkg", "Outer", "Inner"]`. */
  readonly path: readonly string[];
  /** The name inside its package, nesting joined by `_`, e.g. `"Outer_Inner"`. */
  readonly localName: string;
}

/** One rpc of a service. */
export interface MethodModel {
  /** The method name as written in the `.proto`. */
  readonly name: string;
  /** Call kind, from the `stream` keywords. */
  readonly kind: MethodKind;
  /** Request message. */
  readonly input: MessageModel;
  /** Response message. */
  readonly output: MessageModel;
  /** The `.proto` comment of the method, if any. */
  readonly comment: string | undefined;
}

/** One service of the given `.proto` files. */
export interface ServiceModel {
  /** Fully-qualified name without the leading dot, e.g. `"helloworld.Greeter"`. */
  readonly fullName: string;
  /** Simple name, e.g. `"Greeter"`. */
  readonly name: string;
  /** The `.proto` comment of the service, if any. */
  readonly comment: string | undefined;
  /** Methods in declaration order. */
  readonly methods: readonly MethodModel[];
}

/** Options of {@link loadServiceModels}. */
export interface LoadModelOptions {
  /** Absolute include directories, searched in order (pbjs `-p`). */
  readonly includeDirs: readonly string[];
}

/** What {@link loadServiceModels} finds. */
export interface ProtoModel {
  /** The services of the given files, in declaration order. */
  readonly services: ServiceModel[];
  /**
   * The protobufjs JSON form of everything loaded (imports included), with
   * field names as written in the `.proto` files: what server reflection
   * describes, whatever the casing of the generated classes.
   */
  readonly descriptor: protobuf.INamespace;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves imports the way pbjs does (protobufjs-cli `pbjs.js`,
 * `pbjsResolvePath`): relative to the importing file first, then each include
 * directory, with `google/protobuf/*` taken from protobufjs's bundled
 * well-known types. Matching pbjs exactly matters: a file reached by two
 * different paths would be parsed twice and fail with a duplicate name.
 */
function pbjsResolvePath(includeDirs: readonly string[]) {
  return (origin: string, target: string): string => {
    const util = protobuf.util;
    const normOrigin = util.path.normalize(origin);
    const normTarget = util.path.normalize(target);
    let resolved = util.path.resolve(normOrigin, normTarget, true);
    const idx = resolved.lastIndexOf("google/protobuf/");
    if (idx > -1) {
      const altName = resolved.substring(idx);
      if (altName in protobuf.common) resolved = altName;
    }
    if (exists(resolved)) return resolved;
    for (const dir of includeDirs) {
      const candidate = util.path.resolve(dir + "/", target);
      if (exists(candidate)) return candidate;
    }
    return resolved;
  };
}

function kindOf(method: protobuf.Method): MethodKind {
  if (method.requestStream) return method.responseStream ? "bidi_streaming" : "client_streaming";
  return method.responseStream ? "server_streaming" : "unary";
}

function messageModel(type: protobuf.Type): MessageModel {
  const fullName = type.fullName.replace(/^\./, "");
  const local: string[] = [];
  let node: protobuf.ReflectionObject | null = type;
  while (node instanceof protobuf.Type) {
    local.unshift(node.name);
    node = node.parent;
  }
  return { fullName, path: fullName.split("."), localName: local.join("_") };
}

function cleanComment(comment: string | null): string | undefined {
  const text = comment?.trim();
  return text ? text : undefined;
}

function collectServices(ns: protobuf.NamespaceBase, out: protobuf.Service[]): void {
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Service) out.push(nested);
    else if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) {
      collectServices(nested, out);
    }
  }
}

/**
 * Loads `.proto` files (and their imports) like pbjs does, and describes the
 * services defined in the given files themselves (not in their imports, which
 * get their own generation run).
 *
 * @param files Absolute `.proto` paths.
 * @param options Include directories.
 * @returns The services and the JSON descriptor.
 * @throws {Error} When a file cannot be read or parsed, or a type is unresolved.
 */
export function loadServiceModels(
  files: readonly string[],
  options: LoadModelOptions,
): ProtoModel {
  const root = new protobuf.Root();
  root.resolvePath = pbjsResolvePath(options.includeDirs);
  root.loadSync([...files], { keepCase: true, alternateCommentMode: true });
  root.resolveAll();
  const mains = new Set(files.map((f) => protobuf.util.path.normalize(f)));
  const services: protobuf.Service[] = [];
  collectServices(root, services);
  const models = services
    .filter((s) => s.filename !== null && mains.has(protobuf.util.path.normalize(s.filename)))
    .map((s) => ({
      fullName: s.fullName.replace(/^\./, ""),
      name: s.name,
      comment: cleanComment(s.comment),
      methods: s.methodsArray.map((m) => {
        m.resolve();
        return {
          name: m.name,
          kind: kindOf(m),
          input: messageModel(m.resolvedRequestType!),
          output: messageModel(m.resolvedResponseType!),
          comment: cleanComment(m.comment),
        };
      }),
    }));
  return { services: models, descriptor: root.toJSON() };
}
