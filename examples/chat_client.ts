/**
 * A chat client for `chat.ChatRoom` (see `examples/chat_server.ts`): joins the room as
 * `--user`, sends each line of stdin as a message and prints every event of the room as it
 * arrives. At the end of stdin it leaves the room, waits for its own LEFT notice and exits 0.
 *
 * Usage: `deno run -A examples/chat_client.ts --user NAME [--port N | --server_port N]
 * [--host H | --server_host H] [--tls] [--ca F]`. The port defaults to 50051 and the host to
 * 127.0.0.1 (`localhost` with TLS). `--tls` trusts the test CA in `tests/_support/certs/`,
 * `--ca F` (which implies TLS) the CA in file F.
 *
 * Output, one line per event (times in UTC):
 *
 * ```
 * [12:00:01] * ada joined (2 here)
 * [12:00:02] <ada> hello
 * [12:00:05] * ada left (1 here)
 * ```
 *
 * and `(missed N events)` when this client read too slowly and the server dropped some.
 *
 * @module
 */

import "../net/effect_async_context.ts"; // first: before Effect is evaluated
import { Cause, Effect, Exit, Stream } from "effect";
import { makeClient } from "../rpc/client.ts";
import { connectRpc } from "../rpc/h2_transport.ts";
import { type ChatEvent, ChatKind, loadChatService } from "./chat_server.ts";

/**
 * One event as a line of text, e.g. `[12:00:02] <ada> hello`.
 *
 * @param event A decoded event.
 * @returns The line, without a newline.
 */
export function formatChatEvent(event: ChatEvent): string {
  const time = new Date(Number(event.timestamp_ms ?? 0)).toISOString().slice(11, 19);
  switch (event.kind) {
    case ChatKind.JOINED:
      return `[${time}] * ${event.user} joined (${event.members} here)`;
    case ChatKind.LEFT:
      return `[${time}] * ${event.user} left (${event.members} here)`;
    default:
      return `[${time}] <${event.user}> ${event.text}`;
  }
}

/** The non-empty lines of stdin, as they come; ends at the end of stdin. */
function stdinLines(): Stream.Stream<string, Error> {
  return Stream.fromReadableStream({
    evaluate: () => Deno.stdin.readable,
    onError: (cause) => new Error("Cannot read stdin", { cause }),
  }).pipe(
    Stream.decodeText,
    Stream.splitLines,
    Stream.filter((line) => line.trim() !== ""),
  );
}

function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const next = args[i + 1];
  return next === undefined || next.startsWith("--") ? "true" : next;
}

if (import.meta.main) {
  const args = Deno.args;
  const user = flag(args, "user");
  if (user === undefined || user === "true") {
    console.error("Usage: chat_client.ts --user NAME [--port N] [--host H] [--tls] [--ca F]");
    Deno.exit(2);
  }
  const caFile = flag(args, "ca");
  const tls = caFile !== undefined || flag(args, "tls") === "true";
  const host = flag(args, "server_host") ?? flag(args, "host") ??
    (tls ? "localhost" : "127.0.0.1");
  const port = flag(args, "server_port") ?? flag(args, "port") ?? "50051";
  const url = `${tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const ca = tls
    ? [Deno.readTextFileSync(caFile ?? new URL("../tests/_support/certs/ca.crt", import.meta.url))]
    : undefined;
  const service = await loadChatService();
  const exit = await Effect.runPromiseExit(Effect.scoped(Effect.gen(function* () {
    const room = makeClient(service, yield* connectRpc(url, { caCerts: ca }));
    const outgoing = Stream.concat(
      Stream.succeed<ChatEvent>({ kind: ChatKind.JOINED, user }),
      Stream.map(stdinLines(), (text): ChatEvent => ({ kind: ChatKind.MESSAGE, text })),
    );
    let lastSeq = 0;
    yield* room.Join(outgoing).pipe(
      Stream.runForEach((event) =>
        Effect.sync(() => {
          const seq = Number(event.seq);
          // Numbers skipped: the server dropped events this client was too slow to read.
          if (lastSeq > 0 && seq > lastSeq + 1) console.log(`(missed ${seq - lastSeq - 1} events)`);
          lastSeq = seq;
          console.log(formatChatEvent(event));
        })
      ),
    );
  })));
  if (Exit.isFailure(exit)) {
    console.error(`Chat failed: ${Cause.squash(exit.cause)}`);
    // Exit at once: stdin may still be open, with its reader keeping the process alive.
    Deno.exit(1);
  }
}
