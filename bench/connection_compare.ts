/**
 * Side-by-side: in-memory HTTP/2 request/response exchanges per second,
 * h2kit's H2Connection vs python-h2 (hyper-h2) doing the same exchange, in
 * the same run on the same machine, plus h2kit's heap growth per exchange.
 *
 *     deno run -A bench/connection_compare.ts [seconds-per-case]
 *
 * With these V8 flags it also reports heap bytes allocated per exchange (a
 * 256 MiB young generation keeps the scavenger out of the measured burst):
 *
 *     deno run -A --v8-flags=--expose-gc,--min-semi-space-size=256,--max-semi-space-size=256 \
 *       bench/connection_compare.ts
 */

import { Exchanger } from "./_exchange.ts";

const seconds = Number(Deno.args[0] ?? 2);
const sizes = [13, 65_536];

function h2kit(
  bodySize: number,
  roundRobin: boolean,
): { rate: number; bytesPerExchange: number | undefined } {
  const ex = new Exchanger(bodySize, 50, roundRobin);
  ex.run(bodySize > 16_384 ? 500 : 20_000); // warm up the JIT
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) n += ex.run(500);
  const rate = n / ((performance.now() - start) / 1000);
  // Allocation per exchange: heap growth over a short burst, meaningful only when the young
  // generation is big enough that no scavenge runs during it (see the flags in the header).
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return { rate, bytesPerExchange: undefined };
  gc();
  const before = Deno.memoryUsage().heapUsed;
  const k = ex.run(bodySize > 16_384 ? 200 : 2000);
  const after = Deno.memoryUsage().heapUsed;
  return { rate, bytesPerExchange: Math.max(0, (after - before) / k) };
}

async function python(bodySize: number): Promise<number | undefined> {
  try {
    const out = await new Deno.Command("/usr/bin/python3", {
      args: [
        new URL("./python_h2_exchange.py", import.meta.url).pathname,
        String(bodySize),
        String(seconds),
      ],
      stderr: "inherit",
    }).output();
    if (!out.success) return undefined;
    const r = JSON.parse(new TextDecoder().decode(out.stdout));
    return r.exchanges / r.seconds;
  } catch {
    return undefined;
  }
}

const rows: string[] = [];
for (const size of sizes) {
  const ours = h2kit(size, false);
  const rr = h2kit(size, true);
  const theirs = await python(size);
  rows.push(
    `| ${size} B | ${Math.round(ours.rate).toLocaleString("en")} | ${
      Math.round(rr.rate).toLocaleString("en")
    } | ${theirs === undefined ? "n/a" : Math.round(theirs).toLocaleString("en")} | ${
      theirs === undefined ? "n/a" : (ours.rate / theirs).toFixed(1) + "×"
    } | ${
      ours.bytesPerExchange === undefined
        ? "n/a"
        : Math.round(ours.bytesPerExchange).toLocaleString("en")
    } |`,
  );
}
console.log(
  "| body | h2kit exchanges/s | h2kit with round-robin scheduler | python-h2 exchanges/s | ratio (default) | h2kit heap B/exchange |",
);
console.log("| --- | --- | --- | --- | --- | --- |");
for (const r of rows) console.log(r);
