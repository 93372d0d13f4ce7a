import assert from "node:assert/strict";

Deno.test("rpc_demo shows Brotli unary, a chat stream, an expired deadline and multiplexing", async () => {
  const demo = new URL("../../examples/rpc_demo.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", demo],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    signal: AbortSignal.timeout(60_000),
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(text, /gRPC server on https:\/\/localhost:\d+ \(TLS, ALPN h2\)/);
  // 1. Brotli both ways, and it actually shrank the reply.
  assert.match(text, /request grpc-encoding: br, response grpc-encoding: br/);
  const [, chars, bytes] = /reply: (\d+) characters, (\d+) bytes on the wire/.exec(text) ?? [];
  assert.ok(Number(bytes) > 0 && Number(bytes) * 10 < Number(chars), `${chars} vs ${bytes}`);
  // 2. The chat alternates: each reply follows its line.
  const chat = text.split("\n").filter((l) => /^ {3}(client >|server <)/.test(l));
  assert.deepEqual(chat.map((l) => l.trim()), [
    "client > hello",
    "server < hello to you too",
    "client > how are you?",
    "server < streaming along nicely",
    "client > bye",
    "server < see you",
  ]);
  // 3. The deadline cut the ten-tick stream short.
  const [, ticks] = /stopped after (\d+) ticks: DEADLINE_EXCEEDED/.exec(text) ?? [];
  assert.ok(Number(ticks) >= 1 && Number(ticks) < 10, `ticks: ${ticks}\n${text}`);
  // 4. Multiplexing.
  assert.match(text, /50 concurrent SayHello calls on one connection: 50 replies/);
  assert.match(text, /\ndone\n/);
});
