/**
 * HTTP content-coding applied to bodies (RFC 9110 §8.4, §12.5.3): the server side compresses
 * responses with `br` or `gzip` as the request's `accept-encoding` allows
 * ({@link withContentEncoding}); the client side asks for them and decodes responses with a
 * bound on the decoded size ({@link decodeBody}, used by `connect`'s client). Negotiation rules
 * live in `content_coding.ts`; Brotli comes from `brotli/`, gzip from `node:zlib`.
 *
 * @module
 */

import { Data, Effect, Stream } from "effect";
import {
  BrotliError,
  BrotliOutputLimitError,
  compress as brotliCompress,
  compressStream as brotliCompressStream,
  decompressStream as brotliDecompressStream,
  DEFAULT_QUALITY,
} from "../brotli/mod.ts";
import type { HeaderField } from "../core/mod.ts";
import { chooseResponseCoding, SUPPORTED_CODINGS } from "./content_coding.ts";
import type { Initiator } from "./errors.ts";
import { appendFields, getHeader } from "./headers.ts";
import type { Handler, ServerRequest, ServerResponse } from "./server.ts";
import { DEFAULT_GZIP_LEVEL, gzipBytes, GzipEngine, GzipLimitError } from "./_gzip.ts";

/** A content coding h2kit can apply and remove. */
export type ContentCoding = "br" | "gzip";

/** Default decoded-size limit of a response body: 64 MiB, as for Brotli. */
export const DEFAULT_MAX_DECODED_SIZE = 64 * 1024 * 1024;

/**
 * A content-coded body could not be decoded: it is corrupt or truncated, or decoding it would
 * exceed the size limit (a decompression bomb). When it happens while reading a response whose
 * body has not fully arrived, the client resets the stream with CANCEL.
 */
export class ContentDecodingError extends Data.TaggedError("ContentDecoding")<{
  /** What happened. */
  readonly reason: string;
  /** Always `"remote"`: the peer sent the body. */
  readonly initiator: Initiator;
  /** The coding being removed. */
  readonly coding: ContentCoding;
  /** True when the decoded size limit was crossed; false for corrupt or truncated input. */
  readonly limitExceeded: boolean;
  /** The underlying codec error. */
  readonly cause?: unknown;
}> {}

/**
 * Validates a decoded-size limit (`maxDecompressedSize`).
 *
 * @param limit The limit in bytes, `Infinity` for none, `undefined` for the default.
 * @returns The limit to use.
 * @throws {RangeError} When it is negative, fractional or not a number.
 */
export function resolveMaxDecodedSize(limit: number | undefined): number {
  const v = limit ?? DEFAULT_MAX_DECODED_SIZE;
  if (!(v === Infinity || (Number.isSafeInteger(v) && v >= 0))) {
    throw new RangeError(
      `Cannot decode response bodies: maxDecompressedSize must be a non-negative integer or Infinity, got "${v}"`,
    );
  }
  return v;
}

/**
 * The coding named by a `content-encoding` value when h2kit can decode it: one `br`, `gzip` or
 * `x-gzip` token, in any case. Lists of codings and unknown codings give `undefined`.
 *
 * @param value The `content-encoding` field value.
 * @returns The coding, or `undefined`.
 */
export function decodableCoding(value: string | undefined): ContentCoding | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (v === "br") return "br";
  if (v === "gzip" || v === "x-gzip") return "gzip";
  return undefined;
}

function decodingError(coding: ContentCoding, limit: number, cause: unknown) {
  const limitExceeded = cause instanceof BrotliOutputLimitError || cause instanceof GzipLimitError;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new ContentDecodingError({
    reason: limitExceeded
      ? `Cannot decode the ${coding} body: it decodes to more than ${limit} bytes`
      : `Cannot decode the ${coding} body: ${detail}`,
    initiator: "remote",
    coding,
    limitExceeded,
    cause,
  });
}

