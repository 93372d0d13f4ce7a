/**
 * gRPC server reflection `grpc.reflection.v1.ServerReflection`
 * (grpc doc/server-reflection.md), so generic tools (grpcurl, Postman,
 * grpcui) can list a server's services and download their descriptors.
 *
 * @module
 */

import { Stream } from "effect";
import protobuf from "protobufjs";
import descriptorExt from "protobufjs/ext/descriptor/index.js";
import { REFLECTION_PROTO } from "./_protos.ts";
import { Code } from "./code.ts";
import { implement, type ServiceImplementation } from "./server.ts";
import {
  type BidiStreaming,
  parseProto,
  type ServiceDescriptor,
  serviceFromRoot,
} from "./service.ts";

/** `grpc.reflection.v1.ServerReflectionRequest` (the fields we answer). */
export interface ReflectionRequest {
  /** Unused. */
  host?: string;
  /** Which request this is. */
  message_request?: string;
  /** A file name from an earlier answer. */
  file_by_filename?: string;
  /** A fully-qualified symbol: service, method, message or enum. */
  file_containing_symbol?: string;
  /** Any value: list the services. */
  list_services?: string;
  /** Extension lookups (answered NOT_FOUND: proto3 has no extensions). */
  file_containing_extension?: unknown;
  /** Extension numbers (answered NOT_FOUND). */
  all_extension_numbers_of_type?: string;
}

/** `grpc.reflection.v1.ServerReflectionResponse`. */
export interface ReflectionResponse {
  /** Echo of the host. */
  valid_host?: string;
  /** The request answered. */
  original_request?: ReflectionRequest;
  /** Serialized FileDescriptorProtos. */
  file_descriptor_response?: { file_descriptor_proto: Uint8Array[] };
  /** The services. */
  list_services_response?: { service: Array<{ name: string }> };
  /** A failed lookup. */
  error_response?: { error_code: number; error_message: string };
}

/** The method specs of `grpc.reflection.v1.ServerReflection`. */
export type ReflectionSpec = {
  ServerReflectionInfo: BidiStreaming<ReflectionRequest, ReflectionResponse>;
};

const reflectionRoot = parseProto(REFLECTION_PROTO);

/** The `grpc.reflection.v1.ServerReflection` descriptor. */
export const ReflectionService: ServiceDescriptor<ReflectionSpec> = serviceFromRoot<ReflectionSpec>(
  reflectionRoot,
  "grpc.reflection.v1.ServerReflection",
);

// protobufjs' descriptor extension: adds toDescriptor() to reflection objects and exports the
// google.protobuf descriptor message types.
// deno-lint-ignore no-explicit-any
const desc = descriptorExt as any;
// deno-lint-ignore no-explicit-any
type Any = any;

const strip = (fullName: string) => fullName.replace(/^\./, "");

/**
 * The file name a reflection object is published under: the path after the
 * last `/proto/` directory when it was loaded from disk (so imports match the
 * names `protoc -I proto` would use), else `<package>.proto`.
 */
function defaultFileName(obj: protobuf.ReflectionObject): string {
  const f = obj.filename;
  if (f) {
    const norm = f.replace(/\\/g, "/");
    const i = norm.lastIndexOf("/proto/");
    return i >= 0 ? norm.slice(i + 7) : norm.slice(norm.lastIndexOf("/") + 1);
  }
  const pkg = obj.parent ? strip(obj.parent.fullName) : "";
  return `${pkg || "root"}.proto`;
}

interface FileEntry {
  readonly name: string;
  readonly pkg: string;
  readonly messages: Any[];
  readonly enums: Any[];
  readonly services: Any[];
  readonly deps: Set<string>;
  bytes?: Uint8Array;
}

/** Builds FileDescriptorProtos per source file, with fully-qualified type names. */
class DescriptorIndex {
  readonly files = new Map<string, FileEntry>();
  readonly symbols = new Map<string, string>();

  add(root: protobuf.Root): void {
    this.#walk(root);
  }

