/**
 * `grpc-status-details-bin`: the binary `google.rpc.Status` trailer that
 * carries rich error details (grpc doc/PROTOCOL-HTTP2.md, google/rpc/status.proto).
 *
 * @module
 */

import type { Code } from "./code.ts";
import { STATUS_PROTO } from "./_protos.ts";
import { parseProto } from "./service.ts";
import type { StatusDetail } from "./status.ts";

const ANY_PROTO = `syntax = "proto3";
package google.protobuf;
message Any {
  string type_url = 1;
  bytes value = 2;
}`;

const StatusType = parseProto(ANY_PROTO, STATUS_PROTO).lookupType("google.rpc.Status");

/** A decoded `google.rpc.Status`. */
export interface StatusProto {
  /** The status code (should equal `grpc-status`). */
  readonly code: number;
  /** The developer-facing message. */
  readonly message: string;
  /** Packed detail messages. */
  readonly details: readonly StatusDetail[];
}

/**
 * Encodes a `google.rpc.Status` for `grpc-status-details-bin`.
 *
 * @param code The status code.
 * @param message The message.
 * @param details Packed details.
 * @returns The protobuf bytes (base64 them for the header).
 */
export function encodeStatusDetails(
  code: Code,
  message: string,
  details: readonly StatusDetail[],
): Uint8Array {
  return StatusType.encode({
    code,
    message,
    details: details.map((d) => ({ type_url: d.typeUrl, value: d.value })),
  }).finish() as Uint8Array;
}

/**
 * Decodes a `google.rpc.Status`.
 *
 * @param bytes The protobuf bytes.
 * @returns The status, or undefined when the bytes are not a valid Status
 * (a broken details trailer must not hide the real status).
 */
export function decodeStatusDetails(bytes: Uint8Array): StatusProto | undefined {
  try {
    const o = StatusType.toObject(StatusType.decode(bytes), { defaults: true }) as {
      code: number;
      message: string;
      details: Array<{ type_url: string; value: Uint8Array }>;
    };
    return {
      code: o.code,
      message: o.message,
      details: o.details.map((d) => ({ typeUrl: d.type_url, value: new Uint8Array(d.value) })),
    };
  } catch {
    return undefined;
  }
}
