/**
 * gRPC length-prefixed message framing (grpc doc/PROTOCOL-HTTP2.md
 * "Length-Prefixed-Message"): a 1-byte flags field (bit 0 = compressed), a
 * 4-byte big-endian length and the message bytes.
 *
 * @module
 */

import { Code } from "./code.ts";
import { RpcError } from "./status.ts";

/** Size of the envelope prefix in bytes. */
export const ENVELOPE_HEADER_BYTES = 5;

/** The flags bit that marks a compressed message. */
export const FLAG_COMPRESSED = 0x01;

/** One framed message as read from the wire. */
export interface Envelope {
  /** Whether the message bytes are compressed with the call's `grpc-encoding`. */
  readonly compressed: boolean;
  /** The (possibly compressed) message bytes. */
  readonly data: Uint8Array;
}

/**
 * Frames one message: allocates exactly 5 + `data.length` bytes.
 *
 * @param data The (possibly compressed) message bytes.
 * @param compressed Sets the compressed flag.
 * @returns The envelope bytes.
 */
export function encodeEnvelope(data: Uint8Array, compressed = false): Uint8Array {
  const n = data.length;
  const out = new Uint8Array(ENVELOPE_HEADER_BYTES + n);
  out[0] = compressed ? FLAG_COMPRESSED : 0;
  out[1] = n >>> 24;
  out[2] = n >>> 16;
  out[3] = n >>> 8;
  out[4] = n;
  out.set(data, ENVELOPE_HEADER_BYTES);
  return out;
}

/** Options of {@link EnvelopeReader}. */
export interface EnvelopeReaderOptions {
  /**
   * Largest message (as framed, before decompression) accepted; a larger
   * length prefix fails with RESOURCE_EXHAUSTED before any of its payload is
   * buffered. Default 4 MiB, like grpc-go and grpc-js.
   */
  readonly maxMessageBytes?: number;
}

/** The default receive limit, 4 MiB (the grpc-go / grpc-js default). */
export const DEFAULT_MAX_RECEIVE_BYTES = 4 * 1024 * 1024;

/** The data of every empty message: frozen, it holds nothing that could be changed. */
const EMPTY_MESSAGE: Uint8Array = Object.freeze(new Uint8Array(0)) as Uint8Array;

/**
 * Incremental envelope parser: push body chunks split anywhere, pull complete
 * messages. A message inside one chunk is returned as a view without copying;
 * only messages that straddle chunks are copied, once, so parsing is linear in
 * the input.
 *
 * `next()` throws an {@link RpcError}: RESOURCE_EXHAUSTED for an oversized
 * message, INTERNAL for undefined flag bits; {@link finish} throws INTERNAL
 * when the body ended inside a message.
 */
export class EnvelopeReader {
  readonly #max: number;
  #chunks: Uint8Array[] = [];
  #head = 0; // index of the first unread chunk
  #offset = 0; // read offset within chunks[head]
  #buffered = 0;

  /**
   * Creates an empty reader.
   *
   * @param options Receive limit.
   */
  constructor(options: EnvelopeReaderOptions = {}) {
    this.#max = options.maxMessageBytes ?? DEFAULT_MAX_RECEIVE_BYTES;
  }

  /** Bytes received and not yet returned as messages. */
  get buffered(): number {
    return this.#buffered;
  }

  /**
   * Adds received bytes.
   *
   * @param chunk A body chunk; kept by reference, so do not reuse it.
   */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /**
   * The next complete message, or undefined when more bytes are needed.
   *
   * @returns An envelope or undefined.
   */
  next(): Envelope | undefined {
    if (this.#buffered < ENVELOPE_HEADER_BYTES) return undefined;
    const flags = this.#peek(0);
    const length = ((this.#peek(1) << 24) | (this.#peek(2) << 16) | (this.#peek(3) << 8) |
      this.#peek(4)) >>> 0;
    if ((flags & ~FLAG_COMPRESSED) !== 0) {
      throw new RpcError({
        code: Code.INTERNAL,
        message: `Received a message with invalid flags "0x${flags.toString(16)}"`,
      });
    }
    if (length > this.#max) {
      throw new RpcError({
        code: Code.RESOURCE_EXHAUSTED,
        message: `Received message larger than max (${length} vs. ${this.#max})`,
      });
    }
    if (this.#buffered < ENVELOPE_HEADER_BYTES + length) return undefined;
    this.#skip(ENVELOPE_HEADER_BYTES);
    return { compressed: flags === FLAG_COMPRESSED, data: this.#take(length) };
  }

  /**
   * Declares the end of the body.
   *
   * @throws {RpcError} INTERNAL when a partial message is left.
   */
  finish(): void {
    if (this.#buffered !== 0) {
      throw new RpcError({
        code: Code.INTERNAL,
        message: `Body ended inside a message: ${this.#buffered} bytes left over`,
      });
    }
  }

  #peek(i: number): number {
    let h = this.#head;
    let at = this.#offset + i;
    while (at >= this.#chunks[h].length) {
      at -= this.#chunks[h].length;
      h++;
    }
    return this.#chunks[h][at];
  }

  #skip(n: number): void {
    this.#buffered -= n;
    while (n > 0) {
      const c = this.#chunks[this.#head];
      const left = c.length - this.#offset;
      if (n < left) {
        this.#offset += n;
        return;
      }
      n -= left;
      this.#advance();
    }
  }

  #advance(): void {
    this.#head++;
    this.#offset = 0;
    // Compact the chunk list now and then, so it never grows without bound.
    if (this.#head > 64 && this.#head * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
    if (this.#head === this.#chunks.length) {
      this.#chunks.length = 0;
      this.#head = 0;
    }
  }

  #take(n: number): Uint8Array {
    this.#buffered -= n;
    // Shared: an empty message is common (`google.protobuf.Empty`), and a typed array of its own
    // costs an allocation far dearer than the rest of reading it.
    if (n === 0) return EMPTY_MESSAGE;
    const first = this.#chunks[this.#head];
    const left = first.length - this.#offset;
    if (n <= left) {
      const view = first.subarray(this.#offset, this.#offset + n);
      if (n === left) this.#advance();
      else this.#offset += n;
      return view;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.#chunks[this.#head];
      const avail = c.length - this.#offset;
      const m = Math.min(avail, n - filled);
      out.set(c.subarray(this.#offset, this.#offset + m), filled);
      filled += m;
      if (m === avail) this.#advance();
      else this.#offset += m;
    }
    return out;
  }
}
