/**
 * Fails when `core/` stops being a pure, portable, sans-I/O library.
 *
 * The core must run unchanged in any JavaScript runtime and be deterministic
 * under test, so it may import only other files inside `core/`, and may not
 * touch `Deno`, Effect, Node built-ins, timers, the clock or unseeded
 * randomness. Run with `deno task check:core`; it is part of `deno task check`.
 *
 * @module
 */

// The directory to check: `core/` of this checkout, or the one given (for the tool's own test).
const root = Deno.args[0] === undefined
  ? new URL("../core/", import.meta.url)
  : new URL(`file://${Deno.args[0].replace(/\/?$/, "/")}`);

interface Rule {
  readonly pattern: RegExp;
  readonly why: string;
}

const rules: readonly Rule[] = [
  { pattern: /\bDeno\s*\./, why: "uses the Deno namespace" },
  { pattern: /\bprocess\s*\.\s*(env|argv|hrtime|nextTick)/, why: "uses Node's process" },
  { pattern: /\bBuffer\s*\./, why: "uses Node's Buffer" },
  { pattern: /\b(setTimeout|setInterval|setImmediate|queueMicrotask)\s*\(/, why: "uses a timer" },
  {
    pattern: /\bDate\s*\.\s*now\s*\(|\bnew\s+Date\s*\(|\bperformance\s*\.\s*now/,
    why: "reads the clock",
  },
  {
    pattern: /\bMath\s*\.\s*random\s*\(|crypto\s*\.\s*getRandomValues/,
    why: "uses unseeded randomness",
  },
  { pattern: /\bfetch\s*\(|\bWebSocket\b|\bXMLHttpRequest\b/, why: "does I/O" },
];

const importRe =
  /(?:^|[\s;])(?:import|export)\s*(?:type\s+)?(?:[\w*{}\s,$]+\s+from\s+)?["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)/g;

async function* walk(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* walk(url);
    else if (/\.(ts|js|mts|mjs)$/.test(entry.name)) yield url;
  }
}

/** Removes comments so that prose about timers or `Deno` does not trip the rules. */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, " "))
    .replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

/**
 * The code of the fenced examples in doc comments, `*` prefixes removed. They run as doc tests
 * (`deno test --doc`) and are what users copy, so they are held to the same rules as the code.
 */
function docExamples(src: string): string {
  const code: string[] = [];
  for (const comment of src.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    let inside = false;
    for (const raw of comment[0].split("\n")) {
      const line = raw.replace(/^\s*\*\s?/, "");
      if (line.startsWith("```")) inside = !inside;
      else if (inside) code.push(line);
    }
  }
  return code.join("\n");
}

const problems: string[] = [];

/** Records what `src` (comments already removed) imports or uses that core/ may not. */
function check(file: URL, where: string, src: string): void {
  for (const m of src.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith(".")) {
      problems.push(`${where}: imports "${spec}" from outside core/`);
      continue;
    }
    const target = new URL(spec, file);
    if (!target.pathname.startsWith(root.pathname)) {
      problems.push(`${where}: imports "${spec}", which is outside core/`);
    }
  }
  src.split("\n").forEach((line, i) => {
    for (const rule of rules) {
      if (rule.pattern.test(line)) problems.push(`${where}:${i + 1}: ${rule.why}: ${line.trim()}`);
    }
  });
}

for await (const file of walk(root)) {
  const rel = file.pathname.slice(root.pathname.length - "core/".length);
  const text = await Deno.readTextFile(file);
  check(file, rel, stripComments(text));
  check(file, `${rel} (doc example)`, stripComments(docExamples(text)));
}

if (problems.length > 0) {
  console.error("core/ must stay sans-I/O and dependency-free:");
  for (const p of problems) console.error(`  ${p}`);
  Deno.exit(1);
}
console.log("core/ is pure: no outside imports, I/O, timers, clock or unseeded randomness");