/** Streams `self` through a gzip engine opened when the stream runs and closed when it ends. */
function gzipPipe<E, R, X>(
  self: Stream.Stream<Uint8Array, E, R>,
  open: () => GzipEngine,
  flushEveryChunk: boolean,
  onError: (cause: unknown) => X,
): Stream.Stream<Uint8Array, E | X, R> {
  const acquire = Effect.acquireRelease(
    Effect.sync(open),
    (engine) => Effect.sync(() => engine.close()),
  );
  return Stream.unwrap(Effect.map(acquire, (engine) => {
    const call = (f: () => Promise<Uint8Array[]>) => Effect.tryPromise({ try: f, catch: onError });
    const body = Stream.mapEffect(self, (chunk) =>
      flushEveryChunk
        ? Effect.flatMap(
          call(() => engine.push(chunk)),
          (out) => Effect.map(call(() => engine.flush()), (more) => out.concat(more)),
        )
        : call(() => engine.push(chunk)));
    return Stream.flattenIterable(
      Stream.concat(body, Stream.fromEffect(call(() => engine.finish()))),
    );
  }));
}

/**
 * Removes a content coding from a body stream, failing with {@link ContentDecodingError} once the
 * output would exceed `maxSize` or when the input is corrupt or truncated.
 *
 * @param body The coded body.
 * @param coding The coding to remove.
 * @param maxSize The most decoded bytes accepted; `Infinity` for no limit.
 * @returns The decoded body.
 */
export function decodeBody<E, R>(
  body: Stream.Stream<Uint8Array, E, R>,
  coding: ContentCoding,
  maxSize: number = DEFAULT_MAX_DECODED_SIZE,
): Stream.Stream<Uint8Array, E | ContentDecodingError, R> {
  if (coding === "br") {
    return body.pipe(
      brotliDecompressStream({ maxOutputSize: maxSize }),
      Stream.mapError((e) => e instanceof BrotliError ? decodingError(coding, maxSize, e) : e),
    ) as Stream.Stream<Uint8Array, E | ContentDecodingError, R>;
  }
  return gzipPipe(
    body,
    () => GzipEngine.decompressor(maxSize),
    false,
    (e) => decodingError(coding, maxSize, e),
  );
}

/**
 * Adds `accept-encoding: br, gzip` to a request's fields unless the caller set one, the request
 * is gRPC (which compresses per message and ignores HTTP codings) or a CONNECT.
 *
 * @param fields The request fields, pseudo-headers included; appended to.
 * @returns True when the field was added, i.e. the client owns decoding the response.
 */
export function addAcceptEncoding(fields: HeaderField[]): boolean {
  if (getHeader(fields, "accept-encoding") !== undefined) return false;
  if (getHeader(fields, ":method") === "CONNECT") return false;
  const type = getHeader(fields, "content-type");
  if (type !== undefined && type.toLowerCase().startsWith("application/grpc")) return false;
  fields.push({ name: "accept-encoding", value: "br, gzip" });
  return true;
}

/** Options of {@link withContentEncoding}. */
export interface ContentEncodingOptions {
  /** Codings to offer, most preferred first (ties in `q` go to this order); default br, gzip. */
  readonly codings?: readonly ContentCoding[];
  /** Bodies smaller than this many bytes are sent as they are; default 1024. */
  readonly minSize?: number;
  /** Brotli quality 0-11; default 4, the usual level for compressing on the fly. */
  readonly brotliQuality?: number;
  /** gzip level 0-9; default 5 (level 6's ratio on JSON at two thirds of its cost). */
  readonly gzipLevel?: number;
  /**
   * Flush the compressor after each chunk of a streamed body, so every chunk the handler
   * produces reaches the client at once (server-sent events, echo). Default true; false gives a
   * better ratio for large streamed files.
   */
  readonly flushEveryChunk?: boolean;
  /**
   * Remember the coded form of each `Uint8Array` body (weakly, by identity), so a handler that
   * serves the same array again, such as a static asset held in memory, is compressed once.
   * Only for arrays that are never modified afterwards. Default false.
   */
  readonly cacheBodies?: boolean;
}

