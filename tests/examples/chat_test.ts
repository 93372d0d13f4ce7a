// The example first: it loads net/effect_async_context.ts before Effect is evaluated.
import {
  type ChatEvent,
  ChatKind,
  ChatRoom,
  type ChatRoomSpec,
  loadChatService,
  startChatServer,
} from "../../examples/chat_server.ts";
import { formatChatEvent } from "../../examples/chat_client.ts";
import assert from "node:assert/strict";
import { type Cause, Effect, Exit, Fiber, Queue, Scope, Stream } from "effect";
import { makeClient, type ServiceClient } from "../../rpc/client.ts";
import { Code } from "../../rpc/code.ts";
import { connectRpc } from "../../rpc/h2_transport.ts";
import { RpcError } from "../../rpc/status.ts";
import { CERTS, spawnServer } from "../interop/_peers.ts";

const examples = new URL("../../examples/", import.meta.url);
const service = await loadChatService();
type ChatClient = ServiceClient<ChatRoomSpec>;

/** Polls `ready` every 10 ms for up to 10 s; fails with `describe()` when it never holds. */
async function waitFor(ready: () => boolean, describe: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A chat line without its `[hh:mm:ss] ` time. */
function untimed(line: string): string {
  return line.replace(/^\[\d\d:\d\d:\d\d\] /, "");
}

/** An in-process member: one `Join` call whose requests the test feeds. */
class Member {
  /** Everything received so far, as `formatChatEvent` lines without the time. */
  readonly lines: string[] = [];
  /** Everything received so far. */
  readonly events: ChatEvent[] = [];
  readonly #outbox: Queue.Queue<ChatEvent, Cause.Done>;
  readonly #fiber: Fiber.Fiber<void, RpcError>;
  /** Called after each received event (by {@link until}). */
  readonly #listeners = new Set<() => void>();

  constructor(readonly user: string, client: ChatClient, options: { paused?: Promise<void> } = {}) {
    this.#outbox = Effect.runSync(Queue.unbounded<ChatEvent, Cause.Done>());
    Queue.offerUnsafe(this.#outbox, { kind: ChatKind.JOINED, user });
    let first = true;
    this.#fiber = Effect.runFork(
      client.Join(Stream.fromQueue(this.#outbox)).pipe(
        Stream.runForEach((event) => {
          this.events.push(event);
          this.lines.push(untimed(formatChatEvent(event)));
          for (const listener of this.#listeners) listener();
          // A paused member stops reading after its first event until `paused` settles.
          if (first && options.paused !== undefined) {
            first = false;
            return Effect.promise(() => options.paused!);
          }
          return Effect.void;
        }),
      ),
    );
  }

  /** Says `text`. */
  say(text: string): void {
    Queue.offerUnsafe(this.#outbox, { kind: ChatKind.MESSAGE, text });
  }

  /** Ends the request stream (leaves the room) and waits for the response to end. */
  leave(): Promise<Exit.Exit<void, RpcError>> {
    Queue.endUnsafe(this.#outbox);
    return this.exit();
  }

  /** Cancels the call (RST_STREAM CANCEL) by interrupting the reader. */
  cancel(): Promise<void> {
    return Effect.runPromise(Effect.asVoid(Fiber.interrupt(this.#fiber)));
  }

  /** How the call ended. */
  exit(): Promise<Exit.Exit<void, RpcError>> {
    return Effect.runPromise(Fiber.await(this.#fiber));
  }

  /** Waits (at most 10 s) until `ready()` holds, checking after each received event. */
  until(ready: () => boolean, describe: () => string): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      const check = () => {
        if (ready()) {
          done();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`Timed out waiting for ${this.user} ${describe()}`));
      }, 10_000);
      this.#listeners.add(check);
    });
  }

  /** Waits until a received line equals `line`. */
  saw(line: string): Promise<void> {
    return this.until(
      () => this.lines.includes(line),
      () => `to see "${line}"; saw:\n${this.lines.join("\n")}`,
    );
  }
}

/** Runs `body` with a client connected to `url`; the connection closes afterwards. */
async function withClient<A>(
  url: string,
  body: (client: ChatClient) => Promise<A>,
  caCerts?: string[],
): Promise<A> {
  const scope = await Effect.runPromise(Scope.make());
  try {
    const transport = await Effect.runPromise(
      connectRpc(url, { caCerts }).pipe(Scope.provide(scope)),
    );
    return await body(makeClient(service, transport));
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void));
  }
}

/** The messages in `events` (as `user:text`), in order. */
function messages(events: readonly ChatEvent[]): string[] {
  return events.filter((e) => e.kind === ChatKind.MESSAGE).map((e) => `${e.user}:${e.text}`);
}

Deno.test("chat_server broadcasts to every member in order, announces joins and leaves, and removes members that leave or cancel", async () => {
  const running = await startChatServer();
  try {
    // One connection per member, as separate clients would have.
    await withClient(
      running.server.url,
      (c1) =>
        withClient(running.server.url, (c2) =>
          withClient(running.server.url, async (c3) => {
            const ada = new Member("ada", c1);
            await ada.saw("* ada joined (1 here)");
            const bob = new Member("bob", c2);
            await bob.saw("* bob joined (2 here)");
            const carol = new Member("carol", c3);
            await carol.saw("* carol joined (3 here)");
            await ada.saw("* carol joined (3 here)");
            assert.deepEqual(ada.lines, [
              "* ada joined (1 here)",
              "* bob joined (2 here)",
              "* carol joined (3 here)",
            ]);
            assert.deepEqual(bob.lines, ["* bob joined (2 here)", "* carol joined (3 here)"]);
            assert.deepEqual((await Effect.runPromise(c1.Who({}))).users, ["ada", "bob", "carol"]);

            // Everyone talks at once; every member gets every message.
            const members = [ada, bob, carol];
            for (let i = 0; i < 50; i++) for (const m of members) m.say(`${m.user[0]}${i}`);
            for (const m of members) {
              await waitFor(
                () => messages(m.events).length === 150,
                () => `${m.user} to get 150 messages, got ${messages(m.events).length}`,
              );
            }
            const expected = (user: string) =>
              Array.from({ length: 50 }, (_, i) => `${user}:${user[0]}${i}`);
            for (const m of members) {
              const got = messages(m.events);
              // In order per sender...
              for (const sender of ["ada", "bob", "carol"]) {
                assert.deepEqual(got.filter((s) => s.startsWith(`${sender}:`)), expected(sender));
              }
              // ...and the same room order for everyone, numbered without gaps.
              assert.deepEqual(got, messages(ada.events));
              const seqs = m.events.map((e) => Number(e.seq));
              for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1);
              for (const e of m.events) {
                assert.ok(Number(e.timestamp_ms) > 1.7e12, String(e.timestamp_ms));
              }
            }

            // A cancelled member is removed and announced.
            await carol.cancel();
            await ada.saw("* carol left (2 here)");
            await bob.saw("* carol left (2 here)");
            assert.equal(running.room.size, 2);

            // A member whose requests end gets its own LEFT, then the call ends with OK.
            const adaExit = await ada.leave();
            assert.ok(Exit.isSuccess(adaExit), String(adaExit));
            assert.equal(ada.lines.at(-1), "* ada left (1 here)");
            await bob.saw("* ada left (1 here)");
            assert.deepEqual((await Effect.runPromise(c2.Who({}))).users, ["bob"]);

            await bob.cancel();
            await waitFor(
              () => running.room.size === 0,
              () => `an empty room: ${running.room.users}`,
            );
            assert.deepEqual((await Effect.runPromise(c1.Who({}))).users, []);
          })),
    );
  } finally {
    await running.close();
  }
});

Deno.test("chat_server rejects a first event other than JOINED and a name in use", async () => {
  const running = await startChatServer();
  try {
    await withClient(running.server.url, async (client) => {
      const ada = new Member("ada", client);
      await ada.saw("* ada joined (1 here)");
      const run = (events: ChatEvent[]) =>
        Effect.runPromise(Effect.flip(Stream.runDrain(client.Join(Stream.fromIterable(events)))));
      // A refused call stops there: a JOINED after the refused first event is not read.
      const early = await run([
        { kind: ChatKind.MESSAGE, user: "x", text: "hi" },
        { kind: ChatKind.JOINED, user: "x" },
      ]);
      assert.ok(early instanceof RpcError);
      assert.equal(early.code, Code.INVALID_ARGUMENT);
      assert.equal((await run([{ kind: ChatKind.JOINED, user: "" }])).code, Code.INVALID_ARGUMENT);
      const taken = await run([{ kind: ChatKind.JOINED, user: "ada" }]);
      assert.equal(taken.code, Code.ALREADY_EXISTS);
      assert.deepEqual(running.room.users, ["ada"]);
      // Nobody else was announced.
      ada.say("still alone");
      await ada.saw("<ada> still alone");
      assert.deepEqual(ada.lines, ["* ada joined (1 here)", "<ada> still alone"]);
      await ada.cancel();
      await waitFor(() => running.room.size === 0, () => `an empty room: ${running.room.users}`);
    });
  } finally {
    await running.close();
  }
});

Deno.test("chat_server bounds a slow member: it loses its oldest events, others lose none", async () => {
  const running = await startChatServer({ inboxCapacity: 8 });
  try {
    await withClient(
      running.server.url,
      (slowClient) =>
        withClient(running.server.url, async (client) => {
          let resume!: () => void;
          const paused = new Promise<void>((r) => (resume = r));
          const slow = new Member("slow", slowClient, { paused });
          await slow.saw("* slow joined (1 here)");
          const fast = new Member("fast", client);
          await fast.saw("* fast joined (2 here)");
          // 2.4 MB of messages: far more than the slow member's stream window (1 MiB), the
          // server's per-call queue and its inbox together. The fast member sends each once the
          // previous one came back, so it never has more than one event pending.
          const text = "x".repeat(8_000);
          const count = 300;
          for (let i = 0; i < count; i++) {
            fast.say(`${i} ${text}`);
            await fast.until(
              () => messages(fast.events).length === i + 1,
              () => `to get message ${i}`,
            );
          }
          assert.ok(running.room.dropped > 0, "nothing was dropped");
          resume();
          await waitFor(
            () => Number(slow.events.at(-1)?.seq) === Number(fast.events.at(-1)?.seq),
            () => `slow to catch up, at seq ${slow.events.at(-1)?.seq}`,
          );
          // The fast member lost nothing; the slow one lost its oldest events, each counted.
          const fastSeqs = fast.events.map((e) => Number(e.seq));
          for (let i = 1; i < fastSeqs.length; i++) assert.equal(fastSeqs[i], fastSeqs[i - 1] + 1);
          assert.equal(slow.events.length + running.room.dropped, 2 + count);
          // What reached it was bounded by its stream window (1 MiB = 131 messages), the
          // server's per-call queue (16) and its inbox (8): about 156 of the 300.
          const got = messages(slow.events);
          assert.ok(got.length < count * 0.6, `slow got ${got.length}`);
          // What it got is in order and ends with the latest messages.
          const numbers = got.map((s) => Number(s.split(" ")[0].slice("fast:".length)));
          for (let i = 1; i < numbers.length; i++) assert.ok(numbers[i] > numbers[i - 1]);
          assert.equal(numbers.at(-1), count - 1);
          await slow.cancel();
          await fast.cancel();
          await waitFor(
            () => running.room.size === 0,
            () => `an empty room: ${running.room.users}`,
          );
        }),
    );
  } finally {
    await running.close();
  }
});

Deno.test("chat_server shutdown ends every member's call with UNAVAILABLE", async () => {
  const running = await startChatServer();
  try {
    await withClient(running.server.url, async (client) => {
      const ada = new Member("ada", client);
      await ada.saw("* ada joined (1 here)");
      await running.close();
      const exit = await ada.exit();
      assert.ok(Exit.isFailure(exit), String(exit));
      const error = Exit.findErrorOption(exit);
      assert.equal(error._tag, "Some");
      assert.equal(error.value.code, Code.UNAVAILABLE);
      assert.equal(running.room.size, 0);
    });
  } finally {
    await running.close();
  }
});

Deno.test("ChatRoom keeps at most inboxCapacity events per member, dropping the oldest", async () => {
  const room = new ChatRoom({ inboxCapacity: 4 });
  const [reader, idle] = await Effect.runPromise(
    Effect.all([room.makeInbox(), room.makeInbox()]),
  );
  await Effect.runPromise(room.join("reader", reader));
  await Effect.runPromise(room.join("idle", idle));
  const read: ChatEvent[] = [];
  for (let i = 0; i < 10; i++) {
    await Effect.runPromise(room.say("reader", `m${i}`));
    read.push(...await Effect.runPromise(Queue.clear(reader)));
  }
  assert.deepEqual(messages(read), Array.from({ length: 10 }, (_, i) => `reader:m${i}`));
  const kept = await Effect.runPromise(Queue.clear(idle));
  assert.deepEqual(messages(kept), ["reader:m6", "reader:m7", "reader:m8", "reader:m9"]);
  assert.equal(room.dropped, 7); // idle's JOINED and m0..m5
  room.close();
  assert.equal(room.size, 0);
});

for (const tls of [false, true]) {
  Deno.test(`chat_client talks to chat_server over ${tls ? "TLS" : "h2c"} and leaves at the end of stdin`, async () => {
    const serverArgs = ["run", "-A", new URL("chat_server.ts", examples).pathname, "--port", "0"];
    const server = await spawnServer(
      Deno.execPath(),
      tls
        ? [...serverArgs, "--cert", certPath("server.crt"), "--key", certPath("server.key")]
        : serverArgs,
    );
    try {
      const url = `${tls ? "https" : "http"}://${tls ? "localhost" : "127.0.0.1"}:${server.port}`;
      await withClient(url, async (client) => {
        const ada = new Member("ada", client);
        await ada.saw("* ada joined (1 here)");
        const args = [
          "run",
          "-A",
          new URL("chat_client.ts", examples).pathname,
          "--port",
          String(server.port),
          "--user",
          "carol",
        ];
        const child = new Deno.Command(Deno.execPath(), {
          args: tls ? [...args, "--tls"] : args,
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
          signal: AbortSignal.timeout(30_000),
        }).spawn();
        const output = child.output();
        const writer = child.stdin.getWriter();
        await ada.saw("* carol joined (2 here)");
        ada.say("hi carol");
        await ada.saw("<ada> hi carol");
        await writer.write(new TextEncoder().encode("hello from carol\n\nsecond line\n"));
        await ada.saw("<carol> second line");
        await writer.close();
        const out = await output;
        const stdout = new TextDecoder().decode(out.stdout);
        assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
        const lines = stdout.trim().split("\n");
        for (const line of lines) assert.match(line, /^\[\d\d:\d\d:\d\d\] /);
        assert.deepEqual(lines.map(untimed), [
          "* carol joined (2 here)",
          "<ada> hi carol",
          "<carol> hello from carol",
          "<carol> second line",
          "* carol left (1 here)",
        ]);
        await ada.saw("* carol left (1 here)");
        assert.deepEqual(ada.lines, [
          "* ada joined (1 here)",
          "* carol joined (2 here)",
          "<ada> hi carol",
          "<carol> hello from carol",
          "<carol> second line",
          "* carol left (1 here)",
        ]);
        assert.deepEqual((await Effect.runPromise(client.Who({}))).users, ["ada"]);
        await ada.cancel();
      }, tls ? [CERTS.ca] : undefined);
    } finally {
      await server.kill();
    }
  });
}

Deno.test("chat_server removes a member whose client process dies", async () => {
  const server = await spawnServer(Deno.execPath(), [
    "run",
    "-A",
    new URL("chat_server.ts", examples).pathname,
    "--port",
    "0",
  ]);
  try {
    await withClient(`http://127.0.0.1:${server.port}`, async (client) => {
      const ada = new Member("ada", client);
      await ada.saw("* ada joined (1 here)");
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          new URL("chat_client.ts", examples).pathname,
          "--port",
          String(server.port),
          "--user",
          "dave",
        ],
        stdin: "piped",
        stdout: "null",
        stderr: "null",
      }).spawn();
      try {
        await ada.saw("* dave joined (2 here)");
      } finally {
        child.kill("SIGKILL");
        await child.status;
        await child.stdin.close().catch(() => {});
      }
      // The connection dropped without a word: the server notices and announces the leave.
      await ada.saw("* dave left (1 here)");
      assert.deepEqual((await Effect.runPromise(client.Who({}))).users, ["ada"]);
      await ada.cancel();
    });
  } finally {
    await server.kill();
  }
});

function certPath(name: string): string {
  return new URL(`../_support/certs/${name}`, import.meta.url).pathname;
}
