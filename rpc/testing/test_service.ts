/**
 * The gRPC interop `grpc.testing.TestService`, implemented on h2kit's server
 * (grpc doc/interop-test-descriptions.md, "Server"). Used by the in-memory
 * interop tests and by `examples/interop_server.ts`.
 *
 * @module
 */

import { Effect, Stream } from "effect";
import type protobuf from "protobufjs";
import { Code, codeFromNumber } from "../code.ts";
import { isBinaryKey } from "../metadata.ts";
import type { ServerCallContext, ServiceImplementation } from "../server.ts";
import { implement } from "../server.ts";
import {
  type BidiStreaming,
  type ClientStreaming,
  loadProto,
  type ServerStreaming,
  type ServiceDescriptor,
  serviceFromRoot,
  type Unary,
} from "../service.ts";
import { RpcError } from "../status.ts";

/** `grpc.testing.Empty`. */
// deno-lint-ignore ban-types
export type Empty = {};
/** `grpc.testing.BoolValue`. */
export interface BoolValue {
  /** The value. */
  value?: boolean;
}
/** `grpc.testing.Payload`. */
export interface Payload {
  /** Always COMPRESSABLE (0). */
  type?: number;
  /** The bytes. */
  body?: Uint8Array;
}
/** `grpc.testing.EchoStatus`. */
export interface EchoStatus {
  /** Status code to answer with. */
  code?: number;
  /** Message to answer with. */
  message?: string;
}
/** `grpc.testing.SimpleRequest` (interop fields only). */
export interface SimpleRequest {
  /** Payload type. */
  response_type?: number;
  /** Size of the response payload. */
  response_size?: number;
  /** Request payload. */
  payload?: Payload | null;
  /** Whether to compress the response. */
  response_compressed?: BoolValue | null;
  /** Status the server should answer with. */
  response_status?: EchoStatus | null;
  /** Whether the request must have arrived compressed. */
  expect_compressed?: BoolValue | null;
}
/** `grpc.testing.SimpleResponse`. */
export interface SimpleResponse {
  /** The response payload. */
  payload?: Payload | null;
  /** Unused here. */
  username?: string;
}
/** `grpc.testing.StreamingInputCallRequest`. */
export interface StreamingInputCallRequest {
  /** The payload. */
  payload?: Payload | null;
  /** Whether this message must have arrived compressed. */
  expect_compressed?: BoolValue | null;
}
/** `grpc.testing.StreamingInputCallResponse`. */
export interface StreamingInputCallResponse {
  /** Sum of all payload sizes. */
  aggregated_payload_size?: number;
}
/** `grpc.testing.ResponseParameters`. */
export interface ResponseParameters {
  /** Payload size. */
  size?: number;
  /** Delay before sending, in microseconds. */
  interval_us?: number;
  /** Whether to compress this response. */
  compressed?: BoolValue | null;
}
/** `grpc.testing.StreamingOutputCallRequest`. */
export interface StreamingOutputCallRequest {
  /** Payload type. */
  response_type?: number;
  /** One entry per response to send. */
  response_parameters?: readonly ResponseParameters[];
  /** Request payload. */
  payload?: Payload | null;
  /** Status the server should answer with. */
  response_status?: EchoStatus | null;
}
/** `grpc.testing.StreamingOutputCallResponse`. */
export interface StreamingOutputCallResponse {
  /** The payload. */
  payload?: Payload | null;
}

/** The method specs of `grpc.testing.TestService`. */
export type TestServiceSpec = {
  EmptyCall: Unary<Empty, Empty>;
  UnaryCall: Unary<SimpleRequest, SimpleResponse>;
  CacheableUnaryCall: Unary<SimpleRequest, SimpleResponse>;
  StreamingOutputCall: ServerStreaming<StreamingOutputCallRequest, StreamingOutputCallResponse>;
  StreamingInputCall: ClientStreaming<StreamingInputCallRequest, StreamingInputCallResponse>;
  FullDuplexCall: BidiStreaming<StreamingOutputCallRequest, StreamingOutputCallResponse>;
  HalfDuplexCall: BidiStreaming<StreamingOutputCallRequest, StreamingOutputCallResponse>;
  UnimplementedCall: Unary<Empty, Empty>;
};

/** The method specs of `grpc.testing.UnimplementedService`. */
export type UnimplementedServiceSpec = { UnimplementedCall: Unary<Empty, Empty> };

/** The directory holding this repository's `.proto` files. */
export const PROTO_DIR: string = new URL("../../proto/", import.meta.url).pathname;

/**
 * Loads `grpc/testing/test.proto` (and its imports) from {@link PROTO_DIR};
 * needs read permission.
 *
 * @returns The root holding the grpc.testing package.
 */
export function loadTestingRoot(): Promise<protobuf.Root> {
  return loadProto(`${PROTO_DIR}grpc/testing/test.proto`, { includeDirs: [PROTO_DIR] });
}

/** The interop services, typed. */
export interface TestingServices {
  /** `grpc.testing.TestService`. */
  readonly testService: ServiceDescriptor<TestServiceSpec>;
  /** `grpc.testing.UnimplementedService`. */
  readonly unimplementedService: ServiceDescriptor<UnimplementedServiceSpec>;
}

