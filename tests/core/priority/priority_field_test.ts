import assert from "node:assert/strict";
import {
  parsePriorityField,
  priorityFromField,
  serializePriorityField,
} from "../../../core/priority/priority_field.ts";
import { DEFAULT_PRIORITY } from "../../../core/priority/priority_params.ts";
import { UsageError } from "../../../core/errors.ts";
import { SeededRng, testSeeds } from "../../_support/seeded_rng.ts";

function p(urgency: number, incremental: boolean) {
  return { urgency, incremental };
}

Deno.test("parsePriorityField reads u and i in their RFC 9218 forms", () => {
  assert.deepEqual(parsePriorityField("u=5, i"), p(5, true));
  assert.deepEqual(parsePriorityField("i"), p(3, true));
  assert.deepEqual(parsePriorityField("i=?1"), p(3, true));
  assert.deepEqual(parsePriorityField("i=?0"), p(3, false));
  assert.deepEqual(parsePriorityField("u=0"), p(0, false));
  assert.deepEqual(parsePriorityField("u=7,i"), p(7, true));
  assert.deepEqual(parsePriorityField("i, u=1"), p(1, true));
});

Deno.test("parsePriorityField treats an empty or blank field as the defaults", () => {
  assert.deepEqual(parsePriorityField(""), DEFAULT_PRIORITY);
  assert.deepEqual(parsePriorityField("   "), DEFAULT_PRIORITY);
  assert.deepEqual(parsePriorityField("  u=2  "), p(2, false));
});

Deno.test("parsePriorityField ignores unknown parameters and member parameters", () => {
  assert.deepEqual(parsePriorityField("u=2, foo=bar, x;y=1, i"), p(2, true));
  assert.deepEqual(parsePriorityField('u=1;a=2;b="c", i;d=?0'), p(1, true));
  assert.deepEqual(parsePriorityField("visible, u=4, *z=:YWJj:"), p(4, false));
  assert.deepEqual(parsePriorityField("l=(1 2 3);q=1, u=6"), p(6, false));
  assert.deepEqual(parsePriorityField("t=tok/en:x, d=1.25, u=1"), p(1, false));
});

Deno.test("parsePriorityField ignores out-of-range values and unexpected types", () => {
  for (const v of ["u=8", "u=-1", "u=100", "u=1.0", "u=1.5", 'u="1"', "u=?1", "u=a", "u=(1)"]) {
    assert.deepEqual(parsePriorityField(v), DEFAULT_PRIORITY, v);
  }
  for (const v of ["i=1", "i=0", 'i="?1"', "i=(?1)", "i=yes", "i=1.0"]) {
    assert.deepEqual(parsePriorityField(`u=2, ${v}`), p(2, false), v);
  }
  // An ignored parameter still lets valid siblings through.
  assert.deepEqual(parsePriorityField("u=9, i"), p(3, true));
});

Deno.test("parsePriorityField lets a later duplicate key replace an earlier one", () => {
  assert.deepEqual(parsePriorityField("u=1, u=5"), p(5, false));
  assert.deepEqual(parsePriorityField("u=1, u=9"), p(3, false));
  assert.deepEqual(parsePriorityField("i, i=?0"), p(3, false));
  assert.deepEqual(parsePriorityField("i=?0, i"), p(3, true));
});

Deno.test("parsePriorityField rejects values that are not a Structured Field Dictionary", () => {
  const invalid = [
    "u=",
    "U=1",
    "u=1,",
    ",u=1",
    "u=1,,i",
    "u=1 i",
    "u=1;",
    "u=1;;a",
    "u==1",
    "u=(1 2",
    'u="abc',
    'u="a\\b"',
    "u=:abc",
    "u=:a b:",
    "u=?2",
    "u=?",
    "u=1.",
    "u=1.2345",
    "u=1234567890123456",
    "u=1234567890123.5",
    "u=-",
    "1u=1",
    "\tu=1",
    "u=1, i=@1.5",
    "u=\u00e9",
    'x=%"%ff", u=1',
    'x=%"%C3%A9", u=1',
    "u=#1",
  ];
  for (const v of invalid) assert.equal(parsePriorityField(v), undefined, JSON.stringify(v));
});

Deno.test("parsePriorityField accepts the whole RFC 9651 item grammar around the parameters", () => {
  const valid = [
    "u=2,\ti",
    "u=2 ,  i=?0",
    "u=2\t",
    "a=-12, b=-1.5, c=0.001, u=2",
    'a="q\\"uo\\\\te", u=2',
    "a=*tok, b=Tok!#$%&'*+-.^_`|~:/, u=2",
    "a=?0, b=?1, u=2",
    "a=@1659578233, u=2",
    'a=%"caf%c3%a9", u=2',
    'a=(), b=( 1  "x" ), u=2',
    "a=123456789012345, u=2",
  ];
  for (const v of valid) assert.equal(parsePriorityField(v)?.urgency, 2, JSON.stringify(v));
});

Deno.test("parsePriorityField merges over a base, as for a response's priority field", () => {
  const client = p(5, true);
  assert.deepEqual(parsePriorityField("u=1", client), p(1, true));
  assert.deepEqual(parsePriorityField("i=?0", client), p(5, false));
  assert.deepEqual(parsePriorityField("", client), client);
  assert.deepEqual(parsePriorityField("u=99", client), client);
});

Deno.test("priorityFromField falls back to the defaults for absent or invalid fields", () => {
  assert.deepEqual(priorityFromField(undefined), DEFAULT_PRIORITY);
  assert.deepEqual(priorityFromField("u=1,,"), DEFAULT_PRIORITY);
  assert.deepEqual(priorityFromField("u=1"), p(1, false));
});

Deno.test("serializePriorityField round-trips every urgency and flag", () => {
  for (let u = 0; u <= 7; u++) {
    for (const i of [false, true]) {
      const text = serializePriorityField(p(u, i));
      assert.deepEqual(parsePriorityField(text), p(u, i), text);
    }
  }
  assert.equal(serializePriorityField(p(5, true)), "u=5, i");
  assert.equal(serializePriorityField(p(3, true)), "i");
  assert.equal(serializePriorityField(DEFAULT_PRIORITY), "");
  assert.throws(() => serializePriorityField(p(8, false)), UsageError);
  assert.throws(() => serializePriorityField(p(1.5, false)), UsageError);
});

Deno.test("parsePriorityField never throws on random input and stays linear", () => {
  const alphabet = 'ui=,; ?01-.:"()*\\@%\tabc7x';
  for (const seed of testSeeds(0x5f1e1d, 8)) {
    const rng = new SeededRng(seed);
    for (let n = 0; n < 2000; n++) {
      let s = "";
      const len = rng.int(0, 24);
      for (let k = 0; k < len; k++) s += alphabet[rng.int(0, alphabet.length - 1)];
      const r = parsePriorityField(s);
      if (r !== undefined) {
        assert.ok(Number.isInteger(r.urgency) && r.urgency >= 0 && r.urgency <= 7, s);
        assert.equal(typeof r.incremental, "boolean", s);
      }
    }
  }
  // A hostile 1 MiB field is parsed in one pass.
  const big = "a=1, ".repeat(200_000) + "u=6";
  assert.deepEqual(parsePriorityField(big), p(6, false));
});
