import { strict as assert } from "node:assert";
import { HEALTH_PROTO, REFLECTION_PROTO, STATUS_PROTO } from "../../rpc/_protos.ts";

const dir = new URL("../../proto/", import.meta.url);

Deno.test("embedded protos match the files under proto/", async () => {
  assert.equal(HEALTH_PROTO, await Deno.readTextFile(new URL("grpc/health/v1/health.proto", dir)));
  assert.equal(
    REFLECTION_PROTO,
    await Deno.readTextFile(new URL("grpc/reflection/v1/reflection.proto", dir)),
  );
  assert.equal(STATUS_PROTO, await Deno.readTextFile(new URL("google/rpc/status.proto", dir)));
});
