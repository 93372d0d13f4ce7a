/**
 * The standard health checking service `grpc.health.v1.Health`
 * (grpc doc/health-checking.md), ready to add to a server.
 *
 * @module
 */

import { Effect, Queue, Stream } from "effect";
import { HEALTH_PROTO } from "./_protos.ts";
import { Code } from "./code.ts";
import { implement, type ServiceImplementation } from "./server.ts";
import {
  parseProto,
  type ServerStreaming,
  type ServiceDescriptor,
  serviceFromRoot,
  type Unary,
} from "./service.ts";
import { RpcError } from "./status.ts";

/** `grpc.health.v1.HealthCheckResponse.ServingStatus`. */
export const ServingStatus = {
  UNKNOWN: 0,
  SERVING: 1,
  NOT_SERVING: 2,
  /** Sent only by Watch, for a service the server does not know (yet). */
  SERVICE_UNKNOWN: 3,
} as const;

/** A serving status value. */
export type ServingStatus = (typeof ServingStatus)[keyof typeof ServingStatus];

/** `grpc.health.v1.HealthCheckRequest`. */
export interface HealthCheckRequest {
  /** Service name; `""` means the whole server. */
  service?: string;
}
/** `grpc.health.v1.HealthCheckResponse`. */
export interface HealthCheckResponse {
  /** The status. */
  status?: number;
}

/** The method specs of `grpc.health.v1.Health`. */
export type HealthSpec = {
  Check: Unary<HealthCheckRequest, HealthCheckResponse>;
  Watch: ServerStreaming<HealthCheckRequest, HealthCheckResponse>;
};

/** The `grpc.health.v1.Health` descriptor (for clients and the server). */
export const HealthService: ServiceDescriptor<HealthSpec> = serviceFromRoot<HealthSpec>(
  parseProto(HEALTH_PROTO),
  "grpc.health.v1.Health",
);

/**
 * The statuses a health service reports, set by the application as its
 * services come and go. The server as a whole is the empty name `""`, which
 * starts as SERVING.
 */
export class HealthRegistry {
  readonly #status = new Map<string, ServingStatus>([["", ServingStatus.SERVING]]);
  readonly #watchers = new Map<string, Set<(s: ServingStatus) => void>>();

  /**
   * Sets a service's status and notifies its watchers.
   *
   * @param service Fully-qualified service name, or `""` for the server.
   * @param status The new status.
   */
  setStatus(service: string, status: ServingStatus): void {
    this.#status.set(service, status);
    for (const w of this.#watchers.get(service) ?? []) w(status);
  }

  /**
   * A service's status.
   *
   * @param service The name.
   * @returns The status, or undefined when unknown.
   */
  getStatus(service: string): ServingStatus | undefined {
    return this.#status.get(service);
  }

  /**
   * Sets every known service NOT_SERVING, for a graceful shutdown: load
   * balancers watching us move traffic away before we stop.
   */
  shutdown(): void {
    for (const name of [...this.#status.keys()]) this.setStatus(name, ServingStatus.NOT_SERVING);
  }

  /**
   * The service's status now and on every change (consecutive duplicates
   * dropped; a slow watcher sees the latest status, not every intermediate one).
   *
   * @param service The name.
   * @returns A never-ending stream of statuses.
   */
  watch(service: string): Stream.Stream<ServingStatus> {
    return Stream.callback<ServingStatus>(
      (queue) =>
        Effect.acquireRelease(
          Effect.sync(() => {
            const push = (s: ServingStatus) => {
              Queue.offerUnsafe(queue, s);
            };
            push(this.#status.get(service) ?? ServingStatus.SERVICE_UNKNOWN);
            let set = this.#watchers.get(service);
            if (set === undefined) this.#watchers.set(service, set = new Set());
            set.add(push);
            return push;
          }),
          (push) =>
            Effect.sync(() => {
              const set = this.#watchers.get(service);
              set?.delete(push);
              if (set?.size === 0) this.#watchers.delete(service);
            }),
        ),
      { bufferSize: 1, strategy: "sliding" },
    ).pipe(Stream.changes);
  }
}

/**
 * The health service implementation: Check answers NOT_FOUND for an unknown
 * service; Watch streams the status, SERVICE_UNKNOWN while unknown.
 *
 * @param registry Where statuses come from.
 * @returns The implementation to pass to `makeServer`.
 */
export function healthImplementation(registry: HealthRegistry): ServiceImplementation {
  return implement(HealthService, {
    Check: (req) => {
      const status = registry.getStatus(req.service ?? "");
      return status === undefined
        ? Effect.fail(
          new RpcError({ code: Code.NOT_FOUND, message: `Unknown service "${req.service}"` }),
        )
        : Effect.succeed({ status });
    },
    Watch: (req) => registry.watch(req.service ?? "").pipe(Stream.map((status) => ({ status }))),
  });
}
