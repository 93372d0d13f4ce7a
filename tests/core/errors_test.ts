import assert from "node:assert/strict";
import { ErrorCode, errorCodeName } from "../../core/error_code.ts";
import {
  CompressionError,
  FrameSizeError,
  H2Error,
  ProtocolError,
  RefusedStreamError,
} from "../../core/errors.ts";

Deno.test("errorCodeName names registered codes and keeps unknown ones readable", () => {
  assert.equal(errorCodeName(ErrorCode.ENHANCE_YOUR_CALM), "ENHANCE_YOUR_CALM");
  assert.equal(errorCodeName(0x1234), "UNKNOWN(0x1234)");
});

Deno.test("H2Error subclasses carry code, scope and stream id", () => {
  const e = new FrameSizeError("PRIORITY frame has length 4", { scope: "stream", streamId: 3 });
  assert.ok(e instanceof H2Error);
  assert.equal(e.code, ErrorCode.FRAME_SIZE_ERROR);
  assert.equal(e.scope, "stream");
  assert.equal(e.streamId, 3);
  assert.equal(e.name, "FrameSizeError");
  assert.equal(e.codeName, "FRAME_SIZE_ERROR");
  assert.equal(new ProtocolError("x").scope, "connection");
  assert.equal(new CompressionError("x").code, ErrorCode.COMPRESSION_ERROR);
  assert.equal(new RefusedStreamError("x", { streamId: 5 }).scope, "stream");
});