  #file(obj: protobuf.ReflectionObject): FileEntry {
    const name = defaultFileName(obj);
    let f = this.files.get(name);
    if (f === undefined) {
      const pkg = obj.parent ? strip(obj.parent.fullName) : "";
      f = { name, pkg, messages: [], enums: [], services: [], deps: new Set() };
      this.files.set(name, f);
    }
    return f;
  }

  #walk(ns: protobuf.NamespaceBase): void {
    for (const obj of ns.nestedArray) {
      if (obj instanceof protobuf.Type) {
        const file = this.#file(obj);
        if (this.symbols.has(strip(obj.fullName))) continue;
        const d = (obj as Any).toDescriptor("proto3");
        this.#fixType(obj, d, file);
        file.messages.push(d);
        this.#indexType(obj, file.name);
      } else if (obj instanceof protobuf.Enum) {
        const file = this.#file(obj);
        if (this.symbols.has(strip(obj.fullName))) continue;
        file.enums.push((obj as Any).toDescriptor());
        this.symbols.set(strip(obj.fullName), file.name);
      } else if (obj instanceof protobuf.Service) {
        const file = this.#file(obj);
        if (this.symbols.has(strip(obj.fullName))) continue;
        const d = (obj as Any).toDescriptor();
        obj.methodsArray.forEach((m, i) => {
          m.resolve();
          d.method[i].inputType = m.resolvedRequestType!.fullName;
          d.method[i].outputType = m.resolvedResponseType!.fullName;
          this.#dep(file, m.resolvedRequestType!);
          this.#dep(file, m.resolvedResponseType!);
          this.symbols.set(`${strip(obj.fullName)}.${m.name}`, file.name);
        });
        file.services.push(d);
        this.symbols.set(strip(obj.fullName), file.name);
      } else if (obj instanceof protobuf.Namespace) {
        this.#walk(obj);
      }
    }
  }

  #indexType(type: protobuf.Type, fileName: string): void {
    this.symbols.set(strip(type.fullName), fileName);
    for (const n of type.nestedArray) {
      if (n instanceof protobuf.Type) this.#indexType(n, fileName);
      else if (n instanceof protobuf.Enum) this.symbols.set(strip(n.fullName), fileName);
    }
  }

  #dep(file: FileEntry, target: protobuf.ReflectionObject): void {
    const other = defaultFileName(target);
    if (other !== file.name) file.deps.add(other);
  }

  // protobufjs writes type names relative to the parent; make them fully qualified
  // (".pkg.Type", as protoc does) so clients resolve them without scoping rules.
  #fixType(type: protobuf.Type, d: Any, file: FileEntry): void {
    type.resolveAll();
    type.fieldsArray.forEach((field, i) => {
      const fd = d.field[i];
      if (field instanceof protobuf.MapField) {
        const entry = d.nestedType.find((n: Any) => n.name === fd.typeName);
        fd.typeName = `${type.fullName}.${fd.typeName}`;
        if (entry && field.resolvedType) {
          entry.field[1].typeName = field.resolvedType.fullName;
          this.#dep(file, field.resolvedType);
        }
      } else if (field.resolvedType) {
        fd.typeName = field.resolvedType.fullName;
        this.#dep(file, field.resolvedType);
      }
    });
    for (const n of type.nestedArray) {
      if (n instanceof protobuf.Type) {
        const nd = d.nestedType.find((x: Any) => x.name === n.name && !x.options?.mapEntry);
        if (nd) this.#fixType(n, nd, file);
      }
    }
  }

  bytes(name: string): Uint8Array | undefined {
    const f = this.files.get(name);
    if (f === undefined) return undefined;
    if (f.bytes === undefined) {
      const proto = desc.FileDescriptorProto.create({
        name: f.name,
        package: f.pkg,
        dependency: [...f.deps],
        messageType: f.messages,
        enumType: f.enums,
        service: f.services,
        syntax: "proto3",
      });
      f.bytes = desc.FileDescriptorProto.encode(proto).finish() as Uint8Array;
    }
    return f.bytes;
  }

  /** The file and everything it depends on, each once, dependencies last. */
  closure(name: string): Uint8Array[] {
    const seen = new Set<string>();
    const out: Uint8Array[] = [];
    const visit = (n: string) => {
      if (seen.has(n)) return;
      seen.add(n);
      const b = this.bytes(n);
      if (b === undefined) return;
      out.push(b);
      for (const d of this.files.get(n)!.deps) visit(d);
    };
    visit(name);
    return out;
  }
}

