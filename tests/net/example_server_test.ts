import assert from "node:assert/strict";
import { CERT_FILES, run } from "./_helpers.ts";

const EXAMPLE = new URL("../../examples/h2_server.ts", import.meta.url).pathname;

Deno.test("examples/h2_server.ts prints LISTENING, serves TLS and stops gracefully on SIGTERM", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      EXAMPLE,
      "--port",
      "0",
      "--cert",
      CERT_FILES.cert,
      "--key",
      CERT_FILES.key,
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  try {
    let text = "";
    const deadline = Date.now() + 20_000;
    let m: RegExpExecArray | null = null;
    while (m === null && Date.now() < deadline) {
      const r = await reader.read();
      if (r.done) break;
      text += new TextDecoder().decode(r.value);
      m = /LISTENING (\d+)\n/.exec(text);
    }
    assert.ok(m, `no LISTENING line in ${JSON.stringify(text)}`);
    const port = Number(m[1]);
    assert.ok(port > 0);
    const base = `https://localhost:${port}`;
    const out = await run("curl", [
      "-sS",
      "--http2",
      "--cacert",
      CERT_FILES.ca,
      "--max-time",
      "10",
      `${base}/`,
      `${base}/big`,
      "-o",
      "/dev/null",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code} %{size_download}\n",
    ]);
    assert.equal(out.stdout, "200 13\n200 1048576\n");
    child.kill("SIGTERM");
    const status = await child.status;
    assert.equal(status.code, 0);
  } finally {
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
    try {
      child.kill("SIGKILL");
    } catch {
      // Exited.
    }
    await child.status;
  }
});
