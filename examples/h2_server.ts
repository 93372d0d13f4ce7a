/**
 * Example HTTP/2 server on h2kit's `net/serve`, with the same routes as the
 * peer servers used for benchmarks:
 *
 * - `GET /` -> `hello, world\n` (13 bytes)
 * - `GET /big` -> 1 MiB of `x`, `text/plain`
 * - `POST /echo` -> the request body, streamed back as it arrives
 * - `GET /trailers` -> a body followed by trailers
 * - `GET /push` -> pushes `/pushed.txt`, then answers
 *
 * Responses are compressed with `br` or `gzip` when the client asks for it (`accept-encoding`,
 * e.g. `curl --compressed`): `/big` goes out as about 50 bytes of Brotli. Clients that send no
 * `accept-encoding` (h2load, plain curl) get the bytes as they are.
 *
 * Usage: `deno run --allow-net --allow-read examples/h2_server.ts [--port N] [--cert F --key F]`.
 * Prints `LISTENING <port>` once ready; stops gracefully on SIGINT/SIGTERM.
 *
 * @module
 */

import "../net/effect_async_context.ts"; // first: before Effect is evaluated
import { Effect, Stream } from "effect";
import { withContentEncoding } from "../net/content_encoding.ts";
import { serve, type ServerRequest, type ServerResponse } from "../net/server.ts";

const SMALL = new TextEncoder().encode("hello, world\n");
const BIG = new Uint8Array(1 << 20).fill(0x78);
const PUSHED = new TextEncoder().encode("pushed resource\n");
const TEXT = { "content-type": "text/plain" };

const OK: ServerResponse = { status: 200, headers: TEXT, body: SMALL };
const BIG_RESPONSE: ServerResponse = { status: 200, headers: TEXT, body: BIG };
const NOT_FOUND: ServerResponse = { status: 404, headers: TEXT, body: "not found\n" };

/** The routes of the example server (exported for the interop tests). */
export function route(req: ServerRequest): Effect.Effect<ServerResponse> {
  switch (req.path) {
    case "/":
      return Effect.succeed(OK);
    case "/big":
      return Effect.succeed(BIG_RESPONSE);
    case "/echo":
      if (req.method !== "POST") return Effect.succeed({ status: 405, body: "use POST\n" });
      // The body flows straight back: each chunk is pulled only when the response has window,
      // so a client that uploads fast but reads slowly is throttled by flow control.
      return Effect.succeed({
        status: 200,
        headers: { "content-type": req.header("content-type") ?? "application/octet-stream" },
        body: req.body.pipe(Stream.orDie),
      });
    case "/trailers":
      return Effect.succeed({
        status: 200,
        headers: { ...TEXT, trailer: "x-checksum, x-status" },
        body: Stream.make(SMALL, SMALL),
        trailers: { "x-checksum": "26", "x-status": "ok" },
      });
    case "/push":
      return req.push({
        path: "/pushed.txt",
        response: { status: 200, headers: TEXT, body: PUSHED },
      }).pipe(
        Effect.orDie,
        Effect.as<ServerResponse>({ status: 200, headers: TEXT, body: "see /pushed.txt\n" }),
      );
    case "/pushed.txt":
      return Effect.succeed({ status: 200, headers: TEXT, body: PUSHED });
    default:
      return Effect.succeed(NOT_FOUND);
  }
}

/**
 * The routes with content-coding: what the example server runs (exported for the tests). Its
 * constant bodies are compressed once and then served from the cache.
 */
export const handler = withContentEncoding(route, { cacheBodies: true });

function parseArgs(args: string[]): { port: number; cert?: string; key?: string } {
  let port = 8443;
  let cert: string | undefined;
  let key: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--port") port = Number(args[++i]);
    else if (args[i] === "--cert") cert = args[++i];
    else if (args[i] === "--key") key = args[++i];
  }
  return { port, cert, key };
}

if (import.meta.main) {
  const { port, cert, key } = parseArgs(Deno.args);
  const tls = cert !== undefined && key !== undefined
    ? { cert: Deno.readTextFileSync(cert), key: Deno.readTextFileSync(key) }
    : undefined;
  const program = Effect.scoped(Effect.gen(function* () {
    const server = yield* serve({ handler, hostname: "127.0.0.1", port, tls });
    console.log(`LISTENING ${server.port}`);
    yield* Effect.callback<void>((resume) => {
      const stop = () => resume(Effect.void);
      Deno.addSignalListener("SIGINT", stop);
      Deno.addSignalListener("SIGTERM", stop);
    });
  }));
  await Effect.runPromise(program);
}
