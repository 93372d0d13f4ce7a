/**
 * The receive buffer of one stream: DATA chunks wait here until the consumer
 * pulls them, and only then is their flow-control credit returned
 * (WINDOW_UPDATE), so a slow reader holds at most one window of memory
 * (RFC 9113 §6.9). Plain TS on the hot path; an Effect `Stream` view on top.
 *
 * @module
 */

import { Cause, Effect, Stream } from "effect";
import type { HeaderField } from "../core/mod.ts";
import type { NetError } from "./errors.ts";

const EMPTY_FIELDS: HeaderField[] = [];

function run(fn: () => void): void {
  fn();
}

const EMPTY_BYTES = new Uint8Array(0);

function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  if (parts.length === 0) return EMPTY_BYTES;
  const out = new Uint8Array(size);
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    out.set(parts[i], at);
    at += parts[i].length;
  }
  return out;
}

/** A stream's received body and trailers. Internal to the net layer. */
export class InboundBody {
  #chunks: Uint8Array[] = [];
  #credit = 0;
  #done = false;
  #error: NetError | undefined;
  #trailers: HeaderField[] = EMPTY_FIELDS;
  #waiter: (() => void) | undefined;
  #endWaiters: Array<() => void> | undefined;
  #released = false;
  /** Octets buffered and not yet pulled. */
  buffered = 0;

  /**
   * @param ack Returns `length` octets of flow-control credit to the peer.
   * @param cancel The consumer gave up before the end. A client resets the stream (CANCEL); a
   *   server keeps it open for its response (RFC 9113 §8.1) and only discards what follows.
   * @param defer Runs a wake-up now or at the end of the current read batch, so a consumer
   *   fiber resumes once per socket read rather than once per DATA frame.
   */
  constructor(
    ack: (length: number) => void,
    cancel: () => void,
    defer: (wake: () => void) => void = run,
  ) {
    this.ack = ack;
    this.cancel = cancel;
    this.defer = defer;
  }

  private readonly ack: (length: number) => void;
  private readonly cancel: () => void;
  private readonly defer: (wake: () => void) => void;

  /** Whether the body ended (normally or with an error). */
  get done(): boolean {
    return this.#done;
  }

  /** Adds a DATA payload; `flowLength` includes padding. */
  push(data: Uint8Array, flowLength: number): void {
    if (this.#done || this.#released) {
      // Nobody will read it: give the credit back at once so the connection window recovers.
      this.ack(flowLength);
      return;
    }
    if (data.length === 0) {
      this.ack(flowLength);
      return;
    }
    this.#chunks.push(data);
    this.#credit += flowLength;
    this.buffered += data.length;
    this.#wake();
  }

