import { strict as assert } from "node:assert";
import { Code } from "../../rpc/code.ts";
import { codeFromHttpStatus, codeFromResetCode } from "../../rpc/http_status.ts";

Deno.test("codeFromHttpStatus follows http-grpc-status-mapping", () => {
  const table: Array<[number, Code]> = [
    [400, Code.INTERNAL],
    [401, Code.UNAUTHENTICATED],
    [403, Code.PERMISSION_DENIED],
    [404, Code.UNIMPLEMENTED],
    [429, Code.UNAVAILABLE],
    [502, Code.UNAVAILABLE],
    [503, Code.UNAVAILABLE],
    [504, Code.UNAVAILABLE],
    [500, Code.UNKNOWN],
    [200, Code.UNKNOWN],
    [302, Code.UNKNOWN],
  ];
  for (const [http, code] of table) assert.equal(codeFromHttpStatus(http), code, String(http));
});

Deno.test("codeFromResetCode maps RST_STREAM codes", () => {
  assert.equal(codeFromResetCode(0x0), Code.INTERNAL);
  assert.equal(codeFromResetCode(0x1), Code.INTERNAL);
  assert.equal(codeFromResetCode(0x2), Code.INTERNAL);
  assert.equal(codeFromResetCode(0x7), Code.UNAVAILABLE);
  assert.equal(codeFromResetCode(0x8), Code.CANCELLED);
  assert.equal(codeFromResetCode(0xb), Code.RESOURCE_EXHAUSTED);
  assert.equal(codeFromResetCode(0xc), Code.PERMISSION_DENIED);
  assert.equal(codeFromResetCode(0xdead), Code.INTERNAL);
});
