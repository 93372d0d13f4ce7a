/**
 * Random valid frames for property tests of the frame codec and reader.
 *
 * @module
 */

import {
  AltSvcFrame,
  ContinuationFrame,
  DataFrame,
  type Frame,
  GoAwayFrame,
  HeadersFrame,
  OriginFrame,
  PingFrame,
  PriorityFrame,
  type PrioritySpec,
  PriorityUpdateFrame,
  PushPromiseFrame,
  RstStreamFrame,
  SettingsFrame,
  UnknownFrame,
  WindowUpdateFrame,
} from "../../../core/frame/mod.ts";
import type { SeededRng } from "../../_support/seeded_rng.ts";

function streamId(rng: SeededRng): number {
  return rng.chance(0.5) ? rng.int(1, 99) : rng.int(1, 0x7fffffff);
}

function maybePad(rng: SeededRng): number | undefined {
  return rng.chance(0.4) ? rng.int(0, rng.chance(0.5) ? 3 : 255) : undefined;
}

function priority(rng: SeededRng, self: number): PrioritySpec {
  let dependency = rng.int(0, 200);
  if (dependency === self) dependency = 0;
  return { dependency, exclusive: rng.chance(0.5), weight: rng.int(1, 256) };
}

function byteString(rng: SeededRng, max: number): string {
  let s = "";
  const n = rng.int(0, max);
  for (let i = 0; i < n; i++) {
    s += String.fromCharCode(rng.chance(0.9) ? rng.int(0x20, 0x7e) : rng.int(0, 255));
  }
  return s;
}

function bytes(rng: SeededRng, max: number): Uint8Array {
  return rng.bytes(rng.int(0, max));
}

/** A random valid frame of any type (including unknown ones) whose payload is at most ~600 octets. */
export function randomFrame(rng: SeededRng): Frame {
  const id = streamId(rng);
  switch (rng.int(0, 13)) {
    case 0:
      return new DataFrame({
        streamId: id,
        data: bytes(rng, 300),
        endStream: rng.chance(0.5),
        padLength: maybePad(rng),
      });
    case 1:
      return new HeadersFrame({
        streamId: id,
        fragment: bytes(rng, 300),
        endStream: rng.chance(0.5),
        endHeaders: rng.chance(0.5),
        padLength: maybePad(rng),
        priority: rng.chance(0.5) ? priority(rng, id) : undefined,
      });
    case 2:
      return new PriorityFrame({ streamId: id, priority: priority(rng, id) });
    case 3:
      return new RstStreamFrame({ streamId: id, errorCode: rng.u32() });
    case 4:
      return new SettingsFrame(
        rng.chance(0.3) ? { ack: true } : {
          settings: Array.from(
            { length: rng.int(0, 8) },
            () => [rng.int(0, 0xffff), rng.u32()] as const,
          ),
        },
      );
    case 5:
      return new PushPromiseFrame({
        streamId: id,
        promisedStreamId: rng.int(1, 0x3fffffff) * 2,
        fragment: bytes(rng, 300),
        endHeaders: rng.chance(0.5),
        padLength: maybePad(rng),
      });
    case 6:
      return new PingFrame({ ack: rng.chance(0.5), data: rng.bytes(8) });
    case 7:
      return new GoAwayFrame({
        lastStreamId: rng.int(0, 0x7fffffff),
        errorCode: rng.u32(),
        debugData: bytes(rng, 40),
      });
    case 8:
      return new WindowUpdateFrame({
        streamId: rng.chance(0.3) ? 0 : id,
        increment: rng.int(1, 0x7fffffff),
      });
    case 9:
      return new ContinuationFrame({
        streamId: id,
        fragment: bytes(rng, 300),
        endHeaders: rng.chance(0.5),
      });
    case 10:
      return new PriorityUpdateFrame({
        prioritizedStreamId: id,
        fieldValue: byteString(rng, 20),
      });
    case 11:
      return rng.chance(0.5)
        ? new AltSvcFrame({
          streamId: 0,
          origin: byteString(rng, 30),
          fieldValue: byteString(rng, 30),
        })
        : new AltSvcFrame({ streamId: id, fieldValue: byteString(rng, 30) });
    case 12:
      return new OriginFrame({
        origins: Array.from({ length: rng.int(0, 4) }, () => byteString(rng, 30)),
      });
    default:
      return new UnknownFrame({
        type: rng.pick([0xb, 0xd, 0xe, 0xf, 0x11, 0x20, 0xfa, 0xff]),
        streamId: rng.chance(0.3) ? 0 : id,
        flags: rng.int(0, 255),
        payload: bytes(rng, 100),
      });
  }
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Splits `bytes` at random points into chunks of 1..maxChunk octets. */
export function randomSplit(rng: SeededRng, bytes: Uint8Array, maxChunk: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const n = rng.int(1, maxChunk);
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}
