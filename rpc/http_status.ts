/**
 * Mappings from HTTP-level outcomes to gRPC status codes.
 *
 * @module
 */

import { Code } from "./code.ts";

/**
 * The gRPC code for a response that is not a gRPC response (no `grpc-status`,
 * wrong content type), from its HTTP status, per grpc
 * doc/http-grpc-status-mapping.md: 400 INTERNAL, 401 UNAUTHENTICATED,
 * 403 PERMISSION_DENIED, 404 UNIMPLEMENTED, 429/502/503/504 UNAVAILABLE,
 * anything else UNKNOWN.
 *
 * @param status The HTTP status code.
 * @returns The gRPC code to report.
 */
export function codeFromHttpStatus(status: number): Code {
  switch (status) {
    case 400:
      return Code.INTERNAL;
    case 401:
      return Code.UNAUTHENTICATED;
    case 403:
      return Code.PERMISSION_DENIED;
    case 404:
      return Code.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return Code.UNAVAILABLE;
    default:
      return Code.UNKNOWN;
  }
}

/**
 * The gRPC code for a stream reset with an HTTP/2 error code, per grpc
 * doc/PROTOCOL-HTTP2.md "Errors": REFUSED_STREAM (7) is UNAVAILABLE (safe to
 * retry), CANCEL (8) is CANCELLED, ENHANCE_YOUR_CALM (0xb) is
 * RESOURCE_EXHAUSTED, INADEQUATE_SECURITY (0xc) is PERMISSION_DENIED, and
 * every other code, including unknown ones, is INTERNAL.
 *
 * @param errorCode The RST_STREAM or GOAWAY error code (RFC 9113 §7).
 * @returns The gRPC code to report.
 */
export function codeFromResetCode(errorCode: number): Code {
  switch (errorCode) {
    case 0x7:
      return Code.UNAVAILABLE;
    case 0x8:
      return Code.CANCELLED;
    case 0xb:
      return Code.RESOURCE_EXHAUSTED;
    case 0xc:
      return Code.PERMISSION_DENIED;
    default:
      return Code.INTERNAL;
  }
}
