/**
 * The header field as HPACK sees it: a name and a value, both byte strings.
 *
 * @module
 */

/**
 * One header (or trailer) field, as encoded by {@link HpackEncoder} and
 * returned by {@link HpackDecoder} (RFC 7541 §1.3).
 *
 * `name` and `value` are byte strings: every UTF-16 code unit is one octet
 * (0x00-0xFF), like the WHATWG `ByteString`, so ASCII headers are just the
 * string and any other octet survives unchanged. HPACK itself does no HTTP
 * validation: empty names, uppercase and control octets pass through.
 * Fields returned by the decoder may be shared with its tables and between
 * calls; treat them as immutable.
 */
export interface HeaderField {
  /** The field name, one code unit per octet. */
  readonly name: string;
  /** The field value, one code unit per octet. */
  readonly value: string;
  /**
   * Encode/decoded as a never-indexed literal (RFC 7541 §6.2.3), so that no
   * intermediary ever puts it in a compression table: use it for secrets.
   */
  readonly sensitive?: boolean;
}

/**
 * The size a field counts for in a dynamic table and in a header list: its
 * octets plus 32 (RFC 7541 §4.1, RFC 9113 §6.5.2 SETTINGS_MAX_HEADER_LIST_SIZE).
 *
 * @param name A byte string.
 * @param value A byte string.
 * @returns `name.length + value.length + 32`.
 */
export function fieldSize(name: string, value: string): number {
  return name.length + value.length + 32;
}
