/**
 * The RFC 7540 priority fields carried by HEADERS (with the PRIORITY flag) and
 * PRIORITY frames: exclusive bit, stream dependency and weight
 * (RFC 9113 §5.3.2, §6.2, §6.3).
 *
 * @module
 */

import type { ByteWriter } from "../byte_writer.ts";

/**
 * A stream's RFC 7540 priority. `weight` is the real weight 1..256; the wire
 * carries `weight - 1` (RFC 9113 §6.3). `dependency` is a 31-bit stream id.
 */
export interface PrioritySpec {
  /** The stream this one depends on; 0 for the root. */
  readonly dependency: number;
  /** Whether the dependency is exclusive. */
  readonly exclusive: boolean;
  /** Weight 1..256 (the wire octet plus one). */
  readonly weight: number;
}

/** Octets a priority block takes on the wire. */
export const PRIORITY_SPEC_LENGTH = 5;

/**
 * Reads the 5-octet priority block at `at` (RFC 9113 §6.3).
 *
 * @param b The payload.
 * @param at Offset of the block.
 * @returns The decoded priority.
 */
export function readPrioritySpec(b: Uint8Array, at: number): PrioritySpec {
  const hi = b[at];
  return {
    dependency: (((hi & 0x7f) << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0,
    exclusive: (hi & 0x80) !== 0,
    weight: b[at + 4] + 1,
  };
}

/**
 * Appends the 5-octet priority block (RFC 9113 §6.3). The caller has validated
 * the spec (see `encodeFrame`).
 *
 * @param out Destination.
 * @param spec The priority to write.
 */
export function writePrioritySpec(out: ByteWriter, spec: PrioritySpec): void {
  const at = out.reserve(PRIORITY_SPEC_LENGTH);
  const b = out.buffer;
  const dep = spec.dependency;
  b[at] = ((dep >>> 24) & 0x7f) | (spec.exclusive ? 0x80 : 0);
  b[at + 1] = dep >>> 16;
  b[at + 2] = dep >>> 8;
  b[at + 3] = dep;
  b[at + 4] = spec.weight - 1;
}
