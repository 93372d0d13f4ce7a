import assert from "node:assert/strict";

// The README's usage example is code users copy: run it, so it can't rot.
Deno.test("README usage example serves and fetches over HTTP/2", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const block = readme.match(/```ts\n([\s\S]*?)```/)?.[1];
  assert.ok(block !== undefined, "README has a ts code block");
  const dir = await Deno.makeTempDir({ dir: new URL(".", import.meta.url).pathname });
  try {
    const root = new URL("../mod.ts", import.meta.url).href;
    const file = `${dir}/readme_example.ts`;
    await Deno.writeTextFile(file, block.replace('"./mod.ts"', JSON.stringify(root)));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", file],
      stdout: "piped",
      stderr: "piped",
      cwd: new URL("..", import.meta.url).pathname,
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(stdout.trim(), "200 hello from /hi");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
