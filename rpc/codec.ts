/**
 * Message serialization and the per-call message pipeline: serialize,
 * compress, frame on send; unframe, decompress, deserialize on receive, with
 * the size limits applied at every step.
 *
 * @module
 */

import { Cause, Effect, type Scope, Stream } from "effect";
import type protobuf from "protobufjs";
import { Code } from "./code.ts";
import type { Compression } from "./compression.ts";
import { DEFAULT_MAX_RECEIVE_BYTES, encodeEnvelope, EnvelopeReader } from "./envelope.ts";
import { RpcError } from "./status.ts";

/**
 * Turns messages into bytes and back. Implementations throw on malformed
 * input; the pipeline reports that as INTERNAL (grpc doc/statuscodes.md:
 * "malformed message" is INTERNAL).
 */
export interface Serializer<T> {
  /** Encodes one message. */
  serialize(value: T): Uint8Array;
  /** Decodes one message. */
  deserialize(bytes: Uint8Array): T;
}

/** Conversion options of {@link protobufSerializer} (protobufjs `IConversionOptions`). */
export type ProtobufObjectOptions = protobuf.IConversionOptions;

/**
 * The `toObject` options used by default: 64-bit integers as decimal strings
 * (exact, JSON-safe), enums as numbers, bytes as `Uint8Array`, default values
 * present and oneof names filled, so handlers see plain complete objects.
 */
export const DEFAULT_OBJECT_OPTIONS: ProtobufObjectOptions = {
  longs: String,
  enums: Number,
  defaults: true,
  oneofs: true,
};

/**
 * A serializer for a protobufjs message type working on plain objects:
 * `fromObject` on the way out (so string int64s are accepted) and `toObject`
 * on the way in.
 *
 * @param type The protobufjs message type.
 * @param options `toObject` conversion options.
 * @returns The serializer.
 */
export function protobufSerializer<T>(
  type: protobuf.Type,
  options: ProtobufObjectOptions = DEFAULT_OBJECT_OPTIONS,
): Serializer<T> {
  return {
    serialize: (value) =>
      type.encode(type.fromObject(value as Record<string, unknown>)).finish() as Uint8Array,
    deserialize: (bytes) => {
      const msg = type.decode(bytes);
      return type.toObject(msg, options) as T;
    },
  };
}

/** Send-side settings of one call. */
export interface SendOptions {
  /** The negotiated encoding. */
  readonly compression: Compression;
  /** Whether to compress this message (when the encoding is not identity). */
  readonly compress: boolean;
  /** Largest serialized message allowed; RESOURCE_EXHAUSTED beyond. */
  readonly maxSendBytes: number;
  /** Messages smaller than this are sent uncompressed (saves CPU). Default 0. */
  readonly compressMinBytes?: number;
}

/**
 * Serializes, optionally compresses and frames one message.
 *
 * @param value The message.
 * @param serializer Its serializer.
 * @param options Encoding and limits.
 * @returns The envelope bytes.
 * @throws {RpcError} RESOURCE_EXHAUSTED over `maxSendBytes`, INTERNAL when serialization fails.
 */
export function encodeMessage<T>(
  value: NoInfer<T>,
  serializer: Serializer<T>,
  options: SendOptions,
): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = serializer.serialize(value);
  } catch (e) {
    throw new RpcError({
      code: Code.INTERNAL,
      message: `Could not serialize message: ${(e as Error).message}`,
      cause: e,
    });
  }
  if (bytes.length > options.maxSendBytes) {
    throw new RpcError({
      code: Code.RESOURCE_EXHAUSTED,
      message: `Sent message larger than max (${bytes.length} vs. ${options.maxSendBytes})`,
    });
  }
  const c = options.compression;
  if (
    options.compress && c.name !== "identity" && bytes.length >= (options.compressMinBytes ?? 0)
  ) {
    return encodeEnvelope(c.compress(bytes), true);
  }
  return encodeEnvelope(bytes, false);
}

/** A received message and whether it arrived compressed. */
export interface Received<T> {
  /** The decoded message. */
  readonly value: T;
  /** Whether its compressed flag was set. */
  readonly compressed: boolean;
}

/** Receive-side settings of one call. */
export interface ReceiveOptions {
  /** The encoding the peer announced with `grpc-encoding` (identity when none). */
  readonly compression: Compression;
  /** Largest message accepted, framed and after decompression. Default 4 MiB. */
  readonly maxReceiveBytes?: number;
}

