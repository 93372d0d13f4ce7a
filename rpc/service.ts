/**
 * Service and method descriptors, built from `.proto` definitions loaded at
 * run time with protobufjs, and the type-level specs that make handlers and
 * clients typed.
 *
 * @module
 */

import protobuf from "protobufjs";
import { DEFAULT_OBJECT_OPTIONS, type ProtobufObjectOptions, protobufSerializer } from "./codec.ts";
import type { Serializer } from "./codec.ts";

/** The four gRPC call kinds. */
export type MethodKind = "unary" | "server_streaming" | "client_streaming" | "bidi_streaming";

/** Type-level spec of a unary method: one request, one response. */
export interface Unary<I, O> {
  /** Discriminant. */
  readonly kind: "unary";
  /** Request message type (phantom). */
  readonly input: I;
  /** Response message type (phantom). */
  readonly output: O;
}
/** Type-level spec of a server-streaming method: one request, a response stream. */
export interface ServerStreaming<I, O> {
  /** Discriminant. */
  readonly kind: "server_streaming";
  /** Request message type (phantom). */
  readonly input: I;
  /** Response message type (phantom). */
  readonly output: O;
}
/** Type-level spec of a client-streaming method: a request stream, one response. */
export interface ClientStreaming<I, O> {
  /** Discriminant. */
  readonly kind: "client_streaming";
  /** Request message type (phantom). */
  readonly input: I;
  /** Response message type (phantom). */
  readonly output: O;
}
/** Type-level spec of a bidirectional-streaming method. */
export interface BidiStreaming<I, O> {
  /** Discriminant. */
  readonly kind: "bidi_streaming";
  /** Request message type (phantom). */
  readonly input: I;
  /** Response message type (phantom). */
  readonly output: O;
}

/** Any method spec. */
export type AnyMethodSpec = {
  readonly kind: MethodKind;
  // deno-lint-ignore no-explicit-any
  readonly input: any;
  // deno-lint-ignore no-explicit-any
  readonly output: any;
};

/**
 * A service's method specs by method name (as in the `.proto`), used to type
 * handlers and clients, e.g.
 * `{ SayHello: Unary<HelloRequest, HelloReply>; Chat: BidiStreaming<Msg, Msg> }`.
 */
export type ServiceSpec = { readonly [method: string]: AnyMethodSpec };

/**
 * Everything the wire needs about one method: its `:path`
 * (`/package.Service/Method`), kind and message serializers.
 */
export interface MethodDescriptor<I = unknown, O = unknown, K extends MethodKind = MethodKind> {
  /** Fully-qualified service name, e.g. `"grpc.testing.TestService"`. */
  readonly service: string;
  /** Method name, e.g. `"UnaryCall"`. */
  readonly name: string;
  /** The HTTP/2 `:path`, `"/" + service + "/" + name`. */
  readonly path: string;
  /** Call kind. */
  readonly kind: K;
  /** Request serializer. */
  readonly input: Serializer<I>;
  /** Response serializer. */
  readonly output: Serializer<O>;
  /** Fully-qualified request type name. */
  readonly inputType: string;
  /** Fully-qualified response type name. */
  readonly outputType: string;
}

/** A service: its name, its methods, and the protobufjs root it came from (for reflection). */
export interface ServiceDescriptor<S extends ServiceSpec = ServiceSpec> {
  /** Fully-qualified service name. */
  readonly name: string;
  /** Method descriptors by method name. */
  readonly methods: {
    readonly [K in keyof S]: MethodDescriptor<S[K]["input"], S[K]["output"], S[K]["kind"]>;
  };
  /** The protobufjs root defining the service, when it came from one. */
  readonly root?: protobuf.Root;
}

/** Options of {@link serviceFromRoot}. */
export interface ServiceFromRootOptions {
  /** `toObject` options for decoded messages (default {@link DEFAULT_OBJECT_OPTIONS}). */
  readonly objectOptions?: ProtobufObjectOptions;
}

/**
 * Builds a service descriptor from a protobufjs root, looking the service up
 * by its fully-qualified name. Messages are plain objects whose keys follow the
 * root's parse options (the loaders here keep the `.proto` field names).
 *
 * @typeParam S The service's method specs, for typed handlers and clients.
 * @param root A resolved protobufjs root.
 * @param fullName e.g. `"grpc.testing.TestService"`.
 * @param options Object conversion options.
 * @returns The service descriptor.
 * @throws {Error} When the service is not in the root.
 */
