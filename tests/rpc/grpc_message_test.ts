import { strict as assert } from "node:assert";
import { decodeGrpcMessage, encodeGrpcMessage } from "../../rpc/grpc_message.ts";
import { SeededRng, testSeeds } from "../_support/seeded_rng.ts";

// The special_status_message interop text: tab, CR/LF, BMP ☺ and non-BMP 😈.
const SPECIAL = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n";

Deno.test("encodeGrpcMessage percent-encodes exactly the non-printable and % octets", () => {
  assert.equal(encodeGrpcMessage("plain text, ok!"), "plain text, ok!");
  assert.equal(encodeGrpcMessage("100%"), "100%25");
  assert.equal(encodeGrpcMessage("a\tb"), "a%09b");
  assert.equal(encodeGrpcMessage("\r\n"), "%0D%0A");
  assert.equal(encodeGrpcMessage("☺"), "%E2%98%BA");
  assert.equal(encodeGrpcMessage("😈"), "%F0%9F%98%88");
  assert.equal(
    encodeGrpcMessage(SPECIAL),
    "%09%0Atest with whitespace%0D%0Aand Unicode BMP %E2%98%BA and non-BMP %F0%9F%98%88%09%0A",
  );
});

Deno.test("decodeGrpcMessage round-trips the special status message byte-exactly", () => {
  assert.equal(decodeGrpcMessage(encodeGrpcMessage(SPECIAL)), SPECIAL);
  assert.equal(decodeGrpcMessage("%e2%98%ba"), "☺");
});

Deno.test("decodeGrpcMessage keeps malformed escapes literally", () => {
  assert.equal(decodeGrpcMessage("%"), "%");
  assert.equal(decodeGrpcMessage("%4"), "%4");
  assert.equal(decodeGrpcMessage("%zz1"), "%zz1");
  assert.equal(decodeGrpcMessage("50%2"), "50%2");
  assert.equal(decodeGrpcMessage("%FF"), "\uFFFD");
});

Deno.test("decodeGrpcMessage reads raw UTF-8 octets sent unencoded", () => {
  // A peer that forgot to percent-encode: the byte string holds UTF-8 octets.
  const raw = String.fromCharCode(...new TextEncoder().encode("héllo ☺"));
  assert.equal(decodeGrpcMessage(raw), "héllo ☺");
});

Deno.test("encodeGrpcMessage output is printable ASCII and round-trips random text", () => {
  for (const seed of testSeeds(0x6e55, 20)) {
    const rng = new SeededRng(seed);
    let s = "";
    for (let i = 0; i < 50; i++) {
      const kind = rng.int(0, 3);
      if (kind === 0) s += String.fromCharCode(rng.int(0, 0x7f));
      else if (kind === 1) s += String.fromCharCode(rng.int(0x80, 0xd7ff));
      else if (kind === 2) s += String.fromCodePoint(rng.int(0x10000, 0x10ffff));
      else s += "%";
    }
    const enc = encodeGrpcMessage(s);
    assert.match(enc, /^[\x20-\x7e]*$/);
    assert.equal(decodeGrpcMessage(enc), s, `seed ${seed}`);
  }
});
