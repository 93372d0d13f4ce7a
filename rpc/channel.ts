/**
 * A gRPC channel over h2kit's HTTP/2 client: one connection (a new one after
 * GOAWAY or loss) with the connectivity states of
 * grpc doc/connectivity-semantics-and-api.md, reconnection with gRPC
 * connection backoff (grpc doc/connection-backoff.md), fail-fast and
 * wait-for-ready calls (grpc doc/wait-for-ready.md) and transparent retry of
 * refused streams.
 *
 * @example A channel that starts before its server
 * ```ts
 * import { Effect } from "effect";
 * import { strict as assert } from "node:assert";
 * import { openChannel } from "./channel.ts";
 *
 * await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
 *   const channel = yield* openChannel("http://127.0.0.1:1", { backoff: { initialBackoffMs: 10 } });
 *   assert.equal(channel.state, "IDLE"); // lazy: nothing dialled yet
 * })));
 * ```
 *
 * @module
 */

import { Effect, type Scope } from "effect";
import { connect, type ConnectivityState } from "../net/client.ts";
import type { ClientTransport } from "./exchange.ts";
import { channelNetOptions, type ConnectRpcOptions, makeH2Transport } from "./h2_transport.ts";

export { ConnectivityState } from "../net/client.ts";
export { type HintedClientRequest, WaitForReady } from "./channel_hints.ts";

/** Options of {@link openChannel}: those of `connectRpc`, plus when to dial. */
export interface ChannelOptions extends Omit<ConnectRpcOptions, "lazy"> {
  /** Start connecting at once instead of with the first call. Default false (gRPC: IDLE). */
  readonly eager?: boolean;
}

/** A gRPC channel: a transport for `makeClient`, with its connectivity state. */
export interface RpcChannel {
  /** The transport for `makeClient` / `makePromiseClient`. */
  readonly transport: ClientTransport;
  /** The connectivity state now. */
  readonly state: ConnectivityState;
  /** Connections opened so far (one more after each reconnection). */
  readonly connectionsOpened: number;
  /**
   * Calls `listener` with each new state, synchronously as it changes.
   *
   * @param listener The observer.
   * @returns A function that removes it.
   */
  onStateChange(listener: (state: ConnectivityState) => void): () => void;
  /**
   * Waits until the state is no longer `from` (grpc `WaitForStateChange`); bound it with a
   * timeout. Resolves at once when the state already differs.
   *
   * @param from The state last seen.
   * @returns The new state.
   */
  waitForStateChange(from: ConnectivityState): Effect.Effect<ConnectivityState>;
  /** Starts connecting when IDLE (grpc `getState(true)`); a no-op otherwise. */
  connect(): void;
}

/**
 * Opens a gRPC channel to `url` for the lifetime of the current scope. Unlike `connectRpc` it
 * never fails: the channel starts IDLE (or CONNECTING with `eager`), connects with the first
 * call, and after a failed attempt goes to TRANSIENT_FAILURE and tries again with gRPC
 * connection backoff (defaults 1 s, x1.6, jitter 0.2, at most 120 s, 20 s minimum connect
 * timeout; see `backoff`) until it connects or the scope closes (SHUTDOWN). Calls made in
 * TRANSIENT_FAILURE fail at once with UNAVAILABLE unless they set `waitForReady`. A READY
 * channel whose connection is lost or receives GOAWAY goes back to IDLE and reconnects with
 * the next call.
 *
 * @param url The server's origin: `http:` for h2c, `https:` for TLS with ALPN h2.
 * @param options Trust anchors, keepalive, limits, backoff, default authority.
 * @returns The channel.
 */
export function openChannel(
  url: string | URL,
  options: ChannelOptions = {},
): Effect.Effect<RpcChannel, never, Scope.Scope> {
  return Effect.map(
    Effect.orDie(connect(url, { ...channelNetOptions(options), lazy: true })),
    (client) => {
      if (options.eager) client.connect();
      const waitForStateChange = (from: ConnectivityState) =>
        Effect.callback<ConnectivityState>((resume) => {
          if (client.state !== from) {
            resume(Effect.succeed(client.state));
            return;
          }
          const stop = client.onStateChange((state) => {
            stop();
            resume(Effect.succeed(state));
          });
          return Effect.sync(stop);
        });
      return {
        transport: makeH2Transport(client, options),
        get state() {
          return client.state;
        },
        get connectionsOpened() {
          return client.connectionsOpened;
        },
        onStateChange: (listener) => client.onStateChange(listener),
        waitForStateChange,
        connect: () => client.connect(),
      };
    },
  );
}
