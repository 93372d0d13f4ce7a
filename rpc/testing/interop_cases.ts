/**
 * The standard gRPC interop client cases (grpc
 * doc/interop-test-descriptions.md) as Effects over any transport, so the same
 * code checks our server in memory and, later, real peers over HTTP/2
 * (`examples/interop_client.ts`).
 *
 * @module
 */

import { Cause, Effect, Exit, Fiber, Queue, Stream } from "effect";
import { makeClient } from "../client.ts";
import { Code, codeName } from "../code.ts";
import type { ClientTransport } from "../exchange.ts";
import { Metadata } from "../metadata.ts";
import { RpcError } from "../status.ts";
import type { StreamingOutputCallRequest, TestingServices } from "./test_service.ts";

/** A failed interop expectation. */
export class InteropFailure extends Error {
  /** `"InteropFailure"`. */
  override get name(): string {
    return "InteropFailure";
  }
}

/** The names of the cases in {@link interopCases}, in the order the suite lists them. */
export const INTEROP_CASE_NAMES = [
  "empty_unary",
  "large_unary",
  "client_streaming",
  "server_streaming",
  "ping_pong",
  "empty_stream",
  "custom_metadata",
  "status_code_and_message",
  "special_status_message",
  "unimplemented_method",
  "unimplemented_service",
  "cancel_after_begin",
  "cancel_after_first_response",
  "timeout_on_sleeping_server",
  "client_compressed_unary",
  "server_compressed_unary",
] as const;

/** One interop case name. */
export type InteropCaseName = (typeof INTEROP_CASE_NAMES)[number];

function check(condition: boolean, message: string): Effect.Effect<void, InteropFailure> {
  return condition ? Effect.void : Effect.fail(new InteropFailure(message));
}

function expectStatus<A>(
  effect: Effect.Effect<A, RpcError>,
  code: Code,
  message?: string,
): Effect.Effect<void, InteropFailure> {
  return Effect.exit(effect).pipe(
    Effect.flatMap((exit) => {
      if (Exit.isSuccess(exit)) {
        return Effect.fail(new InteropFailure(`Expected ${codeName(code)}, call succeeded`));
      }
      const fail = exit.cause.reasons.find(Cause.isFailReason);
      const err = fail?.error;
      if (!(err instanceof RpcError)) {
        return Effect.fail(new InteropFailure(`Expected ${codeName(code)}, got ${exit.cause}`));
      }
      if (err.code !== code) {
        return Effect.fail(
          new InteropFailure(`Expected ${codeName(code)}, got ${err.codeName}: ${err.message}`),
        );
      }
      if (message !== undefined && err.message !== message) {
        return Effect.fail(
          new InteropFailure(
            `Expected message ${JSON.stringify(message)}, got ${JSON.stringify(err.message)}`,
          ),
        );
      }
      return Effect.void;
    }),
  );
}

const zeros = (n: number) => ({ type: 0, body: new Uint8Array(n) });

/** The special_status_message text: tab, CR/LF, BMP and non-BMP characters. */
export const SPECIAL_STATUS_MESSAGE =
  "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n";

/**
 * Wraps a transport to record the compressed flag of every response message
 * that starts a body chunk (enough for unary responses), for
 * server_compressed_unary.
 */
function flagRecorder(transport: ClientTransport): {
  transport: ClientTransport;
  flags: number[];
} {
  const flags: number[] = [];
  return {
    flags,
    transport: (request) =>
      Effect.map(transport(request), (response) => ({
        ...response,
        body: response.body.pipe(
          Stream.tap((chunk) =>
            Effect.sync(() => {
              if (flags.length === 0 && chunk.length > 0) flags.push(chunk[0]);
            })
          ),
        ),
      })),
  };
}

/**
 * Builds the interop cases against `transport`.
 *
 * @param services The grpc.testing service descriptors.
 * @param transport Where the calls go.
 * @returns Each case as an Effect that fails with {@link InteropFailure} or {@link RpcError}.
 */
