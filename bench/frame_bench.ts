/**
 * Frame codec throughput: parse (through FrameReader, fed in 64 KiB reads like
 * a socket) and serialize, for small control frames and 16 KiB DATA frames.
 *
 * Each bench handles a batch: 1000 control frames or 64 DATA frames (1 MiB of
 * body), so frames/s = batch / time per iteration.
 *
 *   deno bench bench/frame_bench.ts
 *
 * @module
 */

import { ByteWriter } from "../core/byte_writer.ts";
import {
  encodeFrame,
  type Frame,
  FrameReader,
  HeadersFrame,
  PingFrame,
  SettingId,
  SettingsFrame,
  WindowUpdateFrame,
  writeDataFrameHeader,
} from "../core/frame/mod.ts";

const CONTROL_BATCH = 1000;
const DATA_BATCH = 64;
const DATA_SIZE = 16384;
const READ_SIZE = 65536;

function wireOf(frames: readonly Frame[]): Uint8Array {
  const out = new ByteWriter(1 << 16);
  for (const f of frames) encodeFrame(f, out);
  return out.take();
}

/** Splits into socket-sized reads; subarrays, as a socket reader would hand out. */
function reads(wire: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < wire.length; at += READ_SIZE) out.push(wire.subarray(at, at + READ_SIZE));
  return out;
}

function parse(chunks: readonly Uint8Array[], maxFrameSize = 16384): number {
  const reader = new FrameReader({ maxFrameSize });
  let n = 0;
  for (const c of chunks) {
    reader.push(c);
    while (reader.next() !== undefined) n++;
  }
  return n;
}

const block30 = Uint8Array.from({ length: 30 }, (_, i) => 0x80 | i);
const controls: Record<string, Frame> = {
  SETTINGS: new SettingsFrame({
    settings: [
      [SettingId.MAX_CONCURRENT_STREAMS, 100],
      [SettingId.INITIAL_WINDOW_SIZE, 1 << 20],
      [SettingId.MAX_FRAME_SIZE, 16384],
    ],
  }),
  PING: new PingFrame({ data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) }),
  WINDOW_UPDATE: new WindowUpdateFrame({ streamId: 1, increment: 65535 }),
  "HEADERS (30-byte block)": new HeadersFrame({
    streamId: 1,
    fragment: block30,
    endHeaders: true,
    endStream: true,
  }),
};

for (const [name, frame] of Object.entries(controls)) {
  const batch = Array.from({ length: CONTROL_BATCH }, () => frame);
  const chunks = reads(wireOf(batch));
  Deno.bench({
    name: `parse ${name} x${CONTROL_BATCH}`,
    group: `control ${name}`,
    baseline: true,
    fn() {
      if (parse(chunks) !== CONTROL_BATCH) throw new Error("lost frames");
    },
  });
  const out = new ByteWriter(1 << 16);
  Deno.bench({
    name: `serialize ${name} x${CONTROL_BATCH}`,
    group: `control ${name}`,
    fn() {
      for (let i = 0; i < CONTROL_BATCH; i++) encodeFrame(frame, out);
      out.clear();
    },
  });
}

const body = new Uint8Array(DATA_SIZE).fill(0x61);
const dataWire = (() => {
  const out = new ByteWriter(DATA_BATCH * (DATA_SIZE + 9));
  for (let i = 0; i < DATA_BATCH; i++) {
    writeDataFrameHeader(out, 1, DATA_SIZE, false);
    out.bytes(body);
  }
  return out.take();
})();
const dataChunks = reads(dataWire);

Deno.bench({
  name: `parse DATA 16 KiB x${DATA_BATCH} (1 MiB, 64 KiB reads)`,
  group: "DATA",
  baseline: true,
  fn() {
    if (parse(dataChunks) !== DATA_BATCH) throw new Error("lost frames");
  },
});

const dataOut = new ByteWriter(DATA_BATCH * (DATA_SIZE + 9));
Deno.bench({
  name: `serialize DATA 16 KiB x${DATA_BATCH} (writeDataFrameHeader + payload copy)`,
  group: "DATA",
  fn() {
    for (let i = 0; i < DATA_BATCH; i++) {
      writeDataFrameHeader(dataOut, 1, DATA_SIZE, false);
      dataOut.bytes(body);
    }
    dataOut.clear();
  },
});
