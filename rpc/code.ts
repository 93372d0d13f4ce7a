/**
 * The gRPC status codes.
 *
 * @module
 */

/**
 * The 17 gRPC status codes (grpc doc/statuscodes.md). gRPC has no user-defined
 * codes, so this is a closed set; a number outside 0..16 received from a peer
 * is mapped to {@link Code.UNKNOWN} by {@link codeFromNumber}.
 */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** A gRPC status code value (0..16). */
export type Code = (typeof Code)[keyof typeof Code];

const NAMES: readonly string[] = Object.keys(Code);

/**
 * The canonical upper-case name of a code, e.g. `"DEADLINE_EXCEEDED"`.
 *
 * @param code A status code.
 * @returns Its name, or `"UNKNOWN"` for a value outside the set.
 */
export function codeName(code: number): string {
  return NAMES[code] ?? "UNKNOWN";
}

/**
 * Converts a number received on the wire to a {@link Code}.
 *
 * @param n The integer (e.g. parsed from `grpc-status`).
 * @returns The code, or `Code.UNKNOWN` for anything outside 0..16.
 */
export function codeFromNumber(n: number): Code {
  return Number.isInteger(n) && n >= 0 && n <= 16 ? (n as Code) : Code.UNKNOWN;
}

/**
 * Parses a `grpc-status` header value: a decimal integer without sign or
 * spaces. Anything else means the peer is broken and is reported as UNKNOWN
 * (as grpc-go and grpc-js do).
 *
 * @param value The byte-string header value.
 * @returns The status code.
 */
export function parseStatusCode(value: string): Code {
  if (value.length === 0 || value.length > 10 || !/^[0-9]+$/.test(value)) return Code.UNKNOWN;
  return codeFromNumber(Number(value));
}
