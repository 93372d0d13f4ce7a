/**
 * The gRPC interop `grpc.testing.TestService`, implemented on h2kit's server
 * (grpc doc/interop-test-descriptions.md, "Server"). Used by the in-memory
 * interop tests and by `examples/interop_server.ts`.
 *
 * @module
 */

import { Effect, type Pull, Stream } from "effect";
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

// The status a request asked the server to answer with, if any.
function statusFailure(status: EchoStatus | null | undefined): RpcError | undefined {
  if (status == null || !status.code) return undefined;
  return new RpcError({ code: codeFromNumber(status.code), message: status.message ?? "" });
}

// The failure for a request that had to arrive compressed and did not, if so.
function compressionFailure(
  expect: BoolValue | null | undefined,
  ctx: ServerCallContext,
): RpcError | undefined {
  if (expect?.value && !ctx.requestCompressed) {
    return new RpcError({
      code: Code.INVALID_ARGUMENT,
      message: "Expected a compressed request message",
    });
  }
  return undefined;
}

// The largest payload the server agrees to build, so a hostile request cannot make it
// allocate without bound (the interop cases use at most 314,159 bytes).
const MAX_PAYLOAD = 8 * 1024 * 1024;

// Payloads up to this size are shared per size: the bytes are only ever read (serialized into
// the response), and a fresh zeroed buffer per message costs an ArrayBuffer allocation and its
// collection, a large part of a small call. Bounded so that odd sizes cannot pin much memory.
const MAX_SHARED_PAYLOAD = 64 * 1024;
const MAX_SHARED_PAYLOAD_SIZES = 64;
const sharedPayloads = new Map<number, Payload>();

// The zero-filled payload of `size` bytes, or the status for an invalid size.
function payloadOf(size: number | undefined): Payload | RpcError {
  const n = size ?? 0;
  if (n < 0 || n > MAX_PAYLOAD) {
    return new RpcError({ code: Code.INVALID_ARGUMENT, message: `Invalid payload size "${n}"` });
  }
  if (n > MAX_SHARED_PAYLOAD) return { type: 0, body: new Uint8Array(n) };
  let shared = sharedPayloads.get(n);
  if (shared === undefined) {
    shared = Object.freeze({ type: 0, body: new Uint8Array(n) });
    if (sharedPayloads.size < MAX_SHARED_PAYLOAD_SIZES) sharedPayloads.set(n, shared);
  }
  return shared;
}

function payload(size: number | undefined): Effect.Effect<Payload, RpcError> {
  const p = payloadOf(size);
  return p instanceof RpcError ? Effect.fail(p) : Effect.succeed(p);
}

function responses(
  request: StreamingOutputCallRequest,
  ctx: ServerCallContext,
): Stream.Stream<StreamingOutputCallResponse, RpcError> {
  const failure = statusFailure(request.response_status);
  if (failure !== undefined) return Stream.fail(failure);
  const params = request.response_parameters ?? [];
  if (params.some((p) => p.interval_us || p.compressed?.value)) {
    // Delays and per-message compression act between messages: one element at a time.
    return Stream.fromIterable(params).pipe(
      Stream.mapEffect((p) =>
        Effect.gen(function* () {
          if (p.interval_us) yield* Effect.sleep(p.interval_us / 1000);
          ctx.setCompression(p.compressed?.value ?? false);
          return { payload: yield* payload(p.size) };
        })
      ),
    );
  }
  // Plain messages (the common case): every response at once, as one chunk, up to the first
  // invalid size, whose status then ends the stream.
  return Stream.suspend(() => {
    if (params.length > 0) ctx.setCompression(false);
    const out: StreamingOutputCallResponse[] = [];
    for (const p of params) {
      const body = payloadOf(p.size);
      if (body instanceof RpcError) {
        return Stream.concat(Stream.fromIterable(out), Stream.fail(body));
      }
      out.push({ payload: body });
    }
    return Stream.fromIterable(out);
  });
}

