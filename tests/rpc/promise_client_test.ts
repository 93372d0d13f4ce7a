import { strict as assert } from "node:assert";
import { Effect, Stream } from "effect";
import { Code } from "../../rpc/code.ts";
import { makeInMemoryTransport } from "../../rpc/in_memory_transport.ts";
import { makePromiseClient } from "../../rpc/promise_client.ts";
import { implement, makeServer } from "../../rpc/server.ts";
import { RpcError } from "../../rpc/status.ts";
import { Echo, type Msg } from "./_support.ts";

let chatClosed = 0;
const server = makeServer([implement(Echo, {
  Say: (m) =>
    m.text === "fail"
      ? Effect.fail(new RpcError({ code: Code.ABORTED, message: "aborted" }))
      : m.text === "slow"
      ? Effect.never
      : Effect.succeed(m),
  Count: (m) =>
    Number(m.n) < 0
      ? Stream.make({ n: 0 }).pipe(
        Stream.concat(Stream.fail(new RpcError({ code: Code.OUT_OF_RANGE, message: "neg" }))),
      )
      : Stream.range(1, Number(m.n)).pipe(Stream.map((n) => ({ n }))),
  Sum: (ms) =>
    Stream.runFold(ms, () => 0, (a, m) => a + Number(m.n)).pipe(Effect.map((n) => ({ n }))),
  Chat: (ms) => ms.pipe(Stream.onExit(() => Effect.sync(() => chatClosed++))),
})]);
const client = makePromiseClient(Echo, makeInMemoryTransport(server));

Deno.test("makePromiseClient resolves unary and client-streaming calls", async () => {
  assert.equal((await client.Say({ text: "hi" })).text, "hi");
  assert.equal((await client.Sum([{ n: 1 }, { n: 2 }])).n, "3");
  async function* gen(): AsyncGenerator<Msg> {
    yield { n: 4 };
    yield { n: 5 };
  }
  assert.equal((await client.Sum(gen())).n, "9");
});

Deno.test("makePromiseClient rejects with RpcError", async () => {
  await assert.rejects(
    client.Say({ text: "fail" }),
    (e) => e instanceof RpcError && e.code === Code.ABORTED && e.message === "aborted",
  );
});

Deno.test("makePromiseClient iterates streaming responses", async () => {
  const got: string[] = [];
  for await (const m of client.Count({ n: 3 })) got.push(String(m.n));
  assert.deepEqual(got, ["1", "2", "3"]);
  const echoed: string[] = [];
  for await (const m of client.Chat([{ text: "a" }, { text: "b" }])) echoed.push(m.text!);
  assert.deepEqual(echoed, ["a", "b"]);
});

Deno.test("makePromiseClient cancels on abort and on break", async () => {
  const ac = new AbortController();
  const p = client.Say({ text: "slow" }, { signal: ac.signal });
  setTimeout(() => ac.abort(), 5);
  await assert.rejects(p, (e) => e instanceof RpcError && e.code === Code.CANCELLED);
  const before = chatClosed;
  async function* forever(): AsyncGenerator<Msg> {
    for (let i = 0;; i++) {
      yield { text: String(i) };
      await new Promise((r) => setTimeout(r, 1));
    }
  }
  for await (const m of client.Chat(forever())) {
    if (m.text === "2") break;
  }
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(chatClosed, before + 1);
});

Deno.test("makePromiseClient throws RpcError from a failing response stream", async () => {
  const got: unknown[] = [];
  await assert.rejects(
    (async () => {
      for await (const m of client.Count({ n: -1 })) got.push(m.n);
    })(),
    (e) => e instanceof RpcError && e.code === Code.OUT_OF_RANGE && e.message === "neg",
  );
  assert.deepEqual(got, ["0"]);
});
