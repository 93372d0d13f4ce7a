import { strict as assert } from "node:assert";
import { Code, codeFromNumber, codeName, parseStatusCode } from "../../rpc/code.ts";

Deno.test("Code has the 17 gRPC codes with their numbers", () => {
  assert.equal(Object.keys(Code).length, 17);
  assert.equal(Code.OK, 0);
  assert.equal(Code.UNIMPLEMENTED, 12);
  assert.equal(Code.UNAUTHENTICATED, 16);
  assert.equal(codeName(4), "DEADLINE_EXCEEDED");
  assert.equal(codeFromNumber(17), Code.UNKNOWN);
  assert.equal(codeFromNumber(-1), Code.UNKNOWN);
});

Deno.test("parseStatusCode accepts only plain decimal integers", () => {
  assert.equal(parseStatusCode("0"), Code.OK);
  assert.equal(parseStatusCode("14"), Code.UNAVAILABLE);
  for (const v of ["", " 1", "1 ", "+1", "-1", "0x1", "1.0", "99", "99999999999"]) {
    assert.equal(parseStatusCode(v), Code.UNKNOWN, JSON.stringify(v));
  }
});
