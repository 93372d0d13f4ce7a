import assert from "node:assert/strict";
import { fetchH2, H2FetchClient, serveH2 } from "../../net/promise.ts";
import { CA, CERT, KEY } from "./_helpers.ts";

const enc = new TextEncoder();

Deno.test("serveH2 and H2FetchClient exchange bodies, trailers and pushes with Promises", async () => {
  const server = await serveH2(async (req) => {
    if (req.path === "/echo") {
      const body = await req.bytes();
      const trailers = await req.trailers();
      return { body, trailers: { "x-echo": trailers.map((t) => t.value).join(",") } };
    }
    if (req.path === "/push") {
      const pushed = await req.push("/p.txt", { body: "pushed" });
      return { body: String(pushed) };
    }
    if (req.path === "/stream") {
      return {
        body: (async function* () {
          for (let i = 0; i < 3; i++) yield enc.encode(`part${i};`);
        })(),
        trailers: () => ({ "x-done": "yes" }),
      };
    }
    if (req.path === "/throw") throw new Error("handler bug");
    return { status: 201, headers: { "x-m": req.method }, body: "hi" };
  }, { tls: { cert: CERT, key: KEY } });
  const client = await H2FetchClient.connect(`https://localhost:${server.port}`, { caCerts: [CA] });
  try {
    const a = await client.fetch("/");
    assert.equal(a.status, 201);
    assert.equal(a.header("x-m"), "GET");
    assert.equal(await a.text(), "hi");

    const b = await client.fetch("/echo", { body: "payload", trailers: { "x-t": "1" } });
    assert.equal(await b.text(), "payload");
    assert.deepEqual(await b.trailers(), [{ name: "x-echo", value: "1" }]);

    const c = await client.fetch("/stream");
    const parts: string[] = [];
    const dec = new TextDecoder();
    for await (const chunk of c.body) parts.push(dec.decode(chunk));
    assert.equal(parts.join(""), "part0;part1;part2;");
    assert.deepEqual(await c.trailers(), [{ name: "x-done", value: "yes" }]);

    const d = await client.fetch("/push");
    assert.equal(await d.text(), "false"); // push is off by default on the client

    const e = await client.fetch("/throw");
    assert.equal(e.status, 500);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("fetchH2 does one buffered request; an aborted fetch rejects", async () => {
  const server = await serveH2(async (req) => {
    if (req.path === "/slow") {
      await new Promise<void>((resolve) => req.signal.addEventListener("abort", () => resolve()));
      return { body: "late" };
    }
    return { body: `you asked ${req.path}` };
  });
  try {
    const r = await fetchH2(`${server.url}/x?y=1`);
    assert.equal(r.status, 200);
    assert.equal(new TextDecoder().decode(r.body), "you asked /x?y=1");
    const controller = new AbortController();
    const pending = fetchH2(`${server.url}/slow`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(pending);
  } finally {
    await server.close();
  }
});