  /** The peer ended the body, optionally with trailers. */
  end(trailers?: HeaderField[]): void {
    if (this.#done) return;
    if (trailers !== undefined) this.#trailers = trailers;
    this.#done = true;
    this.#wake();
    this.#wakeEnd();
  }

  /** The stream failed; pending and future reads fail with `error` once the buffer is drained. */
  fail(error: NetError): void {
    if (this.#done) return;
    this.#error = error;
    this.#done = true;
    // A failed stream's data is incomplete: drop it now and return its credit.
    this.#dropBuffered();
    // Wake the reader now, so it sees the failure before the owner reacts to it (for example
    // by interrupting the handler that reads this body).
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
    this.#wakeEnd();
  }

  /**
   * Takes every buffered chunk and returns their credit, or `undefined` when nothing is
   * buffered.
   */
  take(): Uint8Array[] | undefined {
    if (this.#chunks.length === 0) return undefined;
    const chunks = this.#chunks;
    const credit = this.#credit;
    this.#chunks = [];
    this.#credit = 0;
    this.buffered = 0;
    this.ack(credit);
    return chunks;
  }

  /**
   * The whole body, when it has already arrived in full (ended without error): taken at once,
   * its credit returned, without the Effect machinery. `undefined` while more may come or after
   * a failure; the body is then untouched and read as usual.
   */
  takeComplete(): Uint8Array | undefined {
    if (!this.#done || this.#error !== undefined || this.#released) return undefined;
    const size = this.buffered;
    const chunks = this.take();
    return chunks === undefined ? EMPTY_BYTES : concat(chunks, size);
  }

  /**
   * The consumer stopped reading. Buffered credit is returned, and DATA arriving later is
   * dropped with its credit returned at once, so the connection window never leaks; if the body
   * had not ended the owner's `cancel` runs.
   */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#dropBuffered();
    if (!this.#done) this.cancel();
  }

  #dropBuffered(): void {
    if (this.#credit > 0) this.ack(this.#credit);
    this.#chunks = [];
    this.#credit = 0;
    this.buffered = 0;
  }

  #wake(): void {
    const w = this.#waiter;
    if (w !== undefined) {
      this.#waiter = undefined;
      this.defer(w);
    }
  }

  #wakeEnd(): void {
    const ws = this.#endWaiters;
    if (ws === undefined) return;
    this.#endWaiters = undefined;
    for (const w of ws) w();
  }

  /** Pull effect for the body stream: all buffered chunks, or waits; `Done` at the end. */
  readonly #pull: Effect.Effect<ReadonlyArray<Uint8Array>, NetError | Cause.Done> = Effect
    .suspend(() => {
      const chunks = this.take();
      if (chunks !== undefined) return Effect.succeed(chunks);
      if (this.#error !== undefined) return Effect.fail(this.#error);
      if (this.#done) return Cause.done();
      return Effect.callback<ReadonlyArray<Uint8Array>, NetError | Cause.Done>((resume) => {
        this.#waiter = () => resume(this.#pull);
        return Effect.sync(() => {
          this.#waiter = undefined;
        });
      });
    });

  /**
   * The pull behind {@link stream}, for readers that pull chunk batches themselves: all
   * buffered chunks, or waits; fails with `Done` at the end. Pulling returns flow-control credit;
   * a reader that stops early calls {@link release}.
   */
  get pull(): Effect.Effect<ReadonlyArray<Uint8Array>, NetError | Cause.Done> {
    return this.#pull;
  }

  /**
   * The body as an Effect stream. Pulling returns flow-control credit; ending the stream early
   * or interrupting its consumer resets the HTTP/2 stream with CANCEL. Consume it once.
   */
  stream(): Stream.Stream<Uint8Array, NetError> {
    return Stream.fromPull(
      Effect.succeed(
        this.#pull as Effect.Effect<readonly [Uint8Array, ...Uint8Array[]], NetError | Cause.Done>,
      ),
    ).pipe(Stream.ensuring(Effect.sync(() => this.release())));
  }

  /**
   * The whole body as one array, without the stream machinery: takes what is buffered
   * (returning its credit, so bodies larger than the window still flow) and waits for more
   * until the end. Interruption releases the body (CANCEL when unfinished).
   */
  readonly all: Effect.Effect<Uint8Array, NetError> = Effect.suspend(() => {
    const parts: Uint8Array[] = [];
    let size = 0;
    const step: Effect.Effect<Uint8Array, NetError> = Effect.suspend(() => {
      const chunks = this.take();
      if (chunks !== undefined) {
        for (let i = 0; i < chunks.length; i++) {
          parts.push(chunks[i]);
          size += chunks[i].length;
        }
      }
      if (this.#error !== undefined) return Effect.fail(this.#error);
      if (this.#done) return Effect.succeed(concat(parts, size));
      return Effect.callback<Uint8Array, NetError>((resume) => {
        this.#waiter = () => resume(step);
        return Effect.sync(() => {
          this.#waiter = undefined;
          this.release();
        });
      });
    });
    return step;
  });

  /** Resolves with the trailers once the body ended (empty when none), or fails with its error. */
  readonly trailers: Effect.Effect<ReadonlyArray<HeaderField>, NetError> = Effect.suspend(() => {
    if (this.#error !== undefined) return Effect.fail(this.#error);
    if (this.#done) return Effect.succeed(this.#trailers);
    return Effect.callback<ReadonlyArray<HeaderField>, NetError>((resume) => {
      const w = () => resume(this.trailers);
      (this.#endWaiters ??= []).push(w);
      return Effect.sync(() => {
        const ws = this.#endWaiters;
        if (ws !== undefined) {
          const i = ws.indexOf(w);
          if (i >= 0) ws.splice(i, 1);
        }
      });
    });
  });
}