/**
 * The interop service descriptors from a loaded root.
 *
 * @param root From {@link loadTestingRoot}.
 * @returns The descriptors.
 */
export function testingServices(root: protobuf.Root): TestingServices {
  return {
    testService: serviceFromRoot<TestServiceSpec>(root, "grpc.testing.TestService"),
    unimplementedService: serviceFromRoot<UnimplementedServiceSpec>(
      root,
      "grpc.testing.UnimplementedService",
    ),
  };
}

const ECHO_INITIAL = "x-grpc-test-echo-initial";
const ECHO_TRAILING = "x-grpc-test-echo-trailing-bin";

// Echo Metadata: copy the two well-known keys back as initial and trailing metadata.
function echoMetadata(ctx: ServerCallContext): void {
  const initial = ctx.requestMetadata.get(ECHO_INITIAL);
  if (initial !== undefined) ctx.responseHeaders.set(ECHO_INITIAL, initial);
  const trailing = ctx.requestMetadata.get(ECHO_TRAILING);
  if (trailing !== undefined && isBinaryKey(ECHO_TRAILING)) {
    ctx.responseTrailers.set(ECHO_TRAILING, trailing);
  }
}

function echoStatus(status: EchoStatus | null | undefined): Effect.Effect<void, RpcError> {
  if (status == null || !status.code) return Effect.void;
  return Effect.fail(
    new RpcError({ code: codeFromNumber(status.code), message: status.message ?? "" }),
  );
}

function checkCompressed(
  expect: BoolValue | null | undefined,
  ctx: ServerCallContext,
): Effect.Effect<void, RpcError> {
  if (expect?.value && !ctx.requestCompressed) {
    return Effect.fail(
      new RpcError({
        code: Code.INVALID_ARGUMENT,
        message: "Expected a compressed request message",
      }),
    );
  }
  return Effect.void;
}

// The largest payload the server agrees to build, so a hostile request cannot make it
// allocate without bound (the interop cases use at most 314,159 bytes).
const MAX_PAYLOAD = 8 * 1024 * 1024;

function payload(size: number | undefined): Effect.Effect<Payload, RpcError> {
  const n = size ?? 0;
  if (n < 0 || n > MAX_PAYLOAD) {
    return Effect.fail(
      new RpcError({ code: Code.INVALID_ARGUMENT, message: `Invalid payload size "${n}"` }),
    );
  }
  return Effect.succeed({ type: 0, body: new Uint8Array(n) });
}

function responses(
  request: StreamingOutputCallRequest,
  ctx: ServerCallContext,
): Stream.Stream<StreamingOutputCallResponse, RpcError> {
  return Stream.unwrap(
    Effect.as(
      echoStatus(request.response_status),
      Stream.fromIterable(request.response_parameters ?? []).pipe(
        Stream.mapEffect((p) =>
          Effect.gen(function* () {
            if (p.interval_us) yield* Effect.sleep(p.interval_us / 1000);
            ctx.setCompression(p.compressed?.value ?? false);
            return { payload: yield* payload(p.size) };
          })
        ),
      ),
    ),
  );
}

function unary(request: SimpleRequest, ctx: ServerCallContext) {
  return Effect.gen(function* () {
    echoMetadata(ctx);
    yield* checkCompressed(request.expect_compressed, ctx);
    yield* echoStatus(request.response_status);
    ctx.setCompression(request.response_compressed?.value ?? false);
    return { payload: yield* payload(request.response_size) } satisfies SimpleResponse;
  });
}

/**
 * The TestService handlers. `UnimplementedCall` is deliberately left out so
 * the server answers UNIMPLEMENTED, as the interop suite requires.
 *
 * @param services From {@link testingServices}.
 * @returns The implementation to pass to `makeServer`.
 */
export function testServiceImplementation(services: TestingServices): ServiceImplementation {
  return implement(services.testService, {
    EmptyCall: () => Effect.succeed({}),
    UnaryCall: unary,
    CacheableUnaryCall: unary,
    StreamingOutputCall: (request, ctx) => {
      echoMetadata(ctx);
      return responses(request, ctx);
    },
    StreamingInputCall: (requests, ctx) =>
      requests.pipe(
        Stream.runFoldEffect(
          () => 0,
          (sum, r) =>
            Effect.as(
              checkCompressed(r.expect_compressed, ctx),
              sum + (r.payload?.body?.length ?? 0),
            ),
        ),
        Effect.map((sum) => ({ aggregated_payload_size: sum })),
      ),
    FullDuplexCall: (requests, ctx) => {
      echoMetadata(ctx);
      return requests.pipe(Stream.flatMap((r) => responses(r, ctx)));
    },
    HalfDuplexCall: (requests, ctx) => {
      echoMetadata(ctx);
      return Stream.unwrap(
        Effect.map(
          Stream.runCollect(requests),
          (all) => Stream.fromIterable(all).pipe(Stream.flatMap((r) => responses(r, ctx))),
        ),
      );
    },
  });
}
