/**
 * A chat room over gRPC bidirectional streaming: `chat.ChatRoom` from
 * `examples/protos/chat.proto` (loaded at run time), served over h2kit's HTTP/2
 * (h2c, or TLS with ALPN h2).
 *
 * Each member holds one `Join` call: its first request message names it, later ones are said
 * to the room, and every event of the room (joins, messages, leaves, its own included) comes
 * back on the response stream. Ending the request stream, cancelling the call or dropping the
 * connection all leave the room, and the others see a LEFT notice.
 *
 * Slow members are bounded: each member has its own sliding inbox of `--inbox N` events
 * (default 256). Broadcasting never waits for anyone; when a member reads more slowly than the
 * room talks and its inbox is full, its oldest pending event is dropped, and the member sees
 * the gap in the events' `seq` numbers. (One Effect `PubSub` for the whole room would share a
 * single buffer, so one slow member would make everyone lose events or wait; and a member's
 * stream could not be ended after its own LEFT notice.) Beyond the inbox, a member's backlog is
 * bounded by HTTP/2 flow control (the client's stream window) and the gRPC server's
 * per-call queue.
 *
 * Usage: `deno run -A examples/chat_server.ts [--port N] [--host H] [--cert F --key F]
 * [--tls] [--inbox N]`. `--port 0` picks a free port (default 50051); `--host` defaults to
 * 127.0.0.1; `--cert`/`--key` serve TLS with that certificate, `--tls` with the test
 * certificate in `tests/_support/certs/`. Prints `LISTENING <port>` once ready; on SIGINT or
 * SIGTERM, ends every member's call with UNAVAILABLE and shuts down gracefully.
 * Try it with `examples/chat_client.ts`.
 *
 * @module
 */

import "../net/effect_async_context.ts"; // first: before Effect is evaluated
import { Cause, Clock, Effect, Exit, Queue, Scope, Stream } from "effect";
import type { H2Server } from "../net/server.ts";
import { Code } from "../rpc/code.ts";
import { serveRpc } from "../rpc/h2_transport.ts";
import { implement, makeServer, type ServiceImplementation } from "../rpc/server.ts";
import {
  type BidiStreaming,
  loadProto,
  type ServiceDescriptor,
  serviceFromRoot,
  type Unary,
} from "../rpc/service.ts";
import { RpcError } from "../rpc/status.ts";

/** Where `chat.proto` lives. */
export const CHAT_PROTO_URL: URL = new URL("./protos/chat.proto", import.meta.url);

/** The values of `chat.ChatEvent.Kind`. */
export const ChatKind = { MESSAGE: 0, JOINED: 1, LEFT: 2 } as const;
/** A `chat.ChatEvent.Kind` value. */
export type ChatKind = typeof ChatKind[keyof typeof ChatKind];

/**
 * A `chat.ChatEvent` as a plain object. Decoded events have every field (64-bit numbers as
 * decimal strings); events to send may leave fields out.
 */
export interface ChatEvent {
  /** What happened; MESSAGE when absent. */
  readonly kind?: ChatKind;
  /** The member it is about. */
  readonly user?: string;
  /** What was said (MESSAGE). */
  readonly text?: string;
  /** Server time in milliseconds since the Unix epoch. */
  readonly timestamp_ms?: number | string;
  /** Members in the room after the event (JOINED, LEFT). */
  readonly members?: number;
  /** The room's running event number, from 1. */
  readonly seq?: number | string;
}

/** The `chat.ChatRoom` method types. */
export type ChatRoomSpec = {
  Join: BidiStreaming<ChatEvent, ChatEvent>;
  Who: Unary<Record<string, never>, { readonly users?: readonly string[] }>;
};

/**
 * Loads `chat.proto` from disk and returns the `chat.ChatRoom` descriptor (needs read
 * permission for `examples/protos/`).
 *
 * @returns The service descriptor.
 */
export async function loadChatService(): Promise<ServiceDescriptor<ChatRoomSpec>> {
  return serviceFromRoot<ChatRoomSpec>(await loadProto(CHAT_PROTO_URL.pathname), "chat.ChatRoom");
}

/** A member's inbox: the events it has not read yet; ends (or fails) with its call. */
export type ChatInbox = Queue.Queue<ChatEvent, RpcError | Cause.Done>;

/** Options of {@link ChatRoom}. */
export interface ChatRoomOptions {
  /** Events kept per member that has not read them yet; beyond that the oldest drop. Default 256. */
  readonly inboxCapacity?: number;
}