export function interopCases(
  services: TestingServices,
  transport: ClientTransport,
): Record<InteropCaseName, Effect.Effect<void, InteropFailure | RpcError>> {
  const client = makeClient(services.testService, transport);
  const unimplemented = makeClient(services.unimplementedService, transport);

  const pingPongSizes: Array<[number, number]> = [[31415, 27182], [9, 8], [2653, 1828], [
    58979,
    45904,
  ]];

  return {
    empty_unary: Effect.gen(function* () {
      const res = yield* client.EmptyCall({});
      yield* check(Object.keys(res).length === 0, "EmptyCall returned fields");
    }),

    large_unary: Effect.gen(function* () {
      const res = yield* client.UnaryCall({ response_size: 314159, payload: zeros(271828) });
      const body = res.payload?.body;
      yield* check(body?.length === 314159, `Payload size ${body?.length}, want 314159`);
      yield* check(body!.every((b) => b === 0), "Payload is not all zeros");
    }),

    client_streaming: Effect.gen(function* () {
      const res = yield* client.StreamingInputCall(
        Stream.fromIterable([27182, 8, 1828, 45904].map((n) => ({ payload: zeros(n) }))),
      );
      yield* check(
        res.aggregated_payload_size === 74922,
        `Aggregated ${res.aggregated_payload_size}, want 74922`,
      );
    }),

    server_streaming: Effect.gen(function* () {
      const sizes = [31415, 9, 2653, 58979];
      const got = yield* Stream.runCollect(
        client.StreamingOutputCall({ response_parameters: sizes.map((size) => ({ size })) }),
      );
      const lens = Array.from(got, (r) => r.payload?.body?.length ?? 0);
      yield* check(lens.join() === sizes.join(), `Got sizes ${lens}, want ${sizes}`);
    }),

    ping_pong: Effect.scoped(Effect.gen(function* () {
      const requests = yield* Queue.unbounded<StreamingOutputCallRequest, Cause.Done>();
      const responses = yield* Queue.unbounded<
        { payload?: { body?: Uint8Array } | null },
        RpcError | Cause.Done
      >();
      yield* Effect.forkScoped(
        Stream.runIntoQueue(client.FullDuplexCall(Stream.fromQueue(requests)), responses),
      );
      for (const [out, inp] of pingPongSizes) {
        yield* Queue.offer(requests, { response_parameters: [{ size: out }], payload: zeros(inp) });
        const res = yield* Queue.take(responses).pipe(
          Effect.catchTag("Done", () => Effect.fail(new InteropFailure("Stream ended early"))),
        );
        yield* check(
          res.payload?.body?.length === out,
          `Got ${res.payload?.body?.length}, want ${out}`,
        );
      }
      yield* Queue.end(requests);
      const end = yield* Effect.exit(Queue.take(responses));
      yield* check(
        Exit.isFailure(end) &&
          end.cause.reasons.some((r) => Cause.isFailReason(r) && Cause.isDone(r.error)),
        "Expected the response stream to end after the last reply",
      );
    })),

    empty_stream: Effect.gen(function* () {
      const got = yield* Stream.runCollect(client.FullDuplexCall(Stream.empty));
      yield* check(Array.from(got).length === 0, "Expected no responses");
    }),

    custom_metadata: Effect.gen(function* () {
      const initial = "test_initial_metadata_value";
      const trailing = new Uint8Array([0xab, 0xab, 0xab]);
      const metadata = new Metadata({
        "x-grpc-test-echo-initial": initial,
        "x-grpc-test-echo-trailing-bin": trailing,
      });
      for (const kind of ["unary", "duplex"] as const) {
        let headers: Metadata | undefined;
        let trailers: Metadata | undefined;
        const options = {
          metadata,
          onHeaders: (m: Metadata) => (headers = m),
          onTrailers: (m: Metadata) => (trailers = m),
        };
        if (kind === "unary") {
          yield* client.UnaryCall({ response_size: 314159, payload: zeros(271828) }, options);
        } else {
          yield* Stream.runDrain(client.FullDuplexCall(
            Stream.make({ response_parameters: [{ size: 314159 }], payload: zeros(271828) }),
            options,
          ));
        }
        yield* check(
          headers?.get("x-grpc-test-echo-initial") === initial,
          `${kind}: initial metadata not echoed`,
        );
        const t = trailers?.get("x-grpc-test-echo-trailing-bin");
        yield* check(
          t instanceof Uint8Array && t.join() === trailing.join(),
          `${kind}: trailing metadata not echoed`,
        );
      }
    }),

    status_code_and_message: Effect.gen(function* () {
      const response_status = { code: 2, message: "test status message" };
      yield* expectStatus(
        client.UnaryCall({ response_status }),
        Code.UNKNOWN,
        response_status.message,
      );
      yield* expectStatus(
        Stream.runDrain(client.FullDuplexCall(Stream.make({ response_status }))),
        Code.UNKNOWN,
        response_status.message,
      );
    }),

    special_status_message: expectStatus(
      client.UnaryCall({ response_status: { code: 2, message: SPECIAL_STATUS_MESSAGE } }),
      Code.UNKNOWN,
      SPECIAL_STATUS_MESSAGE,
    ),

    unimplemented_method: expectStatus(client.UnimplementedCall({}), Code.UNIMPLEMENTED),

    unimplemented_service: expectStatus(unimplemented.UnimplementedCall({}), Code.UNIMPLEMENTED),

    cancel_after_begin: Effect.gen(function* () {
      // Our client reports a cancelled call as interruption of the calling fiber.
      const fiber = yield* Effect.forkChild(client.StreamingInputCall(Stream.never));
      yield* Effect.sleep(5);
      yield* Fiber.interrupt(fiber);
      const exit = yield* Fiber.await(fiber);
      yield* check(
        Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause),
        `Expected the call to be cancelled, got ${exit}`,
      );
    }),

    cancel_after_first_response: Effect.gen(function* () {
      // Taking one response and stopping closes the call's scope: RST_STREAM CANCEL.
      const first = yield* Stream.runCollect(
        client.FullDuplexCall(
          Stream.make({ response_parameters: [{ size: 31415 }], payload: zeros(27182) }).pipe(
            Stream.concat(Stream.never),
          ),
        ).pipe(Stream.take(1)),
      );
      const got = Array.from(first);
      yield* check(
        got.length === 1 && got[0].payload?.body?.length === 31415,
        "Bad first response",
      );
    }),

    timeout_on_sleeping_server: expectStatus(
      Stream.runDrain(
        client.FullDuplexCall(
          Stream.make({ payload: zeros(27182) }).pipe(Stream.concat(Stream.never)),
          { timeoutMs: 1 },
        ),
      ),
      Code.DEADLINE_EXCEEDED,
    ),

    client_compressed_unary: Effect.gen(function* () {
      const request = {
        response_size: 314159,
        payload: zeros(271828),
        expect_compressed: { value: true },
      };
      // Probe: claims compression but is sent uncompressed, must be rejected.
      yield* expectStatus(client.UnaryCall(request), Code.INVALID_ARGUMENT);
      const a = yield* client.UnaryCall(request, { compression: "gzip" });
      yield* check(a.payload?.body?.length === 314159, "Compressed call: bad payload");
      const b = yield* client.UnaryCall({ ...request, expect_compressed: { value: false } });
      yield* check(b.payload?.body?.length === 314159, "Uncompressed call: bad payload");
    }),

    server_compressed_unary: Effect.gen(function* () {
      for (const compressed of [true, false]) {
        const rec = flagRecorder(transport);
        const c = makeClient(services.testService, rec.transport);
        const res = yield* c.UnaryCall({
          response_size: 314159,
          payload: zeros(271828),
          response_compressed: { value: compressed },
        });
        yield* check(res.payload?.body?.length === 314159, "Bad payload");
        yield* check(
          rec.flags[0] === (compressed ? 1 : 0),
          `Response compressed flag ${rec.flags[0]}, want ${compressed ? 1 : 0}`,
        );
      }
    }),
  };
}
