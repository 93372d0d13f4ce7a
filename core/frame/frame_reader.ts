/**
 * Incremental frame parser: bytes in, frames out (RFC 9113 §4.1, §4.2).
 *
 * @module
 */

import { ErrorCode } from "../error_code.ts";
import { FrameSizeError, H2Error, UsageError } from "../errors.ts";
import {
  EMPTY,
  FRAME_HEADER_LENGTH,
  MAX_FRAME_PAYLOAD,
  MAX_STREAM_ID,
  MIN_MAX_FRAME_SIZE,
} from "./_head.ts";
import { decodeFrame, type Frame } from "./frame.ts";
import { frameTypeName } from "./frame_type.ts";

/** Options of {@link FrameReader}. */
export interface FrameReaderOptions {
  /** Largest payload accepted: our SETTINGS_MAX_FRAME_SIZE, 16384..16777215 (default 16384). */
  readonly maxFrameSize?: number;
}

// Compact the chunk queue only after this many consumed slots, so that the
// splice is amortized over many chunks instead of paid on every frame.
const COMPACT_AFTER = 64;

/**
 * Turns a byte stream split at arbitrary points into frames.
 *
 * `push()` queues chunks without copying; `next()` returns the next complete
 * frame or `undefined` when more bytes are needed. A frame that lies inside
 * one chunk, or in chunks that are adjacent views of one buffer, gets payload
 * views into that buffer (zero-copy), so do not reuse a pushed buffer for new
 * data; only a frame that spans separate buffers is copied, and only its own
 * bytes.
 *
 * The length from the 9-byte header is checked against {@link maxFrameSize}
 * before any of the payload is buffered. An oversized frame is always a
 * *connection* FRAME_SIZE_ERROR: RFC 9113 §4.2 requires that for frames that
 * can alter connection state, and for the others skipping the payload would
 * still desynchronise flow-control accounting (DATA) or reward a peer that
 * ignores our SETTINGS.
 *
 * Errors: a stream-scoped `H2Error` (e.g. PRIORITY of length 4) has consumed
 * its frame and the reader stays usable; after a connection-scoped error every
 * later `next()` throws the same error again. Memory is bounded by what the
 * caller pushes; `bufferedLength` lets the caller stop reading its socket.
 */
export class FrameReader {
  #chunks: (Uint8Array | undefined)[] = [];
  #head = 0;
  #offset = 0;
  #buffered = 0;
  #maxFrameSize: number = MIN_MAX_FRAME_SIZE;
  #failure: H2Error | undefined;
  #pending = false;
  #length = 0;
  #type = 0;
  #flags = 0;
  #streamId = 0;
  readonly #scratch = new Uint8Array(FRAME_HEADER_LENGTH);

  /**
   * Creates an empty reader.
   *
   * @param options The initial maximum frame size.
   */
  constructor(options: FrameReaderOptions = {}) {
    if (options.maxFrameSize !== undefined) this.maxFrameSize = options.maxFrameSize;
  }

  /**
   * Largest payload accepted. Raise it once the peer has acknowledged our
   * SETTINGS_MAX_FRAME_SIZE (RFC 9113 §6.5.3). Throws `UsageError` outside
   * 16384..16777215.
   */
  get maxFrameSize(): number {
    return this.#maxFrameSize;
  }

  set maxFrameSize(n: number) {
    if (!Number.isInteger(n) || n < MIN_MAX_FRAME_SIZE || n > MAX_FRAME_PAYLOAD) {
      throw new UsageError(`Cannot set max frame size: ${n} is not in 16384..16777215`);
    }
    this.#maxFrameSize = n;
  }

  /** Bytes pushed and not yet returned as frames. */
  get bufferedLength(): number {
    return this.#buffered;
  }