/**
 * The room's state: its members (by name, in join order) with their bounded inboxes, and the
 * event counter. Every change is synchronous, so the events of one member are broadcast in the
 * order it sent them and every member sees the room's events in one order (that of `seq`).
 */
export class ChatRoom {
  /** The capacity of each member's inbox. */
  readonly inboxCapacity: number;
  readonly #members = new Map<string, ChatInbox>();
  #seq = 0;
  #dropped = 0;
  #closed: RpcError | undefined;

  /** @param options The inbox capacity. */
  constructor(options: ChatRoomOptions = {}) {
    this.inboxCapacity = Math.max(1, options.inboxCapacity ?? 256);
  }

  /** How many members are in the room. */
  get size(): number {
    return this.#members.size;
  }

  /** The members' names, in join order. */
  get users(): string[] {
    return [...this.#members.keys()];
  }

  /** Events dropped so far from the inboxes of members that read too slowly. */
  get dropped(): number {
    return this.#dropped;
  }

  /** A new, empty member inbox of the room's capacity (sliding: a full inbox drops its oldest). */
  makeInbox(): Effect.Effect<ChatInbox> {
    return Queue.sliding<ChatEvent, RpcError | Cause.Done>(this.inboxCapacity);
  }

  /**
   * Admits `user`, whose events go to `inbox`, and announces it to everyone (`user` included).
   *
   * @param user The member's name.
   * @param inbox Its inbox, from {@link makeInbox}.
   * @returns Fails with INVALID_ARGUMENT for an empty name, ALREADY_EXISTS for a name in use,
   * UNAVAILABLE once the room is closed.
   */
  join(user: string, inbox: ChatInbox): Effect.Effect<void, RpcError> {
    return Effect.flatMap(Clock.currentTimeMillis, (now) => {
      if (this.#closed !== undefined) return Effect.fail(this.#closed);
      if (user === "") {
        return Effect.fail(
          new RpcError({ code: Code.INVALID_ARGUMENT, message: "Cannot join: the name is empty" }),
        );
      }
      if (this.#members.has(user)) {
        return Effect.fail(
          new RpcError({
            code: Code.ALREADY_EXISTS,
            message: `Cannot join as "${user}": the name is taken`,
          }),
        );
      }
      this.#members.set(user, inbox);
      this.#broadcast({ kind: ChatKind.JOINED, user, members: this.#members.size }, now);
      return Effect.void;
    });
  }

  /**
   * Broadcasts what `user` said to everyone (`user` included).
   *
   * @param user A member's name.
   * @param text The message.
   * @returns Done once every member's inbox has it.
   */
  say(user: string, text: string): Effect.Effect<void> {
    return Effect.map(Clock.currentTimeMillis, (now) => {
      if (this.#members.has(user)) this.#broadcast({ kind: ChatKind.MESSAGE, user, text }, now);
    });
  }

  /**
   * Removes `user` if `inbox` is still its inbox, announces the leave to everyone (`user`
   * included, as its last event) and ends its inbox. Safe to call more than once.
   *
   * @param user The member's name.
   * @param inbox The inbox it joined with.
   * @returns Done once the member is gone.
   */
  leave(user: string, inbox: ChatInbox): Effect.Effect<void> {
    return Effect.map(Clock.currentTimeMillis, (now) => {
      if (this.#members.get(user) !== inbox) return;
      this.#broadcast({ kind: ChatKind.LEFT, user, members: this.#members.size - 1 }, now);
      this.#members.delete(user);
      Queue.endUnsafe(inbox);
    });
  }

  /**
   * Closes the room: every member's call ends with UNAVAILABLE (so a graceful server
   * shutdown need not wait for chats to end) and nobody can join any more.
   */
  close(): void {
    this.#closed ??= new RpcError({
      code: Code.UNAVAILABLE,
      message: "The chat server is shutting down",
    });
    for (const inbox of this.#members.values()) {
      Queue.failCauseUnsafe(inbox, Cause.fail(this.#closed));
    }
    this.#members.clear();
  }

  #broadcast(event: ChatEvent, now: number): void {
    const stamped: ChatEvent = { ...event, timestamp_ms: now, seq: ++this.#seq };
    for (const inbox of this.#members.values()) {
      if (Queue.sizeUnsafe(inbox) >= this.inboxCapacity) this.#dropped++;
      Queue.offerUnsafe(inbox, stamped); // a sliding queue: never waits, drops the oldest
    }
  }
}

/**
 * The `chat.ChatRoom` handlers over `room`: `Join` makes the caller a member for as long as its
 * call lasts, `Who` lists the members.
 *
 * @param service The descriptor, from {@link loadChatService}.
 * @param room The room.
 * @returns The implementation, for `makeServer`.
 */
export function chatRoomImplementation(
  service: ServiceDescriptor<ChatRoomSpec>,
  room: ChatRoom,
): ServiceImplementation {
  return implement(service, {
    Join: (requests) =>
      Stream.unwrap(Effect.gen(function* () {
        const inbox = yield* room.makeInbox();
        let user: string | undefined;
        // The response stream's scope closes however the call ends (the requests ended, the
        // client cancelled, the connection dropped, the server shut down): leave then.
        yield* Effect.addFinalizer(() =>
          user === undefined ? Effect.void : room.leave(user, inbox)
        );
        const admit = (event: ChatEvent): Effect.Effect<void, RpcError> =>
          event.kind === ChatKind.JOINED
            ? Effect.map(room.join(event.user ?? "", inbox), () => {
              user = event.user;
            })
            : Effect.fail(
              new RpcError({
                code: Code.INVALID_ARGUMENT,
                message: "Cannot chat before joining: the first event must be JOINED",
              }),
            );
        yield* requests.pipe(
          Stream.runForEach((event) =>
            user === undefined
              // A refused join fails the response and stops reading.
              ? Effect.tapError(admit(event), (error) => Queue.fail(inbox, error))
              : room.say(user, event.text ?? "")
          ),
          // The requests ended (or failed: the client is gone): leave, which ends the
          // response after the member's own LEFT notice.
          Effect.exit,
          Effect.andThen(
            Effect.suspend(() => user === undefined ? Queue.end(inbox) : room.leave(user, inbox)),
          ),
          Effect.forkScoped,
        );
        return Stream.fromQueue(inbox);
      })),
    Who: () => Effect.sync(() => ({ users: room.users })),
  });
}

/** Options of {@link startChatServer}, as the flags give them. */
export interface ChatServerOptions {
  /** Interface; default `127.0.0.1`. */
  readonly hostname?: string;
  /** Port; 0 (the default) picks a free one. */
  readonly port?: number;
  /** TLS certificate and key (PEM text); h2c without. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** Capacity of each member's inbox (see {@link ChatRoomOptions}). */
  readonly inboxCapacity?: number;
}

/** A running chat server. */
export interface RunningChatServer {
  /** The listening server. */
  readonly server: H2Server;
  /** Its room, to look at the members. */
  readonly room: ChatRoom;
  /** Closes the room and stops the server gracefully. */
  close(): Promise<void>;
}

/**
 * Starts a chat server in this process.
 *
 * @param options Address, TLS and inbox capacity.
 * @returns The server, its room and a way to stop it.
 */
export async function startChatServer(options: ChatServerOptions = {}): Promise<RunningChatServer> {
  const room = new ChatRoom({ inboxCapacity: options.inboxCapacity });
  const handler = makeServer([chatRoomImplementation(await loadChatService(), room)]);
  const scope = Effect.runSync(Scope.make());
  const server = await Effect.runPromise(
    serveRpc(handler, {
      hostname: options.hostname ?? "127.0.0.1",
      port: options.port ?? 0,
      tls: options.tls,
      drainTimeoutMs: 2_000,
      onError: (message, error) => console.error(`chat_server: ${message}:`, error),
    }).pipe(Scope.provide(scope)),
  );
  let closing: Promise<void> | undefined;
  return {
    server,
    room,
    close: () =>
      closing ??= Effect.runPromise(
        Effect.andThen(Effect.sync(() => room.close()), Scope.close(scope, Exit.void)),
      ),
  };
}

function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const next = args[i + 1];
  return next === undefined || next.startsWith("--") ? "true" : next;
}

if (import.meta.main) {
  const args = Deno.args;
  const certDir = new URL("../tests/_support/certs/", import.meta.url);
  const cert = flag(args, "cert");
  const key = flag(args, "key");
  const tls = cert !== undefined && key !== undefined
    ? { cert: Deno.readTextFileSync(cert), key: Deno.readTextFileSync(key) }
    : flag(args, "tls") === "true"
    ? {
      cert: Deno.readTextFileSync(new URL("server.crt", certDir)),
      key: Deno.readTextFileSync(new URL("server.key", certDir)),
    }
    : undefined;
  const inbox = flag(args, "inbox");
  const running = await startChatServer({
    hostname: flag(args, "host") ?? "127.0.0.1",
    port: Number(flag(args, "port") ?? "50051"),
    tls,
    inboxCapacity: inbox === undefined ? undefined : Number(inbox),
  });
  console.log(`LISTENING ${running.server.port}`);
  const stop = () => running.close().then(() => Deno.exit(0));
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
