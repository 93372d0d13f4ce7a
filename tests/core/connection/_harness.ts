/**
 * Helpers for connection tests: a scripted peer that writes frames with a real
 * HPACK encoder and reads back what the connection sent.
 *
 * @module
 */

import { H2Connection } from "../../../core/connection.ts";
import type { H2ConnectionOptions } from "../../../core/config.ts";
import type { H2Event } from "../../../core/events.ts";
import { type Frame, FrameReader, FrameType, SettingsFrame } from "../../../core/frame/mod.ts";
import { HpackDecoder, HpackEncoder } from "../../../core/hpack/mod.ts";
import type { HeaderField } from "../../../core/hpack/header_field.ts";
import { FrameFactory } from "../../_support/frame_factory.ts";

/** A GET request. */
export const GET: HeaderField[] = [
  { name: ":method", value: "GET" },
  { name: ":scheme", value: "https" },
  { name: ":authority", value: "example.com" },
  { name: ":path", value: "/" },
];

/** A POST request. */
export const POST: HeaderField[] = [
  { name: ":method", value: "POST" },
  { name: ":scheme", value: "https" },
  { name: ":authority", value: "example.com" },
  { name: ":path", value: "/upload" },
];

/** A 200 response. */
export const OK: HeaderField[] = [{ name: ":status", value: "200" }];

/** The peer side of a test: builds frames and decodes what the connection sent. */
export class Peer {
  readonly ff = new FrameFactory();
  readonly enc = new HpackEncoder();
  readonly dec = new HpackDecoder({ maxHeaderListSize: 1 << 24 });
  readonly reader = new FrameReader({ maxFrameSize: 16_777_215 });

  /** Encodes a field block with the peer's encoder. */
  block(fields: HeaderField[]): Uint8Array {
    return this.enc.encodeToBytes(fields);
  }

  /** HEADERS (+ CONTINUATION) carrying `fields`. */
  headers(
    streamId: number,
    fields: HeaderField[],
    options: { endStream?: boolean } = {},
  ): Uint8Array {
    return this.ff.fieldBlock(streamId, this.block(fields), options);
  }

  /** Parses the connection's output into frames. */
  frames(bytes: Uint8Array): Frame[] {
    this.reader.push(bytes);
    const out: Frame[] = [];
    for (let f = this.reader.next(); f !== undefined; f = this.reader.next()) out.push(f);
    return out;
  }

  /** Decodes a HEADERS frame's block (single frame blocks only). */
  fields(fragment: Uint8Array): HeaderField[] {
    return this.dec.decode(fragment);
  }
}

/** A server connection past the handshake with a scripted client peer. */
export function server(
  options: Partial<H2ConnectionOptions> = {},
): { conn: H2Connection; peer: Peer } {
  const conn = new H2Connection({ role: "server", ...options });
  const peer = new Peer();
  conn.initiateConnection();
  conn.receive(FrameFactory.concat(peer.ff.preface(), peer.ff.settings(), peer.ff.settingsAck()));
  conn.dataToSend();
  return { conn, peer };
}

/** A client connection past the handshake with a scripted server peer. */
export function client(
  options: Partial<H2ConnectionOptions> = {},
  peerSettings: ReadonlyArray<readonly [number, number]> = [],
): { conn: H2Connection; peer: Peer } {
  const conn = new H2Connection({ role: "client", ...options });
  const peer = new Peer();
  conn.initiateConnection();
  conn.receive(FrameFactory.concat(peer.ff.settings(peerSettings), peer.ff.settingsAck()));
  conn.dataToSend();
  return { conn, peer };
}

/** A client and a server wired back to back, handshake done. */
export function pair(
  clientOptions: Partial<H2ConnectionOptions> = {},
  serverOptions: Partial<H2ConnectionOptions> = {},
): { client: H2Connection; server: H2Connection } {
  const c = new H2Connection({ role: "client", ...clientOptions });
  const s = new H2Connection({ role: "server", ...serverOptions });
  c.initiateConnection();
  s.initiateConnection();
  s.receive(c.dataToSend());
  c.receive(s.dataToSend());
  s.receive(c.dataToSend());
  return { client: c, server: s };
}

/** The `type` of each event. */
export function types(events: H2Event[]): string[] {
  return events.map((e) => e.type);
}

/** Finds the single event of a type. */
export function only<T extends H2Event["type"]>(
  events: H2Event[],
  type: T,
): Extract<H2Event, { type: T }> {
  const found = events.filter((e) => e.type === type);
  if (found.length !== 1) throw new Error(`Expected one ${type} event, got ${types(events)}`);
  return found[0] as Extract<H2Event, { type: T }>;
}

/** The frame types in `frames`, as names for readable assertions. */
export function frameTypes(frames: Frame[]): number[] {
  return frames.map((f) => f.type);
}

export { FrameType, SettingsFrame };
