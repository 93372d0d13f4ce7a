import assert from "node:assert/strict";
import {
  checkFieldSection,
  checkFieldSectionOnce,
  FieldFacts,
  FieldSection,
} from "../../core/field_validation.ts";
import type { HeaderField } from "../../core/hpack/header_field.ts";
import { SeededRng, testSeeds } from "../_support/seeded_rng.ts";
import {
  checkFieldSection as oracleCheck,
  FieldFacts as OracleFacts,
} from "./_field_validation_oracle.ts";

const f = (name: string, value: string): HeaderField => ({ name, value });
const REQ = [
  f(":method", "GET"),
  f(":scheme", "https"),
  f(":authority", "a.example"),
  f(":path", "/"),
];

function check(fields: HeaderField[], section: number = FieldSection.REQUEST, connect = false) {
  return checkFieldSection(fields, section as FieldSection, connect, new FieldFacts());
}

Deno.test("checkFieldSection accepts well-formed requests, responses and trailers", () => {
  assert.equal(check(REQ), undefined);
  assert.equal(check([...REQ, f("te", "trailers"), f("accept", "*/*")]), undefined);
  assert.equal(check([f(":method", "OPTIONS"), f(":scheme", "https"), f(":path", "*")]), undefined);
  assert.equal(check([f(":method", "CONNECT"), f(":authority", "a.example:443")]), undefined);
  assert.equal(check([f(":status", "204"), f("x", "")], FieldSection.RESPONSE), undefined);
  assert.equal(check([f("grpc-status", "0")], FieldSection.TRAILERS), undefined);
  assert.equal(check([f("x-bytes", "\x80\xff")]), `Pseudo-header ":method" is missing`);
});

Deno.test("checkFieldSection rejects malformed pseudo-headers (RFC 9113 §8.3)", () => {
  const bad: [HeaderField[], number][] = [
    [[f("accept", "*/*"), ...REQ], FieldSection.REQUEST], // pseudo after regular
    [[...REQ, f(":method", "GET")], FieldSection.REQUEST], // duplicate
    [[f(":method", "GET"), f(":scheme", "https")], FieldSection.REQUEST], // no :path
    [[...REQ.slice(0, 3), f(":path", "")], FieldSection.REQUEST],
    [[...REQ.slice(0, 3), f(":path", "relative")], FieldSection.REQUEST],
    [[...REQ, f(":status", "200")], FieldSection.REQUEST],
    [[f(":path", "/")], FieldSection.RESPONSE],
    [[f(":status", "20")], FieldSection.RESPONSE],
    [[f(":status", "abc")], FieldSection.RESPONSE],
    [[f(":status", "101")], FieldSection.RESPONSE],
    [[f(":status", "200")], FieldSection.TRAILERS],
    [[f(":method", "CONNECT"), f(":authority", "a"), f(":path", "/")], FieldSection.REQUEST],
    [[...REQ, f(":protocol", "websocket")], FieldSection.REQUEST], // not enabled
    [[f(":method", "POST"), ...REQ.slice(1)], FieldSection.PUSH_REQUEST],
  ];
  for (const [fields, section] of bad) {
    assert.notEqual(check(fields, section), undefined, JSON.stringify(fields));
  }
});

Deno.test("checkFieldSection rejects bad names, values and connection-specific fields (§8.2)", () => {
  for (
    const extra of [
      f("Upper", "x"),
      f("sp ace", "x"),
      f("colon:", "x"),
      f("", "x"),
      f("x", " leading"),
      f("x", "trailing\t"),
      f("x", "nul\0"),
      f("x", "cr\r"),
      f("x", "lf\n"),
      f("connection", "keep-alive"),
      f("keep-alive", "1"),
      f("proxy-connection", "1"),
      f("transfer-encoding", "chunked"),
      f("upgrade", "h2c"),
      f("te", "gzip"),
      f("host", "other.example"),
      f("content-length", "1x"),
      f("x", "\u0100"),
    ]
  ) {
    assert.notEqual(check([...REQ, extra]), undefined, JSON.stringify(extra));
  }
});