function makeAnswer(
  services: readonly ServiceDescriptor[],
  published: readonly ServiceDescriptor[],
): (req: ReflectionRequest) => ReflectionResponse {
  const index = new DescriptorIndex();
  const roots = new Set<protobuf.Root>();
  for (const s of [...services, ...published]) if (s.root) roots.add(s.root);
  for (const r of roots) index.add(r);
  const names = [...new Set([...services, ...published].map((s) => s.name))].sort();

  return (req) => {
    const base = { valid_host: req.host ?? "", original_request: req };
    const notFound = (what: string): ReflectionResponse => ({
      ...base,
      error_response: { error_code: Code.NOT_FOUND, error_message: `${what} not found` },
    });
    switch (req.message_request) {
      case "list_services":
        return { ...base, list_services_response: { service: names.map((name) => ({ name })) } };
      case "file_by_filename": {
        const files = index.closure(req.file_by_filename ?? "");
        return files.length === 0
          ? notFound(`File "${req.file_by_filename}"`)
          : { ...base, file_descriptor_response: { file_descriptor_proto: files } };
      }
      case "file_containing_symbol": {
        const file = index.symbols.get(strip(req.file_containing_symbol ?? ""));
        return file === undefined
          ? notFound(`Symbol "${req.file_containing_symbol}"`)
          : { ...base, file_descriptor_response: { file_descriptor_proto: index.closure(file) } };
      }
      default:
        return notFound("Extension");
    }
  };
}

/**
 * The reflection service (v1) for a server's services. List it among the
 * server's services; it describes every service given here, plus itself.
 *
 * @param services The services to describe (each must come from a protobufjs root).
 * @returns The implementation to pass to `makeServer`.
 */
export function reflectionImplementation(
  services: readonly ServiceDescriptor[],
): ServiceImplementation {
  const answer = makeAnswer(services, [ReflectionService]);
  return implement(ReflectionService, {
    ServerReflectionInfo: (requests) => requests.pipe(Stream.map(answer)),
  });
}

/** `grpc.reflection.v1alpha.ServerReflection`: the same protocol under its older name. */
export const ReflectionServiceV1Alpha: ServiceDescriptor<ReflectionSpec> = serviceFromRoot<
  ReflectionSpec
>(
  parseProto(
    REFLECTION_PROTO.replace("package grpc.reflection.v1;", "package grpc.reflection.v1alpha;"),
  ),
  "grpc.reflection.v1alpha.ServerReflection",
);

/**
 * Reflection under both names, v1 and v1alpha: older tools (and grpcurl
 * before 1.8.8) only ask v1alpha. Spread the result into `makeServer`'s list.
 *
 * @param services The services to describe.
 * @returns The v1 and v1alpha implementations.
 */
export function reflectionImplementations(
  services: readonly ServiceDescriptor[],
): ServiceImplementation[] {
  const answer = makeAnswer(services, [ReflectionService, ReflectionServiceV1Alpha]);
  const handlers = {
    ServerReflectionInfo: (requests: Stream.Stream<ReflectionRequest, unknown>) =>
      requests.pipe(Stream.map(answer)),
  };
  return [implement(ReflectionService, handlers), implement(ReflectionServiceV1Alpha, handlers)];
}

/** Re-exported for tests and tools that decode reflection answers. */
export const FileDescriptorProto: {
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options?: protobuf.IConversionOptions): Record<string, unknown>;
} = desc.FileDescriptorProto;
