import { strict as assert } from "node:assert";
import { Code } from "../../rpc/code.ts";
import { decodeStatusDetails, encodeStatusDetails } from "../../rpc/status_details.ts";

Deno.test("encodeStatusDetails round-trips google.rpc.Status", () => {
  const details = [{
    typeUrl: "type.googleapis.com/google.rpc.ErrorInfo",
    value: new Uint8Array([10, 1, 65]),
  }];
  const bytes = encodeStatusDetails(Code.INVALID_ARGUMENT, "bad ☺", details);
  // field 1 (code) varint 3, field 2 (message) ...
  assert.deepEqual(Array.from(bytes.subarray(0, 2)), [0x08, 0x03]);
  const back = decodeStatusDetails(bytes)!;
  assert.equal(back.code, Code.INVALID_ARGUMENT);
  assert.equal(back.message, "bad ☺");
  assert.deepEqual(back.details, details);
  assert.equal(decodeStatusDetails(new Uint8Array([0x0a, 0xff])), undefined);
});