  /**
   * Queues received bytes. The chunk is kept by reference, not copied. Once
   * the reader has failed with a connection error, pushed bytes are dropped.
   *
   * @param chunk Bytes in any split.
   */
  push(chunk: Uint8Array): void {
    // After a connection error nothing more will be parsed: drop input rather than hoard it.
    if (chunk.length === 0 || this.#failure !== undefined) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /**
   * Returns the next complete frame, or `undefined` when more bytes are needed.
   *
   * @returns A frame, or `undefined`.
   * @throws {H2Error} For an invalid frame; see the class notes on scope.
   */
  next(): Frame | undefined {
    if (this.#failure !== undefined) throw this.#failure;
    if (!this.#pending) {
      if (this.#buffered < FRAME_HEADER_LENGTH) return undefined;
      this.#readHeader();
      if (this.#length > this.#maxFrameSize) {
        throw this.#fail(
          new FrameSizeError(
            `Cannot accept ${frameTypeName(this.#type)} frame: length ${this.#length} exceeds ` +
              `max frame size ${this.#maxFrameSize}`,
            { scope: "connection" },
          ),
        );
      }
      this.#pending = true;
    }
    const length = this.#length;
    if (this.#buffered < length) return undefined;
    const payload = length === 0 ? EMPTY : this.#take(length);
    this.#pending = false;
    try {
      return decodeFrame(this.#type, this.#flags, this.#streamId, payload);
    } catch (e) {
      if (!(e instanceof H2Error) || e.scope === "connection") {
        // A non-H2Error would be a decoder bug; still refuse to continue after it.
        this.#fail(
          e instanceof H2Error
            ? e
            : new H2Error(ErrorCode.INTERNAL_ERROR, "Frame decoder failed", { cause: e }),
        );
      }
      throw e;
    }
  }

  /** Records a connection error and releases the buffered input, which will never be parsed. */
  #fail(error: H2Error): H2Error {
    this.#failure = error;
    this.#chunks = [];
    this.#head = 0;
    this.#offset = 0;
    this.#buffered = 0;
    this.#pending = false;
    return error;
  }

  #readHeader(): void {
    let b: Uint8Array;
    let at: number;
    const c = this.#chunks[this.#head]!;
    if (c.length - this.#offset >= FRAME_HEADER_LENGTH) {
      b = c;
      at = this.#offset;
      this.#advance(FRAME_HEADER_LENGTH);
    } else {
      b = this.#scratch;
      at = 0;
      this.#copyInto(b, FRAME_HEADER_LENGTH);
    }
    this.#length = (b[at] << 16) | (b[at + 1] << 8) | b[at + 2];
    this.#type = b[at + 3];
    this.#flags = b[at + 4];
    this.#streamId = (((b[at + 5] << 24) | (b[at + 6] << 16) | (b[at + 7] << 8) | b[at + 8]) &
      MAX_STREAM_ID) >>> 0;
  }

  /**
   * Removes `n` buffered bytes (n <= buffered), as a view when they lie in one chunk or in
   * chunks that follow each other in one buffer (a socket that fills its read buffer front to
   * back hands over a frame split between two reads that way), else as a copy.
   */
  #take(n: number): Uint8Array {
    const chunks = this.#chunks;
    const c = chunks[this.#head]!;
    const start = this.#offset;
    if (c.length - start >= n) {
      this.#advance(n);
      return c.subarray(start, start + n);
    }
    const buffer = c.buffer;
    let have = c.length - start;
    let end = c.byteOffset + c.length;
    for (let k = this.#head + 1; have < n; k++) {
      const d = chunks[k]!;
      if (d.buffer !== buffer || d.byteOffset !== end) break;
      have += d.length;
      end += d.length;
    }
    if (have >= n) {
      const out = new Uint8Array(buffer, c.byteOffset + start, n);
      this.#skip(n);
      return out;
    }
    const out = new Uint8Array(n);
    this.#copyInto(out, n);
    return out;
  }

  /** Consumes the next `n` buffered bytes. */
  #skip(n: number): void {
    while (n > 0) {
      const k = Math.min(n, this.#chunks[this.#head]!.length - this.#offset);
      this.#advance(k);
      n -= k;
    }
  }

  /** Copies the next `n` buffered bytes into `dst` and consumes them. */
  #copyInto(dst: Uint8Array, n: number): void {
    let written = 0;
    while (written < n) {
      const c = this.#chunks[this.#head]!;
      const k = Math.min(n - written, c.length - this.#offset);
      dst.set(c.subarray(this.#offset, this.#offset + k), written);
      written += k;
      this.#advance(k);
    }
  }

  /** Consumes `n` bytes of the head chunk (n <= what is left in it). */
  #advance(n: number): void {
    this.#buffered -= n;
    this.#offset += n;
    const chunks = this.#chunks;
    if (this.#offset < chunks[this.#head]!.length) return;
    chunks[this.#head] = undefined; // let the chunk be collected
    this.#head++;
    this.#offset = 0;
    if (this.#head === chunks.length) {
      chunks.length = 0;
      this.#head = 0;
    } else if (this.#head >= COMPACT_AFTER && this.#head * 2 >= chunks.length) {
      chunks.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
