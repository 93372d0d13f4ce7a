import { strict as assert } from "node:assert";
import { formatTimeout, parseTimeout } from "../../rpc/deadline.ts";

Deno.test("parseTimeout reads every unit", () => {
  assert.equal(parseTimeout("1H"), 3_600_000);
  assert.equal(parseTimeout("2M"), 120_000);
  assert.equal(parseTimeout("3S"), 3_000);
  assert.equal(parseTimeout("100m"), 100);
  assert.equal(parseTimeout("1500u"), 1.5);
  assert.equal(parseTimeout("2000000n"), 2);
  assert.equal(parseTimeout("0m"), 0);
  assert.equal(parseTimeout("99999999S"), 99_999_999_000);
});

Deno.test("parseTimeout rejects malformed values", () => {
  for (
    const v of [
      "",
      "m",
      "1",
      "123456789m",
      "1x",
      "-1m",
      "+1m",
      " 1m",
      "1 m",
      "1.5m",
      "1h",
      "1s",
      "mm",
      "1mm",
    ]
  ) {
    assert.equal(parseTimeout(v), undefined, JSON.stringify(v));
  }
});

Deno.test("formatTimeout picks the finest unit within 8 digits and never shortens", () => {
  assert.equal(formatTimeout(1), "1000000n");
  assert.equal(formatTimeout(50), "50000000n");
  assert.equal(formatTimeout(500), "500000u");
  assert.equal(formatTimeout(100_000), "100000m");
  assert.equal(formatTimeout(100_000_000), "100000S");
  assert.equal(formatTimeout(0), "0n");
  assert.equal(formatTimeout(-5), "0n");
  assert.equal(formatTimeout(1e20), "99999999H");
  for (const ms of [0.001, 0.5, 1, 7.25, 99.999, 1234.5678, 86_400_000, 1e10, 1e13]) {
    const s = formatTimeout(ms);
    assert.match(s, /^[0-9]{1,8}[HMSmun]$/);
    const back = parseTimeout(s)!;
    assert.ok(back >= ms - 1e-9, `${ms} -> ${s}`);
    assert.ok(back <= ms * 1.01 + 1e-6, `${ms} -> ${s}`);
  }
});