Deno.test("checkFieldSection records content-length, status, method and :protocol", () => {
  const facts = new FieldFacts();
  assert.equal(
    checkFieldSection(
      [...REQ, f("content-length", "42"), f("content-length", "42")],
      0,
      false,
      facts,
    ),
    undefined,
  );
  assert.equal(facts.contentLength, 42);
  assert.equal(facts.method, "GET");
  assert.notEqual(
    checkFieldSection(
      [...REQ, f("content-length", "1"), f("content-length", "2")],
      0,
      false,
      facts,
    ),
    undefined,
  );
  assert.equal(
    checkFieldSection([f(":status", "103")], FieldSection.RESPONSE, false, facts),
    undefined,
  );
  assert.equal(facts.status, 103);
  const ws = [
    f(":method", "CONNECT"),
    f(":protocol", "websocket"),
    f(":scheme", "https"),
    f(":authority", "a"),
    f(":path", "/c"),
  ];
  assert.equal(checkFieldSection(ws, FieldSection.REQUEST, true, facts), undefined);
  assert.equal(facts.hasProtocol, true);
  assert.notEqual(checkFieldSection(ws.slice(0, 3), FieldSection.REQUEST, true, facts), undefined);
});

const frozen = (fields: HeaderField[]): HeaderField[] =>
  Object.freeze(fields.map((x) => Object.freeze(x))) as HeaderField[];

Deno.test("checkFieldSectionOnce gives a shared list's facts again without a new check", () => {
  const headers = frozen([f(":status", "200"), f("content-length", "12")]);
  for (let i = 0; i < 3; i++) {
    const facts = new FieldFacts();
    assert.equal(checkFieldSectionOnce(headers, FieldSection.RESPONSE, false, facts), undefined);
    assert.equal(facts.status, 200);
    assert.equal(facts.contentLength, 12);
  }
  // The same list in another section is checked for that section.
  assert.equal(
    checkFieldSectionOnce(headers, FieldSection.TRAILERS, false, new FieldFacts()),
    `Pseudo-header ":status" appears in trailers`,
  );
  const request = frozen([...REQ.map((x) => ({ ...x })), f(":protocol", "websocket")]);
  assert.equal(
    checkFieldSectionOnce(request, FieldSection.REQUEST, false, new FieldFacts()),
    `Pseudo-header ":protocol" is not allowed here`,
  );
});

Deno.test("checkFieldSectionOnce refuses invalid lists every time, frozen or not", () => {
  const bad = [
    frozen([f(":status", "200"), f("connection", "close")]),
    frozen([f(":status", "200"), f("x", "a\r\nb")]),
    frozen([f(":status", "20")]),
    [f(":status", "200"), f("Upper", "x")],
  ];
  for (const fields of bad) {
    for (let i = 0; i < 2; i++) {
      assert.notEqual(
        checkFieldSectionOnce(fields, FieldSection.RESPONSE, false, new FieldFacts()),
        undefined,
      );
    }
  }
});

Deno.test("checkFieldSectionOnce checks lists that can still change every time", () => {
  const facts = new FieldFacts();
  // A mutable list: valid once, then edited into an invalid one.
  const mutable = [f(":status", "200"), f("x", "1")];
  assert.equal(checkFieldSectionOnce(mutable, FieldSection.RESPONSE, false, facts), undefined);
  mutable[1] = f("transfer-encoding", "chunked");
  assert.notEqual(checkFieldSectionOnce(mutable, FieldSection.RESPONSE, false, facts), undefined);
  // A frozen list of mutable fields.
  const field: { name: string; value: string } = { name: "x", value: "1" };
  const shallow = Object.freeze([f(":status", "200"), field]) as HeaderField[];
  assert.equal(checkFieldSectionOnce(shallow, FieldSection.RESPONSE, false, facts), undefined);
  field.value = "bad\n";
  assert.notEqual(checkFieldSectionOnce(shallow, FieldSection.RESPONSE, false, facts), undefined);
  // A frozen field whose value is an accessor, which freezing does not fix.
  let value = "ok";
  const accessor = Object.freeze({
    name: "x",
    get value() {
      return value;
    },
  });
  const withAccessor = Object.freeze([f(":status", "200"), accessor]) as HeaderField[];
  assert.equal(checkFieldSectionOnce(withAccessor, FieldSection.RESPONSE, false, facts), undefined);
  value = "bad\r";
  assert.notEqual(
    checkFieldSectionOnce(withAccessor, FieldSection.RESPONSE, false, facts),
    undefined,
  );
});

