/**
 * The in-memory exchange both connection benchmarks run: a client and a
 * server H2Connection wired back to back (no sockets), batches of GET
 * requests answered with a 200 response and a body.
 *
 * @module
 */

import { H2Connection } from "../core/connection.ts";
import { RoundRobinScheduler } from "../core/round_robin_scheduler.ts";
import type { HeaderField } from "../core/hpack/header_field.ts";

const REQUEST: HeaderField[] = [
  { name: ":method", value: "GET" },
  { name: ":scheme", value: "https" },
  { name: ":authority", value: "bench.example" },
  { name: ":path", value: "/resource" },
  { name: "user-agent", value: "h2kit-bench/1.0" },
  { name: "accept", value: "*/*" },
];

const RESPONSE: HeaderField[] = [
  { name: ":status", value: "200" },
  { name: "content-type", value: "application/octet-stream" },
  { name: "server", value: "h2kit" },
];

/** A client/server pair that performs request/response exchanges in memory. */
export class Exchanger {
  readonly client: H2Connection;
  readonly server: H2Connection;
  readonly body: Uint8Array;
  readonly batch: number;

  /**
   * @param bodySize Response body octets.
   * @param batch Requests in flight per round trip.
   * @param roundRobin Use the round-robin scheduler instead of the default RFC 9218 one.
   */
  constructor(bodySize: number, batch = 50, roundRobin = false) {
    const big = bodySize > 16_384;
    const options = {
      maxConcurrentStreams: 1000,
      initialWindowSize: big ? 1 << 20 : 65_535,
      connectionWindowSize: big ? 1 << 26 : 65_535,
    };
    const scheduler = () => (roundRobin ? { scheduler: new RoundRobinScheduler() } : {});
    this.client = new H2Connection({ role: "client", ...options, ...scheduler() });
    this.server = new H2Connection({ role: "server", ...options, ...scheduler() });
    this.body = new Uint8Array(bodySize).fill(0x61);
    this.batch = batch;
    this.client.initiateConnection();
    this.server.initiateConnection();
    this.server.receive(this.client.dataToSend());
    this.client.receive(this.server.dataToSend());
    this.server.receive(this.client.dataToSend());
  }

  /** Runs at least `n` complete exchanges; returns how many ran. */
  run(n: number): number {
    const { client, server, body } = this;
    let done = 0;
    while (done < n) {
      for (let i = 0; i < this.batch; i++) {
        client.sendHeaders(client.getNextAvailableStreamId(), REQUEST, { endStream: true });
      }
      for (const e of server.receive(client.dataToSend())) {
        if (e.type === "request_received") {
          server.sendHeaders(e.streamId, RESPONSE);
          server.enqueueData(e.streamId, body, { endStream: true });
        }
      }
      // Pump until every response arrived (large bodies need window updates).
      let pending = this.batch;
      while (pending > 0) {
        const out = server.dataToSend();
        for (const e of client.receive(out)) {
          if (e.type === "data_received") {
            client.acknowledgeReceivedData(e.streamId, e.flowControlledLength);
          } else if (e.type === "stream_ended") pending--;
        }
        const back = client.dataToSend();
        if (back.length > 0) server.receive(back);
      }
      done += this.batch;
    }
    return done;
  }
}
