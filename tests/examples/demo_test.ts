import assert from "node:assert/strict";

Deno.test("demo prints both requests decoded and the dynamic table shrinking the second", async () => {
  const demo = new URL("../../examples/demo.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", demo],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const sizes = [...text.matchAll(/→ (\d+) bytes compressed/g)].map((m) => Number(m[1]));
  assert.equal(sizes.length, 2);
  assert.ok(sizes[1] < sizes[0] / 1.5, `second block ${sizes[1]} vs first ${sizes[0]}`);
  assert.equal(text.match(/body="hello, world\\n"/g)?.length, 2);
  assert.match(text, /authorization: Bearer s3cr3t-t0k3n {3}← never indexed/);
});
