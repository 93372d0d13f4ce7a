import assert from "node:assert/strict";

const tool = new URL("../../tools/check_core.ts", import.meta.url);

async function runOn(dir: string): Promise<{ code: number; stderr: string }> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", `--allow-read=${dir}`, tool.pathname, dir],
    stdout: "piped",
    stderr: "piped",
  });
  const out = await cmd.output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("check_core passes on the real core/", async () => {
  const root = new URL("../../core/", import.meta.url).pathname;
  const { code, stderr } = await runOn(root);
  assert.equal(code, 0, stderr);
});

Deno.test("check_core rejects outside imports, Deno, timers, the clock and Math.random, in code and in doc examples", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/core`);
    await Deno.writeTextFile(
      `${dir}/core/bad.ts`,
      [
        'import { Effect } from "effect";',
        'import { x } from "../net/x.ts";',
        "// setTimeout( in a comment is fine",
        "export const a = Deno.env;",
        "export const b = setTimeout(() => {}, 1);",
        "export const c = Date.now();",
        "export const d = Math.random();",
        "/**",
        " * ```ts",
        ' * import assert from "node:assert/strict";',
        " * assert.equal(Date.now() > 0, true);",
        " * ```",
        " */",
        "export const e = 1;",
      ].join("\n"),
    );
    await Deno.writeTextFile(`${dir}/core/good.ts`, 'import { y } from "./bad.ts";\n');
    const { code, stderr } = await runOn(`${dir}/core/`);
    assert.equal(code, 1);
    for (
      const what of [
        '"effect"',
        '"../net/x.ts"',
        "Deno",
        "timer",
        "clock",
        "randomness",
        'bad.ts (doc example): imports "node:assert/strict"',
        "bad.ts (doc example):2: reads the clock",
      ]
    ) {
      assert.match(stderr, new RegExp(what.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
    }
    assert.doesNotMatch(stderr, /good\.ts/);
    assert.doesNotMatch(stderr, /comment/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
