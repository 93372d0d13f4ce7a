// node:http2 peer for the net client interop tests (run with Node 20).
// Usage: node _node_h2_peer.mjs [--tls CERT KEY]; prints "LISTENING <port>".
//   GET /          -> "hello, world\n"
//   GET /big       -> 1 MiB of "x"
//   GET /trailers  -> body, then trailers x-checksum / x-status
//   GET /push      -> pushes /pushed.txt, then answers
//   GET /hold      -> held until a /goaway request arrives
//   GET /goaway    -> GOAWAY(NO_ERROR, last-stream-id = first held stream), then answers held ones
//   GET /bye       -> answers, then GOAWAY(NO_ERROR) for everything after it
import http2 from "node:http2";
import fs from "node:fs";

const args = process.argv.slice(2);
let cert, key;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--tls") {
    cert = fs.readFileSync(args[++i]);
    key = fs.readFileSync(args[++i]);
  }
}
const BIG = Buffer.alloc(1 << 20, 0x78);
const held = [];
const server = cert ? http2.createSecureServer({ cert, key }) : http2.createServer();
server.on("stream", (stream, headers) => {
  stream.on("error", () => {});
  const path = headers[":path"];
  if (path === "/big") {
    stream.respond({ ":status": 200, "content-length": BIG.length });
    stream.end(BIG);
  } else if (path === "/trailers") {
    stream.respond({ ":status": 200 }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "x-checksum": "26", "x-status": "ok" }));
    stream.end("hello, world\nhello, world\n");
  } else if (path === "/push") {
    stream.pushStream({ ":path": "/pushed.txt" }, (err, push) => {
      if (!err) {
        push.on("error", () => {});
        push.respond({ ":status": 200 });
        push.end("pushed resource\n");
      }
      stream.respond({ ":status": 200 });
      stream.end("see /pushed.txt\n");
    });
  } else if (path === "/hold") {
    held.push(stream);
  } else if (path === "/goaway") {
    const last = held.length > 0 ? held[0].id : 0;
    stream.session.goaway(0, last);
    for (const h of held.splice(0)) {
      if (h.id <= last) {
        h.respond({ ":status": 200 });
        h.end("held");
      }
    }
  } else if (path === "/bye") {
    stream.respond({ ":status": 200 });
    stream.end("bye");
    stream.session.goaway(0, stream.id);
  } else {
    stream.respond({ ":status": 200, "content-type": "text/plain" });
    stream.end("hello, world\n");
  }
});
server.on("sessionError", () => {});
server.listen(0, "127.0.0.1", () => console.log(`LISTENING ${server.address().port}`));