/**
 * Synchronous message decoder for one call: push body chunks, get decoded
 * messages. Throws {@link RpcError}: RESOURCE_EXHAUSTED for oversized
 * messages, INTERNAL for a compressed message under `identity`, undecodable
 * bytes or (from {@link MessageDecoder.finish}) a truncated body.
 */
export class MessageDecoder<T> {
  readonly #reader: EnvelopeReader;
  readonly #serializer: Serializer<T>;
  readonly #compression: Compression;
  readonly #max: number;

  /**
   * Creates a decoder for one call's messages.
   *
   * @param serializer The message serializer.
   * @param options Encoding and limits.
   */
  constructor(serializer: Serializer<T>, options: ReceiveOptions) {
    this.#max = options.maxReceiveBytes ?? DEFAULT_MAX_RECEIVE_BYTES;
    this.#reader = new EnvelopeReader({ maxMessageBytes: this.#max });
    this.#serializer = serializer;
    this.#compression = options.compression;
  }

  /**
   * Adds a chunk and decodes every message it completes.
   *
   * @param chunk Body bytes.
   * @param out Receives the decoded messages.
   */
  push(chunk: Uint8Array, out: Array<Received<T>>): void {
    const reader = this.#reader;
    reader.push(chunk);
    for (let env = reader.next(); env !== undefined; env = reader.next()) {
      let data = env.data;
      if (env.compressed) {
        if (this.#compression.name === "identity") {
          throw new RpcError({
            code: Code.INTERNAL,
            message: "Received a compressed message but no grpc-encoding was set",
          });
        }
        data = this.#compression.decompress(data, this.#max);
      }
      let value: T;
      try {
        value = this.#serializer.deserialize(data);
      } catch (e) {
        throw new RpcError({
          code: Code.INTERNAL,
          message: `Could not deserialize message: ${(e as Error).message}`,
          cause: e,
        });
      }
      out.push({ value, compressed: env.compressed });
    }
  }

  /** Declares the end of the body; throws INTERNAL when it ended inside a message. */
  finish(): void {
    this.#reader.finish();
  }
}

/**
 * Decodes a body stream into messages. Chunks may split messages anywhere.
 * Fails as {@link MessageDecoder} does.
 *
 * @param body The raw body stream.
 * @param serializer The message serializer.
 * @param options Encoding and limits.
 * @returns The message stream.
 */
export function decodeMessages<T, E>(
  body: Stream.Stream<Uint8Array, E>,
  serializer: Serializer<T>,
  options: ReceiveOptions,
): Stream.Stream<Received<T>, E | RpcError> {
  return Stream.suspend(() => {
    const decoder = new MessageDecoder(serializer, options);
    const drain = (chunk: Uint8Array): Array<Received<T>> => {
      const out: Array<Received<T>> = [];
      decoder.push(chunk, out);
      return out;
    };
    return body.pipe(
      Stream.mapEffect((chunk) =>
        Effect.try({ try: () => drain(chunk), catch: (e) => RpcError.from(e, Code.INTERNAL) })
      ),
      Stream.flattenIterable,
      Stream.concat(
        Stream.fromEffectDrain(
          Effect.try({
            try: () => decoder.finish(),
            catch: (e) => RpcError.from(e, Code.INTERNAL),
          }),
        ),
      ),
    );
  });
}

/**
 * Reads a whole body and decodes its messages, with a single pass over the
 * stream: the cheap path for calls with one message per direction.
 *
 * @param body The raw body stream.
 * @param serializer The message serializer.
 * @param options Encoding and limits.
 * @returns Every message of the body.
 */
export function collectMessages<T, E>(
  body: Stream.Stream<Uint8Array, E>,
  serializer: Serializer<T>,
  options: ReceiveOptions,
): Effect.Effect<Array<Received<T>>, E | RpcError> {
  return Effect.suspend(() => {
    const decoder = new MessageDecoder(serializer, options);
    const out: Array<Received<T>> = [];
    return Stream.runForEach(body, (chunk) =>
      Effect.try({
        try: () => decoder.push(chunk, out),
        catch: (e) => RpcError.from(e, Code.INTERNAL),
      })).pipe(
        Effect.flatMap(() =>
          Effect.try({
            try: () => {
              decoder.finish();
              return out;
            },
            catch: (e) => RpcError.from(e, Code.INTERNAL),
          })
        ),
      );
  });
}