// FullDuplexCall's answers: the responses each request asks for, in order, as a pull over the
// requests (one stream stage, no inner stream per request). Runs of plain responses go out as
// one batch; one with a delay or per-message compression alone, as those act between
// messages. A request's status to echo, or an invalid size, ends the call after what came
// before it.
function duplexResponses(
  requests: Stream.Stream<StreamingOutputCallRequest, RpcError>,
  ctx: ServerCallContext,
): Stream.Stream<StreamingOutputCallResponse, RpcError> {
  return Stream.transformPull(requests, (pullRequests) => {
    // Response parameters of the requests read so far, not yet answered.
    let params: ResponseParameters[] = [];
    let at = 0;
    // The status that ends the call once `params` is done.
    let failure: RpcError | undefined;
    const afterRequests = (
      batch: ReadonlyArray<StreamingOutputCallRequest>,
    ): Pull.Pull<[StreamingOutputCallResponse, ...StreamingOutputCallResponse[]], RpcError> => {
      params = [];
      at = 0;
      for (const request of batch) {
        failure = statusFailure(request.response_status);
        if (failure !== undefined) break;
        const asked = request.response_parameters;
        if (asked !== undefined) { for (const p of asked) params.push(p); }
      }
      return pull;
    };
    const pull: Pull.Pull<
      [StreamingOutputCallResponse, ...StreamingOutputCallResponse[]],
      RpcError
    > = Effect.suspend(() => {
      if (at < params.length) {
        const first = params[at];
        if (first.interval_us || first.compressed?.value) {
          at++;
          const send = Effect.suspend(() => {
            ctx.setCompression(first.compressed?.value ?? false);
            const body = payloadOf(first.size);
            return body instanceof RpcError
              ? Effect.fail(body)
              : Effect.succeed<[StreamingOutputCallResponse]>([{ payload: body }]);
          });
          return first.interval_us
            ? Effect.andThen(Effect.sleep(first.interval_us / 1000), send)
            : send;
        }
        const out: StreamingOutputCallResponse[] = [];
        while (at < params.length) {
          const p = params[at];
          if (p.interval_us || p.compressed?.value) break;
          const body = payloadOf(p.size);
          if (body instanceof RpcError) {
            failure = body;
            params = [];
            at = 0;
            break;
          }
          out.push({ payload: body });
          at++;
        }
        if (out.length > 0) {
          ctx.setCompression(false);
          return Effect.succeed(
            out as [StreamingOutputCallResponse, ...StreamingOutputCallResponse[]],
          );
        }
      }
      if (failure !== undefined) return Effect.fail(failure);
      return Effect.flatMap(pullRequests, afterRequests);
    });
    return Effect.succeed(pull);
  });
}

// Plain code rather than `Effect.gen`: the interop benchmarks call it on every request, and a
// generator run costs more than everything else the handler does.
function unary(
  request: SimpleRequest,
  ctx: ServerCallContext,
): Effect.Effect<SimpleResponse, RpcError> {
  echoMetadata(ctx);
  const failure = compressionFailure(request.expect_compressed, ctx) ??
    statusFailure(request.response_status);
  if (failure !== undefined) return Effect.fail(failure);
  ctx.setCompression(request.response_compressed?.value ?? false);
  const body = payloadOf(request.response_size);
  return body instanceof RpcError ? Effect.fail(body) : Effect.succeed({ payload: body });
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
    StreamingInputCall: (requests, ctx) => {
      // A batch of requests at a time, in plain code: no Effect per message.
      let sum = 0;
      return Effect.map(
        Stream.runForEachArray(requests, (batch) => {
          for (const r of batch) {
            const failure = compressionFailure(r.expect_compressed, ctx);
            if (failure !== undefined) return Effect.fail(failure);
            sum += r.payload?.body?.length ?? 0;
          }
          return Effect.void;
        }),
        () => ({ aggregated_payload_size: sum }),
      );
    },
    FullDuplexCall: (requests, ctx) => {
      echoMetadata(ctx);
      return duplexResponses(requests, ctx);
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