// Field names and values a random section is built from: every rule's trigger and near-misses.
const NAMES = [
  ":method",
  ":scheme",
  ":authority",
  ":path",
  ":protocol",
  ":status",
  ":other",
  ":",
  "te",
  "host",
  "upgrade",
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "content-length",
  "content-type",
  "grpc-status",
  "x-a",
  "X-Upper",
  "bad name",
  "bad:colon",
  "",
  "caf\xe9",
  "\u0100x",
  "a\x7f",
  "tf",
  "hosT",
];
const VALUES = [
  "",
  "GET",
  "POST",
  "CONNECT",
  "OPTIONS",
  "HEAD",
  "http",
  "https",
  "/",
  "*",
  "rel",
  "a.example",
  "b.example",
  "trailers",
  "gzip",
  "200",
  "101",
  "099",
  "20",
  "2000",
  "abc",
  "0",
  "12",
  "012",
  "1234567890123456",
  " lead",
  "trail ",
  "\tx",
  "x\t",
  "in side",
  "nul\0",
  "cr\r",
  "lf\n",
  "\x80\xff",
  "\u0100",
  "websocket",
];

function randomSection(rng: SeededRng, pool: HeaderField[]): HeaderField[] {
  const out: HeaderField[] = [];
  // Usually start from a well-formed request or response so deeper rules are reached.
  const start = rng.int(0, 3);
  if (start <= 1) out.push(...REQ);
  else if (start === 2) out.push(f(":status", rng.pick(["200", "204", "101", "99"])));
  const n = rng.int(0, 6);
  for (let i = 0; i < n; i++) {
    // Reuse an earlier (possibly frozen) object now and then, as the HPACK tables do.
    if (pool.length !== 0 && rng.chance(0.3)) {
      out.splice(rng.int(0, out.length), 0, rng.pick(pool));
      continue;
    }
    let field = f(rng.pick(NAMES), rng.pick(VALUES));
    if (rng.chance(0.5)) field = Object.freeze(field);
    pool.push(field);
    out.splice(rng.int(0, out.length), 0, field);
  }
  return out;
}

Deno.test("checkFieldSection agrees with the pre-cache oracle on random sections", () => {
  for (const seed of testSeeds(0x5eed_f1e1, 8)) {
    const rng = new SeededRng(seed);
    const pool: HeaderField[] = [];
    const facts = new FieldFacts();
    const oracleFacts = new OracleFacts();
    for (let i = 0; i < 4000; i++) {
      const fields = randomSection(rng, pool);
      const section = rng.int(0, 3) as FieldSection;
      const connect = rng.chance(0.5);
      const got = checkFieldSection(fields, section, connect, facts);
      const want = oracleCheck(fields, section, connect, oracleFacts);
      const where = `seed ${seed}, case ${i}: ${JSON.stringify(fields)} in section ${section}`;
      assert.equal(got, want, where);
      if (want === undefined) assert.deepEqual({ ...facts }, { ...oracleFacts }, where);
    }
  }
});

Deno.test("checkFieldSection checks a cached field's value again once it differs", () => {
  // A frozen field that passed is remembered; a different object with a bad value is not.
  const good = Object.freeze(f("x-a", "ok"));
  assert.equal(check([good], FieldSection.TRAILERS), undefined);
  assert.equal(check([good], FieldSection.TRAILERS), undefined);
  assert.match(check([f("x-a", "bad\n")], FieldSection.TRAILERS)!, /forbidden characters/);
  // An accessor survives freezing, so a frozen field with a getter is checked every time.
  let value = "ok";
  const tricky = Object.freeze({
    name: "x-a",
    get value() {
      return value;
    },
  });
  assert.equal(check([tricky], FieldSection.TRAILERS), undefined);
  value = "bad\r";
  assert.match(check([tricky], FieldSection.TRAILERS)!, /forbidden characters/);
  // The cache covers characters only: the section rules still apply to a cached field.
  const te = Object.freeze(f("te", "gzip"));
  assert.match(check([te], FieldSection.TRAILERS)!, /not "trailers"/);
  const conn = Object.freeze(f("connection", "close"));
  assert.match(check([conn], FieldSection.TRAILERS)!, /Connection-specific/);
  assert.match(check([conn], FieldSection.TRAILERS)!, /Connection-specific/);
});
