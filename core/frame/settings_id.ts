/**
 * SETTINGS parameter identifiers (RFC 9113 §6.5.2, RFC 8441 §3, RFC 9218 §2.1).
 *
 * Identifiers are plain numbers: RFC 9113 §6.5.2 requires unknown settings to
 * be ignored, so a `SettingsFrame` keeps every pair it receives, known or not.
 *
 * @module
 */

/** The registered SETTINGS identifiers. */
export const SettingId = {
  /** Maximum HPACK dynamic table size the sender's decoder allows (RFC 9113 §6.5.2). */
  HEADER_TABLE_SIZE: 0x1,
  /** 0 forbids server push towards the sender (RFC 9113 §6.5.2). */
  ENABLE_PUSH: 0x2,
  /** Maximum number of streams the sender lets its peer open (RFC 9113 §6.5.2). */
  MAX_CONCURRENT_STREAMS: 0x3,
  /** Initial stream-level flow-control window of the sender (RFC 9113 §6.5.2). */
  INITIAL_WINDOW_SIZE: 0x4,
  /** Largest frame payload the sender accepts, 16384..16777215 (RFC 9113 §6.5.2). */
  MAX_FRAME_SIZE: 0x5,
  /** Advisory maximum uncompressed field section size (RFC 9113 §6.5.2). */
  MAX_HEADER_LIST_SIZE: 0x6,
  /** 1 enables extended CONNECT with `:protocol` (RFC 8441 §3). */
  ENABLE_CONNECT_PROTOCOL: 0x8,
  /** 1 announces that RFC 7540 priority signals are not used (RFC 9218 §2.1). */
  NO_RFC7540_PRIORITIES: 0x9,
} as const;

/** A SETTINGS identifier: one of {@link SettingId} or any other 16-bit value. */
export type SettingId = number;

const names: Record<number, string> = {};
for (const [name, value] of Object.entries(SettingId)) names[value] = name;

/**
 * Returns the registered name of a setting, e.g. `"MAX_FRAME_SIZE"`, or
 * `UNKNOWN(0x…)`; for error messages and logs.
 *
 * @param id The setting identifier.
 * @returns A human-readable name.
 */
export function settingIdName(id: SettingId): string {
  return names[id] ?? `UNKNOWN(0x${id.toString(16)})`;
}
