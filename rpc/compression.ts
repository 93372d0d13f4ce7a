/**
 * Per-message compression (grpc doc/compression.md) and its negotiation
 * through `grpc-encoding` / `grpc-accept-encoding`.
 *
 * @module
 */

import zlib from "node:zlib";
import { Code } from "./code.ts";
import { RpcError } from "./status.ts";

/**
 * A message compression algorithm (connect-es `Compression` shape, but
 * synchronous: one gRPC message is small and a synchronous codec avoids a
 * promise per message). `decompress` must never produce more than `maxBytes`
 * bytes: it fails with RESOURCE_EXHAUSTED instead, which defuses
 * decompression bombs. Both methods throw {@link RpcError}.
 */
export interface Compression {
  /** The `grpc-encoding` token, e.g. `"gzip"`. */
  readonly name: string;
  /** Compresses one message. */
  compress(data: Uint8Array): Uint8Array;
  /** Decompresses one message, bounded by `maxBytes` of output. */
  decompress(data: Uint8Array, maxBytes: number): Uint8Array;
}

/** The identity encoding: no compression. */
export const identity: Compression = {
  name: "identity",
  compress: (data) => data,
  decompress: (data, maxBytes) => {
    if (data.length > maxBytes) throw tooLarge(maxBytes);
    return data;
  },
};

function tooLarge(maxBytes: number): RpcError {
  return new RpcError({
    code: Code.RESOURCE_EXHAUSTED,
    message: `Decompressed message larger than max (${maxBytes})`,
  });
}

function asBytes(b: Uint8Array): Uint8Array {
  // node:zlib hands back Buffers; expose plain Uint8Array views of the same memory.
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function zlibCompression(
  name: string,
  compress: (d: Uint8Array) => Uint8Array,
  decompress: (d: Uint8Array, o: zlib.ZlibOptions) => Uint8Array,
): Compression {
  return {
    name,
    compress: (data) => asBytes(compress(data)),
    decompress: (data, maxBytes) => {
      try {
        // maxOutputLength makes zlib stop as soon as the limit is crossed, so a
        // bomb costs at most maxBytes of memory (measured: 300 MB of zeros, 4 ms).
        return asBytes(decompress(data, { maxOutputLength: Math.max(1, maxBytes) }));
      } catch (e) {
        if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw tooLarge(maxBytes);
        throw new RpcError({
          code: Code.INTERNAL,
          message: `Could not decompress "${name}" message: ${(e as Error).message}`,
          cause: e,
        });
      }
    },
  };
}

/**
 * gzip (RFC 1952) through `node:zlib`'s synchronous API, which measured about
 * 4x faster than `CompressionStream` for small messages (26 µs vs 110 µs for a
 * compress + decompress round trip of 324 bytes).
 */
export const gzip: Compression = zlibCompression(
  "gzip",
  (d) => zlib.gzipSync(d),
  (d, o) => zlib.gunzipSync(d, o),
);

/** deflate: the zlib format (RFC 1950), as grpc-go and grpc-js send it. */
export const deflate: Compression = zlibCompression(
  "deflate",
  (d) => zlib.deflateSync(d),
  (d, o) => zlib.inflateSync(d, o),
);

/**
 * The set of encodings an endpoint supports, in preference order. It is the
 * registration point for extra codecs (e.g. `br` from `brotli/`): build one
 * with every codec you want and pass it to the server and client options.
 */
export class CompressionRegistry {
  readonly #byName = new Map<string, Compression>();
  /** The supported codecs, most preferred first (identity is implicit). */
  readonly codecs: readonly Compression[];
  /** The `grpc-accept-encoding` value advertising these codecs. */
  readonly acceptEncoding: string;

  /**
   * Creates a registry; identity is always supported and need not be listed.
   *
   * @param codecs Supported codecs, most preferred first.
   */
  constructor(codecs: readonly Compression[]) {
    const list = codecs.filter((c) => c.name !== "identity");
    for (const c of list) this.#byName.set(c.name, c);
    this.codecs = list;
    this.acceptEncoding = ["identity", ...list.map((c) => c.name)].join(",");
  }

  /**
   * The codec for an encoding token.
   *
   * @param name A `grpc-encoding` value (case-insensitive).
   * @returns The codec, identity for `"identity"`, or undefined when unsupported.
   */
  get(name: string): Compression | undefined {
    const n = name.trim().toLowerCase();
    return n === "identity" ? identity : this.#byName.get(n);
  }

  /**
   * The codec to decode a message that arrived with `grpc-encoding: name`.
   *
   * @param name The request's `grpc-encoding`, or undefined.
   * @returns The codec.
   * @throws {RpcError} UNIMPLEMENTED for an unsupported encoding; the message
   * names what we accept (grpc doc/compression.md).
   */
  resolve(name: string | undefined): Compression {
    if (name === undefined || name === "") return identity;
    const c = this.get(name);
    if (c !== undefined) return c;
    throw new RpcError({
      code: Code.UNIMPLEMENTED,
      message: `Compression "${name}" is not supported (accepted: ${this.acceptEncoding})`,
    });
  }

  /**
   * Picks the encoding for messages sent to a peer: the first of `preferred`
   * that we support and the peer's `grpc-accept-encoding` lists, so a peer
   * without Brotli falls back to gzip.
   *
   * @param preferred Our preference list, e.g. `["br", "gzip"]`.
   * @param peerAccept The peer's `grpc-accept-encoding`, or undefined.
   * @returns The codec; identity when nothing matches.
   */
  negotiate(preferred: readonly string[], peerAccept: string | undefined): Compression {
    if (preferred.length === 0 || peerAccept === undefined) return identity;
    const accepted = new Set(peerAccept.split(",").map((s) => s.trim().toLowerCase()));
    for (const name of preferred) {
      const c = this.get(name);
      if (c !== undefined && accepted.has(c.name)) return c;
    }
    return identity;
  }
}

/** The default registry: gzip and deflate (plus identity). */
export const defaultCompressions: CompressionRegistry = new CompressionRegistry([gzip, deflate]);
