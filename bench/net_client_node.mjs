// node:http2 client baseline for bench/net_client.ts: N small GETs over one connection with
// C requests in flight. Usage: node net_client_node.mjs URL N C; prints "REQS_PER_SEC <x>".
import http2 from "node:http2";

const [url, nArg, cArg] = process.argv.slice(2);
const N = Number(nArg), C = Number(cArg);
const session = http2.connect(url);
let started = 0, done = 0;
const t0 = performance.now();
await new Promise((resolve, reject) => {
  session.on("error", reject);
  const one = () => {
    if (started >= N) return;
    started++;
    const req = session.request({ ":path": "/" });
    let bytes = 0;
    req.on("data", (c) => bytes += c.length);
    req.on("end", () => {
      if (bytes !== 13) reject(new Error(`bad body length ${bytes}`));
      if (++done === N) resolve();
      else one();
    });
    req.on("error", reject);
    req.end();
  };
  for (let i = 0; i < C; i++) one();
});
const secs = (performance.now() - t0) / 1000;
session.close();
console.log(`REQS_PER_SEC ${(N / secs).toFixed(0)}`);
