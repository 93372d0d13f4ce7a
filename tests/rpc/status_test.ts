import { strict as assert } from "node:assert";
import { Cause } from "effect";
import { Code } from "../../rpc/code.ts";
import { ExchangeError } from "../../rpc/exchange.ts";
import { Metadata } from "../../rpc/metadata.ts";
import { RpcError } from "../../rpc/status.ts";

Deno.test("RpcError.from normalises anything", () => {
  const e = new RpcError({ code: Code.NOT_FOUND, message: "nope" });
  assert.equal(RpcError.from(e), e);
  assert.equal(e._tag, "RpcError");
  assert.equal(e.codeName, "NOT_FOUND");
  assert.ok(e.metadata instanceof Metadata);
  const reset = RpcError.from(
    new ExchangeError({ reason: "Reset", message: "x", initiator: "remote", errorCode: 8 }),
  );
  assert.equal(reset.code, Code.CANCELLED);
  const refused = RpcError.from(
    new ExchangeError({ reason: "Reset", message: "x", initiator: "remote", errorCode: 7 }),
  );
  assert.equal(refused.code, Code.UNAVAILABLE);
  const down = RpcError.from(
    new ExchangeError({ reason: "Unavailable", message: "x", initiator: "local" }),
  );
  assert.equal(down.code, Code.UNAVAILABLE);
  assert.equal(RpcError.from(new Cause.TimeoutError()).code, Code.DEADLINE_EXCEEDED);
  const plain = RpcError.from(new TypeError("boom"));
  assert.equal(plain.code, Code.UNKNOWN);
  assert.equal(plain.message, "boom");
  assert.equal(RpcError.from("str", Code.INTERNAL).code, Code.INTERNAL);
});
