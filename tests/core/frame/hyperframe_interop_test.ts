/**
 * Differential test against python-hyper's hyperframe (Debian python3-hyperframe):
 * frames we serialize must parse identically there, and frames it serializes
 * must parse identically here. Skipped when /usr/bin/python3 cannot import it.
 */

import assert from "node:assert/strict";
import {
  AltSvcFrame,
  ContinuationFrame,
  DataFrame,
  type Frame,
  FrameReader,
  GoAwayFrame,
  HeadersFrame,
  PingFrame,
  PriorityFrame,
  PushPromiseFrame,
  RstStreamFrame,
  serializeFrame,
  SettingsFrame,
  UnknownFrame,
  WindowUpdateFrame,
} from "../../../core/frame/mod.ts";
import { SeededRng, testSeeds } from "../../_support/seeded_rng.ts";
import { randomFrame } from "./_random_frames.ts";

const PYTHON = "/usr/bin/python3";
const PEER = new URL("./hyperframe_peer.py", import.meta.url).pathname;

function hasHyperframe(): boolean {
  try {
    const { success } = new Deno.Command(PYTHON, {
      args: ["-c", "import hyperframe.frame"],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return success;
  } catch {
    return false;
  }
}

const ignore = !hasHyperframe();

async function runPeer(mode: "parse" | "build", lines: string[]): Promise<string[]> {
  const child = new Deno.Command(PYTHON, {
    args: [PEER, mode],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(lines.join("\n") + "\n"));
  await writer.close();
  const { success, stdout, stderr } = await child.output();
  assert.ok(success, `hyperframe_peer.py ${mode} failed: ${new TextDecoder().decode(stderr)}`);
  return new TextDecoder().decode(stdout).split("\n").filter((l) => l.length > 0);
}

function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function fromHex(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g) ?? [], (x) => parseInt(x, 16));
}

function byteStringHex(s: string): string {
  return toHex(Uint8Array.from(s, (c) => c.charCodeAt(0)));
}

/** Our frame in the description shape hyperframe_peer.py uses. */
function describe(f: Frame): Record<string, unknown> {
  const flags: string[] = [];
  const d: Record<string, unknown> = { stream: f.streamId, flags };
  if (f instanceof UnknownFrame) {
    return { ...d, type: "EXTENSION", code: f.type, flagByte: f.flags, body: toHex(f.payload) };
  }
  switch (f.type) {
    case 0x0:
      if (f.endStream) flags.push("END_STREAM");
      if (f.padLength !== undefined) flags.push("PADDED");
      return { ...d, type: "DATA", data: toHex(f.data), pad: f.padLength ?? null };
    case 0x1:
      if (f.endStream) flags.push("END_STREAM");
      if (f.endHeaders) flags.push("END_HEADERS");
      if (f.padLength !== undefined) flags.push("PADDED");
      if (f.priority !== undefined) flags.push("PRIORITY");
      return {
        ...d,
        type: "HEADERS",
        data: toHex(f.fragment),
        pad: f.padLength ?? null,
        priority: f.priority === undefined ? null : { ...f.priority },
      };
    case 0x2:
      return { ...d, type: "PRIORITY", priority: { ...f.priority } };
    case 0x3:
      return { ...d, type: "RST_STREAM", error: f.errorCode };
    case 0x4: {
      if (f.ack) flags.push("ACK");
      // hyperframe keeps settings in a dict: the last value of an id wins, in first-seen order.
      const m = new Map<number, number>();
      for (const [id, v] of f.settings) m.set(id, v);
      return { ...d, type: "SETTINGS", settings: [...m].map(([k, v]) => [k, v]) };
    }
    case 0x5:
      if (f.endHeaders) flags.push("END_HEADERS");
      if (f.padLength !== undefined) flags.push("PADDED");
      return {
        ...d,
        type: "PUSH_PROMISE",
        promised: f.promisedStreamId,
        data: toHex(f.fragment),
        pad: f.padLength ?? null,
      };
    case 0x6:
      if (f.ack) flags.push("ACK");
      return { ...d, type: "PING", data: toHex(f.data) };
    case 0x7:
      return {
        ...d,
        type: "GOAWAY",
        last: f.lastStreamId,
        error: f.errorCode,
        debug: toHex(f.debugData),
      };
    case 0x8:
      return { ...d, type: "WINDOW_UPDATE", increment: f.increment };
    case 0x9:
      if (f.endHeaders) flags.push("END_HEADERS");
      return { ...d, type: "CONTINUATION", data: toHex(f.fragment) };
    case 0xa:
      return {
        ...d,
        type: "ALTSVC",
        origin: byteStringHex(f.origin),
        field: byteStringHex(f.fieldValue),
      };
    default: {
      // ORIGIN and PRIORITY_UPDATE are extension frames to hyperframe 6.
      const wire = serializeFrame(f);
      return {
        ...d,
        type: "EXTENSION",
        code: f.type,
        flagByte: f.flags,
        body: toHex(wire.subarray(9)),
      };
    }
  }
}

function sortFlags(d: Record<string, unknown>): Record<string, unknown> {
  return { ...d, flags: [...(d.flags as string[])].sort() };
}

/** A fixed set covering every type and flag, plus seeded random frames. */
function corpus(): Frame[] {
  const te = new TextEncoder();
  const fixed: Frame[] = [
    new DataFrame({ streamId: 1, data: te.encode("hello"), endStream: true }),
    new DataFrame({ streamId: 3, data: te.encode("padded"), padLength: 7 }),
    new HeadersFrame({
      streamId: 5,
      fragment: Uint8Array.of(0x82, 0x86),
      endStream: true,
      endHeaders: true,
      padLength: 3,
      priority: { dependency: 1, exclusive: true, weight: 256 },
    }),
    new PriorityFrame({ streamId: 7, priority: { dependency: 5, exclusive: false, weight: 1 } }),
    new RstStreamFrame({ streamId: 1, errorCode: 8 }),
    new SettingsFrame({ settings: [[1, 4096], [5, 32768], [0x99, 7]] }),
    new SettingsFrame({ ack: true }),
    new PushPromiseFrame({
      streamId: 1,
      promisedStreamId: 2,
      fragment: Uint8Array.of(0x82),
      padLength: 2,
    }),
    new PingFrame({ data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), ack: true }),
    new GoAwayFrame({ lastStreamId: 9, errorCode: 0x1234, debugData: te.encode("debug") }),
    new WindowUpdateFrame({ streamId: 0, increment: 0x7fffffff }),
    new ContinuationFrame({ streamId: 5, fragment: Uint8Array.of(0x84), endHeaders: true }),
    new AltSvcFrame({ streamId: 0, origin: "https://example.com", fieldValue: 'h2=":443"' }),
    new UnknownFrame({ type: 0xfa, streamId: 3, flags: 0xa5, payload: Uint8Array.of(1, 2, 3) }),
  ];
  const rng = new SeededRng(testSeeds(0x4f1d, 1)[0]);
  for (let i = 0; i < 300; i++) fixed.push(randomFrame(rng));
  return fixed;
}