const encoder = new TextEncoder();

/**
 * Wraps a handler so its responses are compressed with `br` or `gzip` when the request's
 * `accept-encoding` accepts one (q-values honoured, RFC 9110 §12.5.3). Only compressible media
 * types at least `minSize` bytes long are coded; responses that already have a
 * `content-encoding`, carry `cache-control: no-transform` (RFC 9111 §5.2.2.6), answer HEAD, or
 * have status 1xx, 204, 206 or 304 pass unchanged. A coded response gets `content-encoding`,
 * `vary: accept-encoding` (RFC 9110 §12.5.5), a weak ETag (the coded bytes differ, RFC 9110
 * §8.8.3), no `accept-ranges`, and a `content-length` of the coded body (whole bodies) or none
 * (streams, compressed as they are pulled).
 *
 * @example Serve compressed JSON
 * ```ts
 * import { Effect } from "effect";
 * import { withContentEncoding } from "./content_encoding.ts";
 *
 * const handler = withContentEncoding(() =>
 *   Effect.succeed({
 *     headers: { "content-type": "application/json" },
 *     body: JSON.stringify({ items: Array.from({ length: 500 }, (_, i) => i) }),
 *   })
 * );
 * // serve({ handler })
 * ```
 *
 * @param handler The handler whose responses to compress.
 * @param options Codings, threshold and levels.
 * @returns The wrapped handler.
 */
export function withContentEncoding<E>(
  handler: Handler<E>,
  options: ContentEncodingOptions = {},
): Handler<E> {
  const settings = {
    supported: options.codings ?? (SUPPORTED_CODINGS as readonly ContentCoding[]),
    minSize: options.minSize,
    brotliQuality: options.brotliQuality ?? DEFAULT_QUALITY,
    gzipLevel: options.gzipLevel ?? DEFAULT_GZIP_LEVEL,
    flushEveryChunk: options.flushEveryChunk ?? true,
    cache: options.cacheBodies
      ? new WeakMap<Uint8Array, Partial<Record<ContentCoding, Uint8Array>>>()
      : undefined,
  };
  if (
    !Number.isInteger(settings.brotliQuality) || settings.brotliQuality < 0 ||
    settings.brotliQuality > 11
  ) {
    throw new RangeError(
      `Cannot use content encoding: brotliQuality must be 0 to 11, got "${settings.brotliQuality}"`,
    );
  }
  if (!Number.isInteger(settings.gzipLevel) || settings.gzipLevel < 0 || settings.gzipLevel > 9) {
    throw new RangeError(
      `Cannot use content encoding: gzipLevel must be 0 to 9, got "${settings.gzipLevel}"`,
    );
  }
  for (const c of settings.supported) {
    if (c !== "br" && c !== "gzip") {
      throw new RangeError(`Cannot use content encoding: unsupported coding "${c}"`);
    }
  }
  return (request) =>
    Effect.flatMap(handler(request), (res) => encodeResponse(request, res, settings));
}

interface Settings {
  readonly supported: readonly ContentCoding[];
  readonly minSize: number | undefined;
  readonly brotliQuality: number;
  readonly gzipLevel: number;
  readonly flushEveryChunk: boolean;
  readonly cache: WeakMap<Uint8Array, Partial<Record<ContentCoding, Uint8Array>>> | undefined;
}

function acceptEncodingOf(request: ServerRequest): string | string[] | undefined {
  let first: string | undefined;
  let all: string[] | undefined;
  for (const f of request.headers) {
    if (f.name !== "accept-encoding") continue;
    if (first === undefined) first = f.value;
    else (all ??= [first]).push(f.value);
  }
  return all ?? first;
}