export function serviceFromRoot<S extends ServiceSpec = ServiceSpec>(
  root: protobuf.Root,
  fullName: string,
  options: ServiceFromRootOptions = {},
): ServiceDescriptor<S> {
  const service = root.lookupService(fullName);
  service.resolveAll();
  const objectOptions = options.objectOptions ?? DEFAULT_OBJECT_OPTIONS;
  const name = service.fullName.replace(/^\./, "");
  const methods: Record<string, MethodDescriptor> = {};
  for (const m of service.methodsArray) {
    const req = m.resolvedRequestType!;
    const res = m.resolvedResponseType!;
    const kind: MethodKind = m.requestStream
      ? (m.responseStream ? "bidi_streaming" : "client_streaming")
      : (m.responseStream ? "server_streaming" : "unary");
    methods[m.name] = {
      service: name,
      name: m.name,
      path: `/${name}/${m.name}`,
      kind,
      input: protobufSerializer(req, objectOptions),
      output: protobufSerializer(res, objectOptions),
      inputType: req.fullName.replace(/^\./, ""),
      outputType: res.fullName.replace(/^\./, ""),
    };
  }
  return { name, methods: methods as ServiceDescriptor<S>["methods"], root };
}

/**
 * Parses `.proto` source text into a root (no file access needed). Field names
 * are kept as written (`keepCase`), so messages use the `.proto` names and
 * reflection describes them faithfully.
 *
 * @param sources `.proto` texts; later ones may use types from earlier ones.
 * @returns The resolved root.
 */
export function parseProto(...sources: string[]): protobuf.Root {
  const root = new protobuf.Root();
  for (const s of sources) protobuf.parse(s, root, { keepCase: true });
  root.resolveAll();
  return root;
}

/** Options of {@link loadProto}. */
export interface LoadProtoOptions {
  /**
   * Directories that `import` paths are relative to (like `protoc -I`); tried in
   * order, then the importing file's own directory.
   */
  readonly includeDirs?: readonly string[];
}

/**
 * Loads `.proto` files (and their imports) from disk; needs read permission.
 *
 * @param paths File paths.
 * @param options Include directories.
 * @returns The resolved root.
 */
export async function loadProto(
  paths: string | readonly string[],
  options: LoadProtoOptions = {},
): Promise<protobuf.Root> {
  const root = new protobuf.Root();
  const includes = options.includeDirs ?? [];
  if (includes.length > 0) {
    const fallback = root.resolvePath.bind(root);
    root.resolvePath = (origin: string, target: string) => {
      if (target.startsWith("/")) return target;
      for (const dir of includes) {
        const candidate = `${dir.replace(/\/+$/, "")}/${target}`;
        try {
          Deno.statSync(candidate);
          return candidate;
        } catch {
          // not in this include dir
        }
      }
      return fallback(origin, target);
    };
  }
  await root.load(typeof paths === "string" ? [paths] : [...paths], { keepCase: true });
  root.resolveAll();
  return root;
}

/**
 * The shape of a message class generated by protobufjs-cli (`pbjs -t
 * static-module`), or of a runtime `protobuf.Type`: static `encode(...).finish()`
 * and `decode(bytes)`.
 */
export interface MessageClassLike<T> {
  /** Encodes a message (or a plain object with its fields). */
  encode(message: T): { finish(): Uint8Array };
  /** Decodes a message. */
  decode(bytes: Uint8Array): T;
}

/** How one method is declared for {@link defineService}. */
export interface MethodDefinition<I, O, K extends MethodKind> {
  /** Call kind. */
  readonly kind: K;
  /** Request codec: a generated message class or a {@link Serializer}. */
  readonly input: MessageClassLike<I> | Serializer<I>;
  /** Response codec: a generated message class or a {@link Serializer}. */
  readonly output: MessageClassLike<O> | Serializer<O>;
  /** Fully-qualified request type name, e.g. `"pkg.HelloRequest"` (default `""`). */
  readonly inputType?: string;
  /** Fully-qualified response type name, e.g. `"pkg.HelloReply"` (default `""`). */
  readonly outputType?: string;
}

type InferMessage<C> = C extends Serializer<infer T> ? T
  : C extends MessageClassLike<infer T> ? T
  : never;

