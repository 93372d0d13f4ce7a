/**
 * The error for a field block that decodes to more than the advertised
 * SETTINGS_MAX_HEADER_LIST_SIZE.
 *
 * @module
 */

import { ErrorCode } from "../error_code.ts";
import { H2Error } from "../errors.ts";

/**
 * A field block decoded to a header list larger than the decoder's
 * `maxHeaderListSize`, counted as Σ(name + value + 32) octets (RFC 7541
 * §4.1, RFC 9113 §6.5.2, §10.5.1).
 *
 * It is a stream error: {@link HpackDecoder} still decoded the whole block,
 * so its dynamic table stays in sync with the peer and the connection can go
 * on; only the stream is refused (RST_STREAM with ENHANCE_YOUR_CALM, or a 431
 * response from a server). The decoder kept no field past the limit, so an
 * "HPACK bomb" (many references to a large table entry) allocates nothing.
 */
export class HeaderListTooLargeError extends H2Error {
  /** The configured limit in octets. */
  readonly limit: number;
  /** The decoded size in octets (Σ name + value + 32 over the whole block). */
  readonly size: number;

  /**
   * @param size The decoded header-list size.
   * @param limit The limit it exceeded.
   * @param options Stream id, when the caller knows it.
   */
  constructor(size: number, limit: number, options: { readonly streamId?: number } = {}) {
    super(
      ErrorCode.ENHANCE_YOUR_CALM,
      `Header list is too large: ${size} octets exceeds the limit of ${limit}`,
      { scope: "stream", streamId: options.streamId },
    );
    this.size = size;
    this.limit = limit;
  }
}
