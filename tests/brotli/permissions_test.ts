/**
 * The Wasm backend must load without any permission (no --allow-read), so it runs where file
 * reads are forbidden. Checked in a child Deno with every permission denied.
 */
import assert from "node:assert/strict";

Deno.test("loadBrotliBackend wasm loads with no permissions", async () => {
  const mod = new URL("../../brotli/mod.ts", import.meta.url).href;
  const script = `
    import { compress, decompress, loadBrotliBackend } from ${JSON.stringify(mod)};
    const wasm = await loadBrotliBackend("wasm");
    let denied = "";
    try { Deno.readFileSync(${
    JSON.stringify(new URL("../../deno.json", import.meta.url).pathname)
  }); } catch (e) { denied = e.name; }
    const data = new TextEncoder().encode("no permissions needed ".repeat(100));
    const packed = await compress(data, { backend: "wasm", quality: 9 });
    const back = await decompress(packed, { backend: "wasm" });
    console.log(JSON.stringify({ route: wasm.route, ok: back.length === data.length, denied }));
  `;
  const config = new URL("../../deno.json", import.meta.url).pathname;
  // `deno eval` would grant every permission; `deno run` without flags grants none.
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(file, script);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--config", config, file],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output().finally(() => Deno.remove(file));
  const stderr = new TextDecoder().decode(out.stderr);
  assert.ok(out.success, stderr);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), {
    route: "wasm-import",
    ok: true,
    denied: "NotCapable",
  });
});

Deno.test("the default web build of brotli-wasm would need read permission", async () => {
  // Documents why the loader avoids it: the package's own entry fetches its .wasm over file:.
  const script = `await (await import("brotli-wasm")).default; console.log("loaded");`;
  const config = new URL("../../deno.json", import.meta.url).pathname;
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(file, script);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--config", config, file],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output().finally(() => Deno.remove(file));
  assert.equal(out.success, false);
  assert.match(new TextDecoder().decode(out.stderr), /Requires read access/);
});
