/**
 * Header helpers shared by the server and the client (private).
 *
 * @module
 */

import { decodeBase64, encodeBase64Unpadded } from "./_base64.ts";
import { Code, parseStatusCode } from "./code.ts";
import type { Field, Fields } from "./exchange.ts";
import { decodeGrpcMessage, encodeGrpcMessage } from "./grpc_message.ts";
import { Metadata } from "./metadata.ts";
import { decodeStatusDetails, encodeStatusDetails } from "./status_details.ts";
import { RpcError } from "./status.ts";

/** The content type we send. */
export const CONTENT_TYPE = "application/grpc";

/** The first value of a header (names are lower case). */
export function header(fields: Fields, name: string): string | undefined {
  for (let i = 0; i < fields.length; i++) if (fields[i].name === name) return fields[i].value;
  return undefined;
}

/**
 * Whether a content type is gRPC with the protobuf codec: `application/grpc`,
 * `application/grpc+proto`, optionally with parameters (grpc doc/PROTOCOL-HTTP2.md).
 */
export function isGrpcProtoContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  // What clients send, compared as is before the general parse.
  if (value === "application/grpc" || value === "application/grpc+proto") return true;
  const v = value.toLowerCase();
  const semi = v.indexOf(";");
  const base = (semi < 0 ? v : v.slice(0, semi)).trim();
  return base === "application/grpc" || base === "application/grpc+proto";
}

/** Whether a content type is any gRPC variant (`application/grpc...`). */
export function isGrpcContentType(value: string | undefined): boolean {
  return value !== undefined &&
    (value.startsWith("application/grpc") || value.toLowerCase().startsWith("application/grpc"));
}

/** Appends `grpc-status`, `grpc-message`, `grpc-status-details-bin` and trailing metadata. */
export function writeStatus(
  out: Field[],
  code: Code,
  message: string,
  error: RpcError | undefined,
  trailers: Metadata,
): void {
  out.push({ name: "grpc-status", value: String(code) });
  if (message !== "") out.push({ name: "grpc-message", value: encodeGrpcMessage(message) });
  if (error !== undefined && error.details.length > 0) {
    out.push({
      name: "grpc-status-details-bin",
      value: encodeBase64Unpadded(encodeStatusDetails(code, message, error.details)),
    });
  }
  trailers.writeTo(out);
}

/**
 * Reads the status from trailers (or Trailers-Only headers). Returns undefined
 * for OK, the RpcError otherwise; a missing `grpc-status` is a broken response
 * and reported as `missingCode`.
 */
export function readStatus(
  fields: Fields,
  missingCode: Code = Code.INTERNAL,
): RpcError | undefined {
  const raw = header(fields, "grpc-status");
  const metadata = Metadata.fromHeaders(fields);
  if (raw === undefined) {
    return new RpcError({
      code: missingCode,
      message: "Response ended without a grpc-status",
      metadata,
    });
  }
  const code = parseStatusCode(raw);
  if (code === Code.OK) return undefined;
  const msg = header(fields, "grpc-message");
  const message = msg === undefined ? "" : decodeGrpcMessage(msg);
  const detailsRaw = header(fields, "grpc-status-details-bin");
  let details: RpcError["details"] = [];
  if (detailsRaw !== undefined) {
    const bytes = decodeBase64(detailsRaw);
    const status = bytes === undefined ? undefined : decodeStatusDetails(bytes);
    if (status !== undefined) details = status.details;
  }
  return new RpcError({ code, message, metadata, details });
}
