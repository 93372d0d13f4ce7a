/**
 * The `br` message encoding, adapted from `brotli/` to the {@link Compression}
 * interface. Kept apart from `compression.ts` so that loading the RPC layer
 * never loads a Brotli backend (the Wasm one needs read permission).
 *
 * @module
 */

import {
  type BrotliCodecOptions,
  BrotliOutputLimitError,
  type BrotliSyncCodec,
  loadBrotliSyncCodec,
} from "../brotli/mod.ts";
import { Code } from "./code.ts";
import type { Compression } from "./compression.ts";
import { RpcError } from "./status.ts";

/**
 * Loads Brotli (RFC 7932) as a gRPC message encoding named `"br"`:
 * synchronous per message, decompression bounded by `maxBytes`
 * (RESOURCE_EXHAUSTED beyond it, INTERNAL for corrupt input). Register it
 * first in a `CompressionRegistry` to prefer it; peers that do not accept `br`
 * (grpc-js, grpcio) are then answered with gzip.
 *
 * @param options Quality (default 4; never 10-11 per message) and backend.
 * @returns The codec.
 */
export async function loadBrotliCompression(options?: BrotliCodecOptions): Promise<Compression> {
  return brotliCompression(await loadBrotliSyncCodec(options));
}

/**
 * Adapts a synchronous Brotli codec from `brotli/` to {@link Compression},
 * turning `BrotliOutputLimitError` into RESOURCE_EXHAUSTED and any other
 * failure into INTERNAL.
 *
 * @param codec A codec from `loadBrotliSyncCodec`.
 * @returns The codec as a gRPC message encoding.
 */
export function brotliCompression(codec: BrotliSyncCodec): Compression {
  return {
    name: "br",
    compress: (data) => codec.compress(data),
    decompress: (data, maxBytes) => {
      try {
        return codec.decompress(data, maxBytes);
      } catch (e) {
        if (e instanceof BrotliOutputLimitError) {
          throw new RpcError({
            code: Code.RESOURCE_EXHAUSTED,
            message: `Decompressed message larger than max (${maxBytes})`,
            cause: e,
          });
        }
        throw new RpcError({
          code: Code.INTERNAL,
          message: `Could not decompress "br" message: ${(e as Error).message}`,
          cause: e,
        });
      }
    },
  };
}