Deno.test({
  name: "serializeFrame output parses identically in hyperframe",
  ignore,
  async fn() {
    const frames = corpus();
    const got = await runPeer("parse", frames.map((f) => toHex(serializeFrame(f))));
    assert.equal(got.length, frames.length);
    for (let i = 0; i < frames.length; i++) {
      assert.deepEqual(sortFlags(JSON.parse(got[i])), sortFlags(describe(frames[i])), `frame ${i}`);
    }
  },
});

Deno.test({
  name: "FrameReader parses hyperframe's serialization identically",
  ignore,
  async fn() {
    // hyperframe 6.0 writes setting ids as `id & 0xFF` (they are 16 bits, RFC 9113 §6.5.1), so
    // SETTINGS with larger ids are checked only in the direction where hyperframe parses.
    const frames = corpus().filter((f) =>
      !(f instanceof SettingsFrame) || f.settings.every(([id]) => id <= 0xff)
    );
    const descriptions = frames.map(describe);
    const wires = await runPeer("build", descriptions.map((d) => JSON.stringify(d)));
    assert.equal(wires.length, frames.length);
    const reader = new FrameReader({ maxFrameSize: 16777215 });
    for (let i = 0; i < wires.length; i++) {
      reader.push(fromHex(wires[i]));
      const parsed = reader.next();
      assert.ok(parsed !== undefined, `frame ${i}`);
      assert.deepEqual(sortFlags(describe(parsed)), sortFlags(descriptions[i]), `frame ${i}`);
    }
  },
});
