import assert from "node:assert/strict";
import { Effect } from "effect";
import { route } from "../../examples/h2_server.ts";
import { CERT, CERT_FILES, h2loadCounts, KEY, run, startServer, withServer } from "./_helpers.ts";

const TLS = { cert: CERT, key: KEY };

Deno.test("serve talks to curl --http2 over TLS (ALPN h2) and refuses an HTTP/1.1-only client", async () => {
  const refused: string[] = [];
  await withServer(
    { handler: route, tls: TLS, onError: (m) => refused.push(m) },
    async (server) => {
      const base = `https://localhost:${server.port}`;
      const ok = await run("curl", [
        "-sS",
        "--http2",
        "--cacert",
        CERT_FILES.ca,
        "--max-time",
        "10",
        "-w",
        "\n%{http_version} %{http_code}",
        `${base}/`,
      ]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, "hello, world\n\n2 200");
      const big = await run("curl", [
        "-sS",
        "--http2",
        "--cacert",
        CERT_FILES.ca,
        "--max-time",
        "10",
        "-o",
        "/dev/null",
        "-w",
        "%{size_download}",
        `${base}/big`,
      ]);
      assert.equal(big.stdout, String(1 << 20));
      const h1 = await run("curl", [
        "-sS",
        "--http1.1",
        "--cacert",
        CERT_FILES.ca,
        "--max-time",
        "10",
        `${base}/`,
      ]);
      assert.notEqual(h1.code, 0);
      // The server logged the refusal and still serves h2 clients.
      assert.ok(refused.some((m) => m.includes("TLS")), refused.join("; "));
      const again = await run("curl", [
        "-sS",
        "--http2",
        "--cacert",
        CERT_FILES.ca,
        "--max-time",
        "10",
        `${base}/`,
      ]);
      assert.equal(again.stdout, "hello, world\n");
    },
  );
});

Deno.test("serve talks to curl --http2-prior-knowledge (h2c): echo and trailers", async () => {
  await withServer({ handler: route }, async (server) => {
    const payload = await Deno.makeTempFile();
    try {
      const data = new Uint8Array(300_000);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
      await Deno.writeFile(payload, data);
      const echo = await run("curl", [
        "-sS",
        "--http2-prior-knowledge",
        "--max-time",
        "10",
        "--data-binary",
        `@${payload}`,
        "-o",
        `${payload}.out`,
        `${server.url}/echo`,
      ]);
      assert.equal(echo.code, 0, echo.stderr);
      assert.deepEqual(await Deno.readFile(`${payload}.out`), data);
      const tr = await run("curl", [
        "-sS",
        "-v",
        "--http2-prior-knowledge",
        "--max-time",
        "10",
        `${server.url}/trailers`,
      ]);
      assert.equal(tr.stdout, "hello, world\nhello, world\n");
      assert.match(tr.stderr, /< x-checksum: 26/);
      assert.match(tr.stderr, /< x-status: ok/);
    } finally {
      await Deno.remove(payload);
      await Deno.remove(`${payload}.out`).catch(() => {});
    }
  });
});

Deno.test("serve pushes to nghttp (PUSH_PROMISE seen, pushed body received)", async () => {
  for (const tls of [false, true]) {
    await withServer({ handler: route, tls: tls ? TLS : undefined }, async (server) => {
      const url = `${tls ? "https" : "http"}://127.0.0.1:${server.port}/push`;
      const out = await run("nghttp", ["-v", "-t", "10", url]);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, /recv PUSH_PROMISE frame/);
      assert.match(out.stdout, /:path: \/pushed\.txt/);
      assert.match(out.stdout, /pushed resource/);
      assert.match(out.stdout, /see \/pushed\.txt/);
    });
  }
});

Deno.test("serve completes h2load's 10,000 requests over 100 concurrent streams with zero failures", async () => {
  for (const tls of [false, true]) {
    await withServer({ handler: route, tls: tls ? TLS : undefined }, async (server) => {
      const url = `${tls ? "https" : "http"}://127.0.0.1:${server.port}/`;
      const out = await run("h2load", ["-n", "10000", "-c", "1", "-m", "100", url], 60_000);
      const counts = h2loadCounts(out.stdout);
      assert.deepEqual(counts, { total: 10000, succeeded: 10000, failed: 0, errored: 0 });
      const multi = await run("h2load", ["-n", "10000", "-c", "4", "-m", "100", url], 60_000);
      assert.equal(h2loadCounts(multi.stdout).succeeded, 10000);
    });
  }
});

Deno.test("serve shuts down gracefully under h2load load: every accepted request succeeds", async () => {
  let accepted = 0;
  const running = await startServer({
    handler: (req) => {
      accepted++;
      return route(req);
    },
    drainTimeoutMs: 5000,
  });
  const url = `${running.server.url}/`;
  const load = run("h2load", ["-n", "1000000", "-c", "4", "-m", "20", url], 60_000);
  await new Promise((r) => setTimeout(r, 400));
  await running.close();
  const out = await load;
  const counts = h2loadCounts(out.stdout);
  assert.ok(accepted > 100, `only ${accepted} requests accepted`);
  // Requests the server accepted were all answered; the rest were never processed (above the
  // GOAWAY's last-stream-id, or never sent).
  assert.equal(counts.succeeded, accepted, out.stdout);
  await Effect.runPromise(Effect.void);
});

Deno.test("serve upgrades curl's and nghttp's HTTP/1.1 requests to h2c and refuses plain HTTP/1.1", async () => {
  const refused: string[] = [];
  await withServer({ handler: route, onError: (m) => refused.push(m) }, async (server) => {
    const up = await run("curl", [
      "-sS",
      "-v",
      "--http2",
      "--max-time",
      "10",
      `${server.url}/trailers`,
    ]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stderr, /HTTP\/1\.1 101 Switching Protocols/);
    assert.match(up.stderr, /< HTTP\/2 200/);
    assert.equal(up.stdout, "hello, world\nhello, world\n");
    const ng = await run("nghttp", ["-u", "-v", "-t", "10", `${server.url}/`]);
    assert.equal(ng.code, 0, ng.stderr);
    assert.match(ng.stdout, /HTTP Upgrade success/);
    assert.match(ng.stdout, /hello, world/);
    const h1 = await run("curl", ["-sS", "--http1.1", "--max-time", "10", `${server.url}/`]);
    assert.match(h1.stdout, /HTTP\/2 \(h2c\) only/);
    assert.ok(refused.some((m) => m.includes("HTTP/1.1")), refused.join("; "));
  });
});
