import assert from "node:assert/strict";
import {
  DataFrame,
  type Frame,
  FrameReader,
  FrameType,
  HeadersFrame,
  SettingId,
  SettingsFrame,
  UnknownFrame,
} from "../../core/frame/mod.ts";
import { CLIENT_PREFACE, FrameFactory } from "./frame_factory.ts";

function parseAll(bytes: Uint8Array): Frame[] {
  const reader = new FrameReader({ maxFrameSize: 16777215 });
  reader.push(bytes);
  const out: Frame[] = [];
  for (let f = reader.next(); f !== undefined; f = reader.next()) out.push(f);
  return out;
}

Deno.test("FrameFactory builds the preface and frames that parse back", () => {
  const ff = new FrameFactory();
  assert.equal(new TextDecoder().decode(ff.preface()), "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  assert.equal(CLIENT_PREFACE.length, 24);
  const wire = FrameFactory.concat(
    ff.settings([[SettingId.MAX_FRAME_SIZE, 32768]]),
    ff.headers(1, Uint8Array.of(0x82), { endStream: true }),
    ff.data(1, "hi", { padLength: 2 }),
  );
  assert.deepEqual(parseAll(wire), [
    new SettingsFrame({ settings: [[SettingId.MAX_FRAME_SIZE, 32768]] }),
    new HeadersFrame({
      streamId: 1,
      fragment: Uint8Array.of(0x82),
      endStream: true,
      endHeaders: true,
    }),
    new DataFrame({ streamId: 1, data: new TextEncoder().encode("hi"), padLength: 2 }),
  ]);
});

Deno.test("FrameFactory fieldBlock splits at its maxFrameSize", () => {
  const ff = new FrameFactory();
  ff.maxFrameSize = 16384;
  const frames = parseAll(ff.fieldBlock(3, new Uint8Array(20000), { endStream: true }));
  assert.deepEqual(frames.map((f) => f.type), [FrameType.HEADERS, FrameType.CONTINUATION]);
});

Deno.test("FrameFactory raw writes malformed frames byte for byte", () => {
  const ff = new FrameFactory();
  const wire = ff.raw(FrameType.PING, 0, 1, [1, 2, 3]);
  assert.deepEqual(wire, Uint8Array.of(0, 0, 3, 6, 0, 0, 0, 0, 1, 1, 2, 3));
  const reader = new FrameReader();
  reader.push(ff.raw(0xfa, 0x80, 0, [9]));
  assert.ok(reader.next() instanceof UnknownFrame);
});