/** What {@link readMessagesUpTo} read. */
export interface ReadMessages<T> {
  /** The messages, at most `max + 1` of them. */
  readonly messages: Array<Received<T>>;
  /** Whether the body held more than `max` messages (reading stopped at the one too many). */
  readonly overflow: boolean;
}

/**
 * Reads the messages of a body through a pull (an exchange's `pull`, or
 * {@link pullFromStream}): one Effect per received batch of chunks, no Stream
 * pipeline. It stops as soon as message `max + 1` completes, so a hostile peer
 * cannot make us buffer or decode an unbounded number of messages; each
 * message is bounded by `maxReceiveBytes` as in {@link MessageDecoder}.
 *
 * @param pull Yields the next batch of body chunks, `undefined` at the end.
 * @param serializer The message serializer.
 * @param options Encoding and limits.
 * @param max Messages expected at most (1 for a unary body).
 * @returns The messages; fails as {@link MessageDecoder} does, and with the pull's own
 *   failure mapped by `RpcError.from(e, INTERNAL)`.
 */
export function readMessagesUpTo<T, E>(
  pull: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, E>,
  serializer: Serializer<T>,
  options: ReceiveOptions,
  max: number,
): Effect.Effect<ReadMessages<T>, RpcError> {
  return Effect.suspend(() => {
    const decoder = new MessageDecoder(serializer, options);
    const messages: Array<Received<T>> = [];
    const onChunks = (
      chunks: ReadonlyArray<Uint8Array> | undefined,
    ): Effect.Effect<ReadMessages<T>, RpcError> => {
      try {
        if (chunks === undefined) {
          decoder.finish();
          return Effect.succeed({ messages, overflow: false });
        }
        for (let i = 0; i < chunks.length; i++) {
          decoder.push(chunks[i], messages);
          if (messages.length > max) return Effect.succeed({ messages, overflow: true });
        }
      } catch (e) {
        return Effect.fail(RpcError.from(e, Code.INTERNAL));
      }
      return step;
    };
    const step: Effect.Effect<ReadMessages<T>, RpcError> = Effect.flatMap(
      Effect.mapError(pull, (e) => RpcError.from(e, Code.INTERNAL)),
      onChunks,
    );
    return step;
  });
}

/**
 * Reads the single request message of a unary or server-streaming call through
 * a pull (see {@link readMessagesUpTo}), failing as soon as a second message
 * completes.
 *
 * @param pull Yields the next batch of body chunks, `undefined` at the end.
 * @param serializer The message serializer.
 * @param options Encoding and limits.
 * @returns The message; INTERNAL when the body holds none or more than one.
 */
export function readSingleMessage<T, E>(
  pull: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, E>,
  serializer: Serializer<T>,
  options: ReceiveOptions,
): Effect.Effect<Received<T>, RpcError> {
  return Effect.flatMap(readMessagesUpTo(pull, serializer, options, 1), (read) => {
    if (read.messages.length === 1 && !read.overflow) return Effect.succeed(read.messages[0]);
    return Effect.fail(
      new RpcError({
        code: Code.INTERNAL,
        message: read.overflow
          ? "Unary request has more than one message"
          : "Unary request ended without a message",
      }),
    );
  });
}

/**
 * Adapts a body stream to the pull shape of {@link readSingleMessage}, for
 * exchanges that offer no `pull` of their own. The stream is consumed within
 * the current scope.
 *
 * @param body The body stream.
 * @returns A pull yielding each chunk batch, `undefined` at the end.
 */
export function pullFromStream<E>(
  body: Stream.Stream<Uint8Array, E>,
): Effect.Effect<Effect.Effect<ReadonlyArray<Uint8Array> | undefined, E>, never, Scope.Scope> {
  return Effect.map(
    Stream.toPull(body),
    (pull) =>
      Effect.catchIf(
        pull as Effect.Effect<ReadonlyArray<Uint8Array> | undefined, E | Cause.Done>,
        Cause.isDone,
        () => Effect.succeed(undefined),
      ) as Effect.Effect<ReadonlyArray<Uint8Array> | undefined, E>,
  );
}
