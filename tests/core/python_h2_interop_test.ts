/**
 * Cross-checks H2Connection against Debian's python3-h2 (hyper-h2, the
 * original sans-I/O implementation) in both roles. The peer script speaks
 * HTTP/2 over its stdin/stdout and logs what it saw as JSON lines on stderr.
 */
import assert from "node:assert/strict";
import { H2Connection } from "../../core/connection.ts";
import { ErrorCode } from "../../core/error_code.ts";
import type { H2Event } from "../../core/events.ts";
import type { HeaderField } from "../../core/hpack/header_field.ts";
import { SettingCode } from "../../core/settings.ts";

const PYTHON = "/usr/bin/python3";
const SCRIPT = new URL("./python_h2_peer.py", import.meta.url).pathname;

const hasPython = await (async () => {
  try {
    const out = await new Deno.Command(PYTHON, { args: ["-c", "import h2"], stderr: "null" })
      .output();
    return out.success;
  } catch {
    return false;
  }
})();

interface Log {
  event: string;
  [k: string]: unknown;
}

/** Runs the python peer and exchanges bytes with `conn` until `done()` or the peer exits. */
async function exchange(
  role: "server" | "client",
  conn: H2Connection,
  onEvents: (events: H2Event[]) => void,
  done: () => boolean,
): Promise<Log[]> {
  const child = new Deno.Command(PYTHON, {
    args: [SCRIPT, role],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.getReader();
  // A hang guard, not a timed assertion: a stuck exchange fails instead of blocking the suite.
  const guard = setTimeout(() => child.kill(), 20_000);
  try {
    const flush = async () => {
      const out = conn.dataToSend();
      if (out.length > 0) await writer.write(out);
    };
    await flush();
    while (!done()) {
      const { value, done: eof } = await reader.read();
      if (eof) break;
      onEvents(conn.receive(value));
      await flush();
    }
    if (!conn.isClosed) conn.closeConnection(ErrorCode.NO_ERROR);
    await flush();
    await writer.close().catch(() => {});
    // Drain the rest so the child can exit.
    while (!(await reader.read()).done) { /* discard */ }
  } finally {
    clearTimeout(guard);
  }
  const status = await child.status;
  const stderr = new TextDecoder().decode(
    await new Response(child.stderr).arrayBuffer(),
  );
  const logs = stderr.trim().split("\n").filter((l) => l.startsWith("{")).map((l) =>
    JSON.parse(l) as Log
  );
  const err = logs.find((l) => l.event === "error");
  assert.equal(err, undefined, `python peer failed: ${JSON.stringify(err)}\n${stderr}`);
  assert.ok(status.success, stderr);
  return logs;
}

const req = (method: string, path: string): HeaderField[] => [
  { name: ":method", value: method },
  { name: ":scheme", value: "https" },
  { name: ":authority", value: "h2kit.test" },
  { name: ":path", value: path },
];

Deno.test({
  name: "H2Connection client talks to a python-h2 server",
  ignore: !hasPython,
  async fn() {
    const c = new H2Connection({ role: "client", enablePush: true, initialWindowSize: 32_768 });
    c.initiateConnection();
    const body = new Uint8Array(100_000).map((_, i) => i * 7);
    c.sendHeaders(1, req("GET", "/hello"), { endStream: true });
    c.sendHeaders(3, req("POST", "/echo"));
    c.enqueueData(3, body);
    c.sendHeaders(3, [{ name: "x-checksum", value: "42" }], { endStream: true });
    c.sendHeaders(5, req("GET", "/push"), { endStream: true });
    c.sendHeaders(7, req("GET", "/reset"), { endStream: true });
    c.sendHeaders(9, req("GET", "/settings"), { endStream: true });
    c.sendHeaders(11, req("GET", "/info"), { endStream: true });
    c.ping(new TextEncoder().encode("h2kit!!!"));

    const bodies = new Map<number, number[]>();
    const finished = new Set<number>();
    const seen: H2Event[] = [];
    const logs = await exchange(
      "server",
      c,
      (events) => {
        for (const e of events) {
          seen.push(e);
          if (e.type === "data_received") {
            const list = bodies.get(e.streamId) ?? [];
            list.push(...e.data);
            bodies.set(e.streamId, list);
            c.acknowledgeReceivedData(e.streamId, e.flowControlledLength);
          } else if (e.type === "stream_ended" || e.type === "stream_reset") {
            finished.add(e.streamId);
          }
        }
      },
      () =>
        [1, 2, 3, 5, 7, 9, 11].every((id) => finished.has(id)) &&
        seen.some((e) => e.type === "ping_ack_received"),
    );

    assert.equal(new TextDecoder().decode(new Uint8Array(bodies.get(1)!)), "hello from python");
    assert.deepEqual(bodies.get(3), [...body]);
    const trailers = seen.find((e) => e.type === "trailers_received" && e.streamId === 3);
    assert.ok(trailers?.type === "trailers_received");
    assert.equal(trailers.headers[0].value, "100000");
    const pushed = seen.find((e) => e.type === "pushed_stream_received");
    assert.ok(pushed?.type === "pushed_stream_received");
    assert.equal(pushed.parentStreamId, 5);
    assert.equal(new TextDecoder().decode(new Uint8Array(bodies.get(2)!)), "body{}");
    const reset = seen.find((e) => e.type === "stream_reset" && e.streamId === 7);
    assert.ok(
      reset?.type === "stream_reset" && reset.errorCode === ErrorCode.CANCEL && reset.remoteReset,
    );
    assert.ok(seen.some((e) => e.type === "informational_response_received" && e.streamId === 11));
    assert.ok(
      seen.some((e) =>
        e.type === "remote_settings_changed" &&
        e.changed.some((s) => s.id === SettingCode.INITIAL_WINDOW_SIZE && s.newValue === 1000)
      ),
    );
    assert.equal(c.remoteSettings.initialWindowSize, 1000);
    // What python saw: our requests, trailers, settings, and our final GOAWAY.
    assert.deepEqual(
      logs.filter((l) => l.event === "request").map((l) => l.path),
      ["/hello", "/echo", "/push", "/reset", "/settings", "/info"],
    );
    assert.deepEqual(logs.find((l) => l.event === "trailers")?.headers, { "x-checksum": "42" });
    assert.equal(logs.at(-1)?.event, "goaway");
  },
});

Deno.test({
  name: "H2Connection server answers a python-h2 client",
  ignore: !hasPython,
  async fn() {
    const s = new H2Connection({ role: "server", maxConcurrentStreams: 10 });
    s.initiateConnection();
    s.updateSettings({ initialWindowSize: 200_000 });
    const bodies = new Map<number, number[]>();
    let terminated = false;
    const logs = await exchange("client", s, (events) => {
      for (const e of events) {
        switch (e.type) {
          case "request_received": {
            const path = e.headers.find((h) => h.name === ":path")!.value;
            if (path === "/hello" && e.streamEnded) {
              s.sendHeaders(e.streamId, [{ name: ":status", value: "200" }]);
              s.sendData(e.streamId, new TextEncoder().encode("hi from h2kit"), {
                endStream: true,
              });
            } else if (path === "/push") {
              const pushed = s.pushStream(e.streamId, req("GET", "/pushed.js"));
              s.sendHeaders(e.streamId, [{ name: ":status", value: "200" }], { endStream: true });
              s.sendHeaders(pushed, [{ name: ":status", value: "200" }]);
              s.enqueueData(pushed, new TextEncoder().encode("console.log(1)"), {
                endStream: true,
              });
            }
            break;
          }
          case "data_received": {
            const list = bodies.get(e.streamId) ?? [];
            list.push(...e.data);
            bodies.set(e.streamId, list);
            s.acknowledgeReceivedData(e.streamId, e.flowControlledLength);
            break;
          }
          case "trailers_received":
            // The echo request ends with trailers: answer with the body and our own trailers.
            s.sendHeaders(e.streamId, [{ name: ":status", value: "200" }]);
            s.enqueueData(e.streamId, new Uint8Array(bodies.get(e.streamId) ?? []));
            s.sendHeaders(e.streamId, [{
              name: "x-length",
              value: String(bodies.get(e.streamId)?.length),
            }], {
              endStream: true,
            });
            break;
          case "connection_terminated":
            terminated = true;
        }
      }
    }, () => terminated);

    assert.equal(bodies.get(3)?.length, 256 * 300);
    const ended = new Map(logs.filter((l) => l.event === "ended").map((l) => [l.stream, l]));
    assert.equal(ended.get(1)?.length, "hi from h2kit".length);
    assert.equal(ended.get(3)?.length, 256 * 300);
    assert.equal(ended.get(2)?.length, "console.log(1)".length);
    assert.deepEqual(logs.find((l) => l.event === "pushed"), {
      event: "pushed",
      stream: 2,
      parent: 5,
      path: "/pushed.js",
    });
    assert.deepEqual(logs.find((l) => l.event === "trailers")?.headers, {
      "x-length": String(256 * 300),
    });
    assert.ok(logs.some((l) => l.event === "ping_ack"));
    assert.ok(logs.some((l) => l.event === "done"));
    assert.equal(s.streamState(7), 6); // python reset stream 7 right after opening it
  },
});
