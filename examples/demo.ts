/**
 * The h2kit demo: what a request looks like on the wire, layer by layer.
 *
 * It builds an HTTP/2 request the way a client would (HPACK-compress the
 * header fields, frame them as HEADERS + DATA), feeds the bytes to a server's
 * frame reader one byte at a time, decodes the field block back, and then
 * sends a second request to show the dynamic table at work. Everything runs
 * through the sans-I/O core: no sockets, no timers.
 *
 * Run it with `npx -y deno@2.9.6 task demo`.
 *
 * @module
 */

import {
  ByteWriter,
  DataFrame,
  encodeFrame,
  FrameReader,
  FrameType,
  HeadersFrame,
  HpackDecoder,
  HpackEncoder,
  writeFieldBlock,
} from "../mod.ts";
import type { HeaderField } from "../mod.ts";

const request: HeaderField[] = [
  { name: ":method", value: "POST" },
  { name: ":scheme", value: "https" },
  { name: ":authority", value: "api.example.com" },
  { name: ":path", value: "/greeter.v1.Greeter/SayHello" },
  { name: "content-type", value: "application/grpc" },
  { name: "te", value: "trailers" },
  { name: "user-agent", value: "h2kit-demo/0.1" },
  { name: "authorization", value: "Bearer s3cr3t-t0k3n" },
];
const body = new TextEncoder().encode("hello, world\n");

function hex(bytes: Uint8Array, max = 48): string {
  const shown = Array.from(bytes.subarray(0, max), (b) => b.toString(16).padStart(2, "0"));
  return shown.join(" ") + (bytes.length > max ? ` … (${bytes.length} bytes)` : "");
}

function rawSize(fields: readonly HeaderField[]): number {
  // What the same fields cost as HTTP/1.1 text: "name: value\r\n".
  return fields.reduce((n, f) => n + f.name.length + 2 + f.value.length + 2, 0);
}

const clientEncoder = new HpackEncoder();
const serverDecoder = new HpackDecoder();
const serverReader = new FrameReader();

function sendRequest(label: string, streamId: number): void {
  console.log(`\n── ${label}: stream ${streamId} ──`);
  const block = clientEncoder.encodeToBytes(request);
  console.log(
    `HPACK: ${request.length} header fields, ${rawSize(request)} bytes as text → ` +
      `${block.length} bytes compressed`,
  );
  console.log(`  field block: ${hex(block)}`);

  const out = new ByteWriter();
  writeFieldBlock(out, { streamId, block, endStream: false, maxFrameSize: 16_384 });
  encodeFrame(new DataFrame({ streamId, data: body, endStream: true }), out);
  const wire = out.take();
  console.log(`frames on the wire: ${wire.length} bytes`);
  console.log(`  ${hex(wire, 24)}`);

  // The server side gets the bytes one at a time, as a hostile network might deliver them.
  let fieldBlock: Uint8Array | undefined;
  for (const byte of wire) {
    serverReader.push(Uint8Array.of(byte));
    for (let frame = serverReader.next(); frame !== undefined; frame = serverReader.next()) {
      if (frame instanceof HeadersFrame) {
        console.log(
          `server read HEADERS  stream=${frame.streamId} length=${frame.fragment.length} ` +
            `END_HEADERS=${frame.endHeaders} END_STREAM=${frame.endStream}`,
        );
        fieldBlock = frame.fragment;
      } else if (frame instanceof DataFrame) {
        console.log(
          `server read DATA     stream=${frame.streamId} length=${frame.data.length} ` +
            `END_STREAM=${frame.endStream} body=${
              JSON.stringify(new TextDecoder().decode(frame.data))
            }`,
        );
      } else {
        console.log(`server read frame type ${frame.type} (${FrameType.DATA} is DATA)`);
      }
    }
  }
  if (fieldBlock === undefined) throw new Error("The server read no HEADERS frame");
  const fields = serverDecoder.decode(fieldBlock);
  console.log("server decoded:");
  for (const f of fields) {
    const note = f.sensitive ? "   ← never indexed (sensitive)" : "";
    console.log(`  ${f.name}: ${f.value}${note}`);
  }
}

console.log("h2kit demo: an HTTP/2 request through the sans-I/O core (frames + HPACK)");
sendRequest("first request", 1);
sendRequest("second request, same headers: the dynamic table pays off", 3);
console.log(
  "\nNext: the same core behind an Effect-driven TLS server and client (see README, Status).",
);
