/**
 * `deno bench` for the sans-I/O connection: in-memory request/response
 * exchanges between a client and a server H2Connection (no sockets).
 * Each iteration is a batch of 50 exchanges. For a side-by-side comparison
 * with python-h2 run `deno run -A bench/connection_compare.ts`.
 */

import { Exchanger } from "./_exchange.ts";

const small = new Exchanger(13);
const medium = new Exchanger(1024);
const large = new Exchanger(65_536);

Deno.bench("H2Connection 50 exchanges, 13-byte body", { group: "exchange", baseline: true }, () => {
  small.run(50);
});

Deno.bench("H2Connection 50 exchanges, 1 KiB body", { group: "exchange" }, () => {
  medium.run(50);
});

Deno.bench("H2Connection 50 exchanges, 64 KiB body", { group: "exchange" }, () => {
  large.run(50);
});
