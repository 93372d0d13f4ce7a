/**
 * Message serialization and the per-call message pipeline: serialize,
 * compress, frame on send; unframe, decompress, deserialize on receive, with
 * the size limits applied at every step.
 *
 * @module
 */

import { Cause, Effect, type Scope, Stream } from "effect";
import protobuf from "protobufjs";
import { Code } from "./code.ts";
import type { Compression } from "./compression.ts";
import {
  DEFAULT_MAX_RECEIVE_BYTES,
  encodeEnvelope,
  ENVELOPE_HEADER_BYTES,
  EnvelopeReader,
} from "./envelope.ts";
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
  /**
   * Optional fast path: encodes one message into a new array that starts with `headroom`
   * unused bytes (room for the gRPC envelope prefix), so framing needs no second copy. Must
   * write exactly the bytes `serialize` returns.
   */
  serializeWithHeadroom?(value: T, headroom: number): Uint8Array;
}

/** The parts of a protobufjs `Writer` the serializer reuses (its public fields). */
interface ReusableWriter {
  pos: number;
  buf: Uint8Array;
  states: number[] | null;
  finishInto(buf: Uint8Array, offset: number): Uint8Array;
}

/** A writer kept for reuse only while its buffer stays this small. */
const MAX_REUSED_WRITER_BYTES = 64 * 1024;

// One protobufjs writer shared by every protobuf serializer: encoding is synchronous, so it is
// taken for one message and given back. It replaces protobufjs's default Node `Buffer` writer,
// which allocates (and under Deno often creates a new pool) for every message.
let sharedWriter: ReusableWriter | undefined;

/** Envelopes up to this size are cut from a shared slab (see {@link allocEnvelope}). */
const SLAB_ENVELOPE_MAX = 2 * 1024;
const ENVELOPE_SLAB_SIZE = 64 * 1024;
let envelopeSlab = new Uint8Array(0);
let envelopeSlabOffset = 0;

/**
 * Room for an outgoing envelope. Small ones are views into a shared 64 KiB slab (never reused,
 * like Node's `Buffer` pool): a typed array of its own costs an ArrayBuffer, whose allocation
 * and collection dominate the cost of encoding a small message. (Under Deno a new 16 KiB array
 * costs about 4 us and a 64 KiB one under 7 us: the larger slab halves the cost per envelope of
 * a 1 KiB stream. A slab lives as long as any envelope cut from it, and envelopes are normally
 * dropped once written.)
 */
function allocEnvelope(size: number): Uint8Array {
  if (size > SLAB_ENVELOPE_MAX) return new Uint8Array(size);
  if (envelopeSlabOffset + size > envelopeSlab.length) {
    envelopeSlab = new Uint8Array(ENVELOPE_SLAB_SIZE);
    envelopeSlabOffset = 0;
  }
  const out = envelopeSlab.subarray(envelopeSlabOffset, envelopeSlabOffset + size);
  // Keep views 8-byte aligned.
  envelopeSlabOffset += (size + 7) & ~7;
  return out;
}

function encodeProtobuf(
  type: protobuf.Type,
  value: Record<string, unknown>,
  headroom: number,
): Uint8Array {
  const writer = sharedWriter ?? (new protobuf.Writer() as unknown as ReusableWriter);
  // Taken, so that re-entrant use (a getter that serializes) gets a writer of its own.
  sharedWriter = undefined;
  try {
    type.encode(type.fromObject(value), writer as unknown as protobuf.Writer);
    // Only envelopes (headroom) come from the slab: a plain `serialize` result may be kept
    // for long by its caller and must not pin a slab.
    const out = headroom > 0 ? allocEnvelope(headroom + writer.pos) : new Uint8Array(writer.pos);
    writer.finishInto(out, headroom);
    return out;
  } finally {
    writer.pos = 0;
    writer.states = null;
    if (writer.buf.length <= MAX_REUSED_WRITER_BYTES) sharedWriter = writer;
  }
}

/** A message-to-plain-object converter, as protobufjs generates them (`Type#toObject`). */
type ToObject = (
  message: protobuf.Message,
  options: protobuf.IConversionOptions,
  depth?: number,
) => Record<string, unknown>;

/** The default of an absent bytes field: one frozen empty array, shared (it holds nothing). */
const EMPTY_BYTES: Uint8Array = Object.freeze(new Uint8Array(0)) as Uint8Array;

// The `util` our converters are compiled with: protobufjs's own, except that an absent bytes
// field defaults to {@link EMPTY_BYTES}. protobufjs makes a new `Buffer.from([])` each time: a
// typed array allocation, which under Deno costs more than decoding the rest of a small message.
const plainBytesUtil: typeof protobuf.util = Object.create(protobuf.util, {
  newBuffer: {
    value: (sizeOrArray: number | number[]) =>
      (typeof sizeOrArray === "number" ? sizeOrArray : sizeOrArray.length) === 0
        ? EMPTY_BYTES
        : new Uint8Array(sizeOrArray as number),
  },
});