/** The service spec {@link defineService} infers from its method definitions. */
export type SpecOf<M extends Record<string, MethodDefinition<unknown, unknown, MethodKind>>> = {
  readonly [K in keyof M]: {
    readonly kind: M[K]["kind"];
    readonly input: InferMessage<M[K]["input"]>;
    readonly output: InferMessage<M[K]["output"]>;
  };
};

/**
 * The method definitions {@link defineService} takes for a given spec: pass it
 * as the type argument (`defineService<MethodDefinitionsOf<Spec>>(...)`) to
 * check generated classes against a declared spec (requests typed by their
 * field interface, responses by their class) rather than inferring one.
 */
export type MethodDefinitionsOf<S extends ServiceSpec> = {
  readonly [K in keyof S]: MethodDefinition<S[K]["input"], S[K]["output"], S[K]["kind"]>;
};

function toSerializer<T>(codec: MessageClassLike<T> | Serializer<T>): Serializer<T> {
  if ("serialize" in codec) return codec;
  return {
    serialize: (value) => codec.encode(value).finish(),
    deserialize: (bytes) => codec.decode(bytes),
  };
}

/** Options of {@link defineService}. */
export interface DefineServiceOptions {
  /**
   * The protobufjs JSON form (`Root#toJSON()`) of the `.proto` files declaring
   * the service, so server reflection can describe it (the descriptor's
   * `root`). Generated service modules pass it; one root is built per object.
   */
  readonly descriptor?: protobuf.INamespace;
}

const rootsByDescriptor = new WeakMap<object, protobuf.Root>();

/**
 * Gives every type, enum and service of a JSON-built root (which knows no
 * files) the file of its package, `"<package>.proto"`, nested ones that of
 * their outermost message: reflection then groups them per package file
 * instead of inventing one file per enclosing message.
 */
function assignFiles(ns: protobuf.NamespaceBase, inherited: string | undefined): void {
  const own = inherited ?? `${ns.fullName.replace(/^\./, "") || "root"}.proto`;
  for (const obj of ns.nestedArray) {
    if (obj instanceof protobuf.Type) {
      obj.filename = own;
      assignFiles(obj, own);
    } else if (obj instanceof protobuf.Enum || obj instanceof protobuf.Service) {
      obj.filename = own;
    } else if (obj instanceof protobuf.Namespace) {
      assignFiles(obj, undefined);
    }
  }
}

function rootOf(descriptor: protobuf.INamespace, fullName: string): protobuf.Root {
  let root = rootsByDescriptor.get(descriptor);
  if (root === undefined) {
    root = protobuf.Root.fromJSON(descriptor);
    root.resolveAll();
    assignFiles(root, undefined);
    rootsByDescriptor.set(descriptor, root);
  }
  // Fails early, and with the service's name, when the descriptor is not the service's.
  root.lookupService(fullName);
  return root;
}

/**
 * Declares a service from message codecs instead of a `.proto` file: use it
 * with classes generated by protobufjs-cli (`pbjs -t static-module` + `pbts`
 * give the types), so handlers and clients are typed by the generated
 * classes; `tools/proto_gen.ts` (`deno task gen:proto`) writes such
 * declarations for every service of a `.proto`. Messages are the generated
 * class instances, not plain objects. Server reflection describes the service
 * only when `options.descriptor` is given (it lists it in any case).
 *
 * @typeParam M The method definitions; the spec is inferred from them.
 * @param fullName The fully-qualified service name, e.g. `"pkg.Greeter"`.
 * @param methods Method definitions by the method names of the `.proto`.
 * @param options The JSON descriptor, for reflection.
 * @returns The service descriptor.
 * @throws {Error} When `options.descriptor` does not declare the service.
 */
export function defineService<
  M extends Record<string, MethodDefinition<unknown, unknown, MethodKind>>,
>(fullName: string, methods: M, options: DefineServiceOptions = {}): ServiceDescriptor<SpecOf<M>> {
  const out: Record<string, MethodDescriptor> = {};
  for (const [name, def] of Object.entries(methods)) {
    out[name] = {
      service: fullName,
      name,
      path: `/${fullName}/${name}`,
      kind: def.kind,
      input: toSerializer(def.input),
      output: toSerializer(def.output),
      inputType: def.inputType ?? "",
      outputType: def.outputType ?? "",
    };
  }
  const service: ServiceDescriptor<SpecOf<M>> = {
    name: fullName,
    methods: out as ServiceDescriptor<SpecOf<M>>["methods"],
  };
  if (options.descriptor === undefined) return service;
  return { ...service, root: rootOf(options.descriptor, fullName) };
}
