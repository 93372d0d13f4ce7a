import assert from "node:assert/strict";
import { type DataFrame, FrameType } from "../../../core/frame/mod.ts";
import { SettingCode } from "../../../core/settings.ts";
import { FrameFactory } from "../../_support/frame_factory.ts";
import { GET, OK, server } from "./_harness.ts";

function bigWindowServer() {
  const s = server();
  s.conn.receive(FrameFactory.concat(
    s.peer.ff.settings([[SettingCode.INITIAL_WINDOW_SIZE, 1 << 24]]),
    s.peer.ff.windowUpdate(0, 1 << 24),
  ));
  s.conn.dataToSend();
  return s;
}

function dataBytes(frames: ReturnType<ReturnType<typeof server>["peer"]["frames"]>): number[] {
  return frames.filter((f) => f.type === FrameType.DATA).map((f) => (f as DataFrame).data[0]);
}

Deno.test("H2Connection dataToSendView lends two buffers in turn, each intact until its next turn", () => {
  const { conn, peer } = bigWindowServer();
  conn.receive(peer.headers(1, GET, { endStream: true }));
  conn.sendHeaders(1, OK);
  conn.enqueueData(1, new Uint8Array(100_000).fill(1));
  const first = conn.dataToSendView();
  const copy = first.slice();
  // Frames queued while `first` is being written go to the other buffer.
  conn.enqueueData(1, new Uint8Array(100_000).fill(2), { endStream: true });
  const second = conn.dataToSendView();
  assert.deepEqual(first, copy);
  assert.notEqual(second.buffer, first.buffer);
  const frames = peer.frames(FrameFactory.concat(first, second));
  const data = frames.filter((f) => f.type === FrameType.DATA) as DataFrame[];
  assert.equal(data.reduce((n, f) => n + f.data.length, 0), 200_000);
  assert.deepEqual([...new Set(dataBytes(frames))], [1, 2]);
  assert.equal(data[data.length - 1].endStream, true);
  // The third batch reuses the first buffer: no allocation per write in a bulk transfer.
  conn.receive(peer.headers(3, GET, { endStream: true }));
  conn.sendHeaders(3, OK);
  conn.enqueueData(3, new Uint8Array(100_000).fill(3), { endStream: true });
  const third = conn.dataToSendView();
  assert.equal(third.buffer, first.buffer);
  assert.deepEqual(
    [...new Set(dataBytes(peer.frames(third)))],
    [3],
  );
});

Deno.test("H2Connection dataToSendView gives bulk-sized buffers back once bursts are small", () => {
  const { conn, peer } = bigWindowServer();
  conn.receive(peer.headers(1, GET, { endStream: true }));
  conn.sendHeaders(1, OK);
  conn.enqueueData(1, new Uint8Array(1 << 20), { endStream: true });
  const big = conn.dataToSendView();
  assert.ok(big.length > 1 << 20);
  const bigBuffer = big.buffer;
  // A run of small bursts means the bulk transfer is over: the big buffer, spare in turn, is
  // shrunk when reused.
  let small = big;
  for (let i = 0; i < 40; i++) {
    conn.ping();
    small = conn.dataToSendView();
  }
  assert.notEqual(small.buffer, bigBuffer);
  assert.ok(small.buffer.byteLength <= 64 * 1024);
  assert.equal(peer.frames(small)[0].type, FrameType.PING);
  assert.equal(conn.dataToSendView().length, 0);
});

Deno.test("H2Connection dataToSendView keeps bulk-sized buffers across a few small bursts", () => {
  const { conn, peer } = bigWindowServer();
  conn.receive(peer.headers(1, GET, { endStream: true }));
  conn.sendHeaders(1, OK);
  const bulk = () => {
    conn.enqueueData(1, new Uint8Array(1 << 20));
    return conn.dataToSendView();
  };
  const first = bulk().buffer;
  const second = bulk().buffer;
  // Small batches between large ones (WINDOW_UPDATEs, HEADERS of other streams) do not make
  // the next large batch regrow a buffer from small.
  for (let i = 0; i < 4; i++) {
    conn.ping();
    conn.dataToSendView();
  }
  const again = [bulk().buffer, bulk().buffer];
  assert.ok(again.includes(first) && again.includes(second));
});