const converters = new WeakMap<protobuf.Type, ToObject>();

/** A field type's converter, resolved on first use (message types may be recursive). */
class NestedConverter {
  readonly #type: protobuf.Type;
  #toObject: ToObject | undefined;

  constructor(type: protobuf.Type) {
    this.#type = type;
  }

  toObject(message: protobuf.Message, options: protobuf.IConversionOptions, depth?: number) {
    return (this.#toObject ??= toObjectConverter(this.#type))(message, options, depth);
  }
}

/**
 * `type.toObject`, compiled from protobufjs's own code generator with {@link plainBytesUtil}:
 * the same objects, except that absent bytes fields share one frozen empty `Uint8Array` rather
 * than each getting a new `Buffer`.
 * Types with a protobufjs wrapper (`google.protobuf.Any`) keep theirs.
 */
function toObjectConverter(type: protobuf.Type): ToObject {
  let converter = converters.get(type);
  if (converter !== undefined) return converter;
  if (protobuf.wrappers[type.fullName] !== undefined) {
    converter = (message, options) => type.toObject(message, options);
  } else {
    // Indexed like protobufjs's own `types` (see `Type#setup`): by position in `fieldsArray`.
    const types = type.fieldsArray.map((field) => {
      const resolved = field.resolve().resolvedType;
      return resolved instanceof protobuf.Type ? new NestedConverter(resolved) : resolved;
    });
    converter = (protobuf.converter.toObject(type) as unknown as (
      scope: Record<string, unknown>,
    ) => ToObject)({ types, util: plainBytesUtil });
  }
  converters.set(type, converter);
  return converter;
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
    serialize: (value) => encodeProtobuf(type, value as Record<string, unknown>, 0),
    serializeWithHeadroom: (value, headroom) =>
      encodeProtobuf(type, value as Record<string, unknown>, headroom),
    deserialize: (bytes) => {
      const msg = type.decode(bytes);
      return toObjectConverter(type)(msg, options) as T;
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
  const c = options.compression;
  const compress = options.compress && c.name !== "identity";
  if (!compress && serializer.serializeWithHeadroom !== undefined) {
    // Uncompressed (the common case): serialize straight behind the envelope prefix.
    let framed: Uint8Array;
    try {
      framed = serializer.serializeWithHeadroom(value, ENVELOPE_HEADER_BYTES);
    } catch (e) {
      throw notSerializable(e);
    }
    const n = framed.length - ENVELOPE_HEADER_BYTES;
    if (n > options.maxSendBytes) throw tooLarge(n, options.maxSendBytes);
    framed[0] = 0;
    framed[1] = n >>> 24;
    framed[2] = n >>> 16;
    framed[3] = n >>> 8;
    framed[4] = n;
    return framed;
  }
  let bytes: Uint8Array;
  try {
    bytes = serializer.serialize(value);
  } catch (e) {
    throw notSerializable(e);
  }
  if (bytes.length > options.maxSendBytes) throw tooLarge(bytes.length, options.maxSendBytes);
  if (compress && bytes.length >= (options.compressMinBytes ?? 0)) {
    return encodeEnvelope(c.compress(bytes), true);
  }
  return encodeEnvelope(bytes, false);
}

function notSerializable(e: unknown): RpcError {
  return new RpcError({
    code: Code.INTERNAL,
    message: `Could not serialize message: ${(e as Error).message}`,
    cause: e,
  });
}

function tooLarge(n: number, max: number): RpcError {
  return new RpcError({
    code: Code.RESOURCE_EXHAUSTED,
    message: `Sent message larger than max (${n} vs. ${max})`,
  });
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

/** Decompresses (when flagged) and deserializes one unframed message. */
function decodePayload<T>(
  compressed: boolean,
  payload: Uint8Array,
  serializer: Serializer<T>,
  compression: Compression,
  max: number,
): Received<T> {
  let data = payload;
  if (compressed) {
    if (compression.name === "identity") {
      throw new RpcError({
        code: Code.INTERNAL,
        message: "Received a compressed message but no grpc-encoding was set",
      });
    }
    data = compression.decompress(data, max);
  }
  let value: T;
  try {
    value = serializer.deserialize(data);
  } catch (e) {
    throw new RpcError({
      code: Code.INTERNAL,
      message: `Could not deserialize message: ${(e as Error).message}`,
      cause: e,
    });
  }
  return { value, compressed };
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
      out.push(
        decodePayload(env.compressed, env.data, this.#serializer, this.#compression, this.#max),
      );
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
 * The messages of a body read through a pull (an exchange's registered pull, see
 * `withBodyPull`), as the pull of a message stream: each run yields the next messages already
 * decoded, or reads the next batch of chunks, and fails with `Cause.Done` once the body ended.
 * The messages of one yield share their compressed flag (a run of differently flagged messages
 * is split), so a consumer noting the flag per yield sees each message's own. Fails as
 * {@link MessageDecoder} does, and with the pull's own failure mapped by
 * `RpcError.from(e, INTERNAL)`. One Effect per batch: no Stream stages in between.
 *
 * @param pull Yields the next batch of body chunks, `undefined` at the end.
 * @param serializer The message serializer.
 * @param options Encoding and limits.
 * @returns The message pull.
 */
export function pullMessages<T, E>(
  pull: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, E>,
  serializer: Serializer<T>,
  options: ReceiveOptions,
): Effect.Effect<readonly [Received<T>, ...Received<T>[]], RpcError | Cause.Done> {
  const decoder = new MessageDecoder(serializer, options);
  // Decoded messages not handed out yet: pending[at..].
  let pending: Array<Received<T>> = [];
  let at = 0;
  let ended = false;
  const take = (): [Received<T>, ...Received<T>[]] => {
    const compressed = pending[at].compressed;
    let end = at + 1;
    while (end < pending.length && pending[end].compressed === compressed) end++;
    const run = at === 0 && end === pending.length ? pending : pending.slice(at, end);
    at = end;
    if (at === pending.length) {
      pending = [];
      at = 0;
    }
    return run as [Received<T>, ...Received<T>[]];
  };
  const onChunks = (
    chunks: ReadonlyArray<Uint8Array> | undefined,
  ): Effect.Effect<readonly [Received<T>, ...Received<T>[]], RpcError | Cause.Done> => {
    try {
      if (chunks === undefined) {
        ended = true;
        decoder.finish();
        return Cause.done();
      }
      for (let i = 0; i < chunks.length; i++) decoder.push(chunks[i], pending);
    } catch (e) {
      ended = true;
      pending = [];
      return Effect.fail(RpcError.from(e, Code.INTERNAL));
    }
    return pending.length > 0 ? Effect.succeed(take()) : next;
  };
  const read = Effect.flatMap(
    Effect.mapError(pull, (e) => RpcError.from(e, Code.INTERNAL)),
    onChunks,
  );
  const next: Effect.Effect<readonly [Received<T>, ...Received<T>[]], RpcError | Cause.Done> =
    Effect.suspend(() => {
      if (at < pending.length) return Effect.succeed(take());
      if (ended) return Cause.done();
      return read;
    });
  return next;
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
    return Effect.fail(notSingle(read.overflow));
  });
}

function notSingle(overflow: boolean): RpcError {
  return new RpcError({
    code: Code.INTERNAL,
    message: overflow
      ? "Unary request has more than one message"
      : "Unary request ended without a message",
  });
}

/**
 * Decodes the single message of a whole body already in hand (an exchange's
 * `bodyIfComplete`), synchronously: the same checks and errors as
 * {@link readSingleMessage} reading that body as one chunk, with no Effect.
 *
 * @param body The complete body.
 * @param serializer The message serializer.
 * @param options Encoding and limits.
 * @returns The message.
 * @throws {RpcError} INTERNAL when the body holds none or more than one message, or a broken
 *   one; RESOURCE_EXHAUSTED over the size limit (as {@link MessageDecoder}).
 */
export function decodeSingleMessage<T>(
  body: Uint8Array,
  serializer: Serializer<T>,
  options: ReceiveOptions,
): Received<T> {
  if (body.length >= ENVELOPE_HEADER_BYTES) {
    // The usual body, exactly one well-formed envelope, is read in place: no reader, no list.
    // Anything else (several messages, a truncated one, bad flags, over the limit) takes the
    // general path below, which reports it.
    const flags = body[0];
    const length = ((body[1] << 24) | (body[2] << 16) | (body[3] << 8) | body[4]) >>> 0;
    const max = options.maxReceiveBytes ?? DEFAULT_MAX_RECEIVE_BYTES;
    if ((flags & ~1) === 0 && length === body.length - ENVELOPE_HEADER_BYTES && length <= max) {
      const payload = length === 0 ? EMPTY_BYTES : body.subarray(ENVELOPE_HEADER_BYTES);
      try {
        return decodePayload(flags === 1, payload, serializer, options.compression, max);
      } catch (e) {
        throw RpcError.from(e, Code.INTERNAL);
      }
    }
  }
  const decoder = new MessageDecoder(serializer, options);
  const messages: Array<Received<T>> = [];
  try {
    decoder.push(body, messages);
    if (messages.length <= 1) decoder.finish();
  } catch (e) {
    throw RpcError.from(e, Code.INTERNAL);
  }
  if (messages.length === 1) return messages[0];
  throw notSingle(messages.length > 1);
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
