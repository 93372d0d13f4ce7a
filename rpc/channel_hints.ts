/**
 * Per-call hints the gRPC client gives a channel transport (`makeH2Transport`)
 * beyond the exchange itself: wait-for-ready (grpc doc/wait-for-ready.md) and
 * whether the call expects a single response message. Other transports ignore
 * them.
 *
 * @module
 */

import { Context } from "effect";
import type { ClientRequest } from "./exchange.ts";

/**
 * Whether the call being started waits for the channel to become READY (true) or fails at
 * once with UNAVAILABLE while the channel is in TRANSIENT_FAILURE (false, gRPC's default).
 * `makeClient` provides it around the transport call of a call with `waitForReady: true`, and
 * channel transports (`makeH2Transport`) read it; other transports ignore it. The call's
 * deadline bounds the wait (DEADLINE_EXCEEDED).
 */
export class WaitForReady extends Context.Reference<boolean>("h2kit/rpc/WaitForReady", {
  defaultValue: () => false,
}) {}

/**
 * A {@link ClientRequest} with a hint about its answer: `singleResponse` is true for unary and
 * client-streaming calls, whose response is one message then the trailers. A transport may
 * then hand the response over once it has fully arrived rather than at its headers (one
 * wake-up per call). Transports that do not know the field ignore it.
 */
export interface HintedClientRequest extends ClientRequest {
  /** The call expects exactly one response message. */
  readonly singleResponse?: boolean;
}
