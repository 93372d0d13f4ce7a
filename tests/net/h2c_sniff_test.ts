import assert from "node:assert/strict";
import { sniffOpening, upgradeSettings } from "../../net/_h2c_sniff.ts";

const enc = new TextEncoder();

/** A reader that returns the given pieces one per read. */
function reader(...pieces: string[] | Uint8Array[]) {
  const queue = pieces.map((p) => typeof p === "string" ? enc.encode(p) : p);
  return {
    read(p: Uint8Array): Promise<number | null> {
      const next = queue.shift();
      if (next === undefined) return Promise.resolve(null);
      const n = Math.min(next.length, p.length);
      p.set(next.subarray(0, n));
      if (n < next.length) queue.unshift(next.subarray(n));
      return Promise.resolve(n);
    },
  };
}

Deno.test("sniffOpening recognises the HTTP/2 preface split across reads", async () => {
  const o = await sniffOpening(reader("PRI * HTTP/2.0\r", "\n\r\nSM\r\n\r\n", "\0\0\0\x04"));
  assert.equal(o.kind, "h2");
  if (o.kind === "h2") {
    assert.equal(new TextDecoder().decode(o.bytes), "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  }
});

Deno.test("sniffOpening parses an HTTP/1.1 head and keeps the bytes after it", async () => {
  const o = await sniffOpening(
    reader("GET /a?b HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\n", "X-Y:  z \r\n\r\nPRI"),
  );
  assert.equal(o.kind, "h1");
  if (o.kind !== "h1") return;
  assert.deepEqual(o.head, {
    method: "GET",
    target: "/a?b",
    version: "HTTP/1.1",
    fields: [["host", "x"], ["upgrade", "h2c"], ["x-y", "z"]],
  });
  assert.equal(new TextDecoder().decode(o.rest), "PRI");
});

Deno.test("sniffOpening refuses malformed, oversized and truncated openings", async () => {
  assert.equal((await sniffOpening(reader("GARBAGE\r\n\r\n"))).kind, "invalid");
  assert.equal(
    (await sniffOpening(reader("GET / HTTP/1.1\r\nbad header\r\n\r\n"))).kind,
    "invalid",
  );
  const huge = "GET / HTTP/1.1\r\n" + "x-a: b\r\n".repeat(4000);
  const o = await sniffOpening(reader(huge));
  assert.equal(o.kind, "invalid");
  if (o.kind === "invalid") assert.match(o.reason, /too large/);
  assert.equal((await sniffOpening(reader("PRI * HT"))).kind, "invalid");
});

Deno.test("upgradeSettings accepts only a well-formed bodiless h2c upgrade (RFC 7540 §3.2)", () => {
  const head = (fields: Array<[string, string]>) => ({
    method: "GET",
    target: "/",
    version: "HTTP/1.1",
    fields,
  });
  const ok: Array<[string, string]> = [
    ["connection", "Upgrade, HTTP2-Settings"],
    ["upgrade", "h2c"],
    ["http2-settings", "AAMAAABkAAQAAP__"],
  ];
  assert.equal(upgradeSettings(head(ok)), "AAMAAABkAAQAAP__");
  assert.equal(upgradeSettings(head(ok.slice(1))), undefined); // not nominated in Connection
  assert.equal(upgradeSettings(head([ok[0], ["upgrade", "websocket"], ok[2]])), undefined);
  assert.equal(upgradeSettings(head([...ok, ok[2]])), undefined); // two HTTP2-Settings
  assert.equal(upgradeSettings(head([...ok, ["content-length", "5"]])), undefined);
  assert.equal(upgradeSettings(head([...ok, ["content-length", "0"]])), "AAMAAABkAAQAAP__");
});