function encodeResponse(
  request: ServerRequest,
  res: ServerResponse,
  settings: Settings,
): Effect.Effect<ServerResponse> {
  const status = res.status ?? 200;
  // HEAD has no body to code, and a 206 range addresses the identity representation.
  if (request.method === "HEAD" || status === 206 || res.body === undefined) {
    return Effect.succeed(res);
  }
  const fields = appendFields(res.headers, []);
  const body = res.body;
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  let size: number | undefined;
  if (bytes instanceof Uint8Array) size = bytes.length;
  else {
    const declared = getHeader(fields, "content-length");
    if (declared !== undefined && /^[0-9]{1,15}$/.test(declared)) size = Number(declared);
  }
  const decision = chooseResponseCoding(acceptEncodingOf(request), {
    status,
    contentType: getHeader(fields, "content-type"),
    contentLength: size,
    contentEncoding: getHeader(fields, "content-encoding"),
    cacheControl: getHeader(fields, "cache-control"),
  }, { minSize: settings.minSize, supported: settings.supported });
  if (!decision.vary) return Effect.succeed(res);
  // A digest of the body (RFC 9530) would no longer match the coded bytes.
  if (
    getHeader(fields, "content-digest") !== undefined ||
    getHeader(fields, "repr-digest") !== undefined
  ) return Effect.succeed(res);
  addVary(fields);
  const coding = decision.coding;
  if (coding !== "br" && coding !== "gzip") {
    return Effect.succeed({ ...res, headers: fields, body: bytes });
  }
  const coded = recodeFields(fields, coding);
  if (!(bytes instanceof Uint8Array)) {
    const stream = coding === "br"
      ? bytes.pipe(
        brotliCompressStream({
          quality: settings.brotliQuality,
          flushEveryChunk: settings.flushEveryChunk,
        }),
      )
      : gzipPipe(
        bytes,
        () => GzipEngine.compressor(settings.gzipLevel),
        settings.flushEveryChunk,
        (e) => e,
      );
    return Effect.succeed({ ...res, headers: coded, body: stream });
  }
  const cache = body instanceof Uint8Array ? settings.cache : undefined;
  const cached = cache?.get(body as Uint8Array)?.[coding];
  if (cached !== undefined) return Effect.succeed({ ...res, headers: coded, body: cached });
  const remember = (out: Uint8Array): ServerResponse => {
    if (cache !== undefined) {
      const entry = cache.get(bytes) ?? {};
      entry[coding] = out;
      cache.set(bytes, entry);
    }
    return { ...res, headers: coded, body: out };
  };
  if (coding === "gzip") return Effect.sync(() => remember(gzipBytes(bytes, settings.gzipLevel)));
  return Effect.map(
    Effect.promise(() => brotliCompress(bytes, { quality: settings.brotliQuality })),
    remember,
  );
}

/** Adds `vary: accept-encoding` unless a `vary` field already covers it. */
function addVary(fields: HeaderField[]): void {
  for (const f of fields) {
    if (f.name !== "vary") continue;
    for (const item of f.value.split(",")) {
      const v = item.trim().toLowerCase();
      if (v === "*" || v === "accept-encoding") return;
    }
  }
  fields.push({ name: "vary", value: "accept-encoding" });
}

/**
 * The fields of the coded representation: `content-length` dropped (the server computes it for
 * whole bodies), `accept-ranges` dropped (ranges would address the coded bytes), a strong ETag
 * made weak, and `content-encoding` set.
 */
function recodeFields(fields: HeaderField[], coding: ContentCoding): HeaderField[] {
  const out: HeaderField[] = [];
  for (const f of fields) {
    // An existing content-encoding here can only be "identity" or empty: replaced.
    if (
      f.name === "content-length" || f.name === "accept-ranges" || f.name === "content-encoding"
    ) continue;
    if (f.name === "etag" && !f.value.startsWith("W/")) {
      out.push({ name: "etag", value: `W/${f.value}` });
      continue;
    }
    out.push(f);
  }
  out.push({ name: "content-encoding", value: coding });
  return out;
}
