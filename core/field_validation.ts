/**
 * Validation of HTTP fields carried in HTTP/2 (RFC 9113 §8.2-8.3, RFC 8441 §4).
 *
 * The same rules check what the peer sent (a malformed message is a stream
 * error PROTOCOL_ERROR, §8.1.1) and what the application asks us to send (a
 * {@link UsageError}: we never put a malformed message on the wire).
 *
 * @module
 */

import type { HeaderField } from "./hpack/header_field.ts";

/** Which kind of field section is being checked; each allows different pseudo-headers. */
export const FieldSection = {
  /** Request headers (§8.3.1). */
  REQUEST: 0,
  /** A promised request in PUSH_PROMISE (§8.4): a request whose method is safe and cacheable. */
  PUSH_REQUEST: 1,
  /** Response headers, final or informational (§8.3.2). */
  RESPONSE: 2,
  /** Trailers: no pseudo-headers at all (§8.1). */
  TRAILERS: 3,
} as const;

/** One of the {@link FieldSection} values. */
export type FieldSection = typeof FieldSection[keyof typeof FieldSection];

/**
 * What validation learned about a field section, reused between calls so the
 * hot path does not allocate.
 */
export class FieldFacts {
  /** The declared content-length, or -1 when absent. */
  contentLength: number = -1;
  /** The response status, or 0 for requests and trailers. */
  status = 0;
  /** The request method, or `""` for responses and trailers. */
  method = "";
  /** Whether `:protocol` (extended CONNECT, RFC 8441) was present. */
  hasProtocol = false;

  /** Clears the facts before a new section. */
  reset(): void {
    this.contentLength = -1;
    this.status = 0;
    this.method = "";
    this.hasProtocol = false;
  }
}

// Valid octets of a regular field name (RFC 9113 §8.2.1): visible ASCII except uppercase and the
// colon (which may only start a pseudo-header). 1 = allowed.
const NAME_OK = new Uint8Array(256);
for (let c = 0x21; c < 0x7f; c++) NAME_OK[c] = c >= 0x41 && c <= 0x5a ? 0 : 1;
NAME_OK[0x3a] = 0;

const P_METHOD = 1;
const P_SCHEME = 2;
const P_AUTHORITY = 4;
const P_PATH = 8;
const P_PROTOCOL = 16;
const P_STATUS = 32;

// A field value with NUL, CR or LF anywhere, a code unit above 0xFF (not a byte string), or
// leading or trailing whitespace (RFC 9113 §8.2.1). A regex: V8 scans one-byte strings with it
// about twice as fast as a charCodeAt loop.
const BAD_VALUE = /[\0\n\r\u0100-\uffff]|^[ \t]|[ \t]$/;

// Field objects whose characters passed: a non-empty name that is a pseudo-header or has only
// NAME_OK octets, and a value that BAD_VALUE does not match. Only frozen objects whose `name` and
// `value` are data properties get in (they can never change), such as the static table's and the
// HPACK decoder's dynamic-table entries, which arrive again in every request that indexes them.
// Shared by all connections; weakly held, so an evicted entry is forgotten.
const validChars = new WeakSet<HeaderField>();

function isFrozenData(f: HeaderField): boolean {
  if (!Object.isFrozen(f)) return false;
  const name = Object.getOwnPropertyDescriptor(f, "name");
  const value = Object.getOwnPropertyDescriptor(f, "value");
  return name !== undefined && "value" in name && typeof name.value === "string" &&
    value !== undefined && "value" in value && typeof value.value === "string";
}

/** Checks the characters of one field's name and value; `undefined` when they are valid. */
function checkChars(name: string, value: string): string | undefined {
  const n = name.length;
  if (n === 0) return "Field name is empty";
  if (BAD_VALUE.test(value)) return `Field "${name}" has a value with forbidden characters`;
  if (name.charCodeAt(0) === 0x3a) return undefined; // pseudo-header names are matched exactly
  for (let j = 0; j < n; j++) {
    const c = name.charCodeAt(j);
    if (c > 0xff || NAME_OK[c] === 0) return `Field name "${name}" has a forbidden character`;
  }
  return undefined;
}

function parseContentLength(v: string): number {
  // RFC 9110 §8.6: 1*DIGIT. A list of identical values is tolerated (§8.6 allows recipients to
  // collapse them), anything else is malformed.
  const n = v.length;
  if (n === 0 || n > 15) return -2;
  let out = 0;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return -2;
    out = out * 10 + c;
  }
  return out;
}

/**
 * Checks a field section and records facts about it.
 *
 * @param fields The fields, in wire order.
 * @param section Which kind of section this is.
 * @param connectProtocol Whether `:protocol` is allowed (SETTINGS_ENABLE_CONNECT_PROTOCOL).
 * @param facts Receives content-length, status and method.
 * @returns `undefined` when valid, else a sentence-case reason.
 */
export function checkFieldSection(
  fields: readonly HeaderField[],
  section: FieldSection,
  connectProtocol: boolean,
  facts: FieldFacts,
): string | undefined {
  facts.reset();
  const isRequest = section <= FieldSection.PUSH_REQUEST;
  let seen = 0;
  let regular = false;
  let authority: string | undefined;
  let host: string | undefined;
  let scheme = "";
  let path = "";
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    const name = f.name;
    const value = f.value;
    const n = name.length;
    if (!validChars.has(f)) {
      const why = checkChars(name, value);
      if (why !== undefined) return why;
      if (isFrozenData(f)) validChars.add(f);
    }
    if (name.charCodeAt(0) === 0x3a) {
      if (regular) return `Pseudo-header "${name}" follows a regular field`;
      if (section === FieldSection.TRAILERS) return `Pseudo-header "${name}" appears in trailers`;
      let bit = 0;
      if (isRequest) {
        if (name === ":method") {
          bit = P_METHOD;
          facts.method = value;
        } else if (name === ":scheme") {
          bit = P_SCHEME;
          scheme = value;
        } else if (name === ":authority") {
          bit = P_AUTHORITY;
          authority = value;
        } else if (name === ":path") {
          bit = P_PATH;
          path = value;
        } else if (name === ":protocol" && connectProtocol) {
          bit = P_PROTOCOL;
          facts.hasProtocol = true;
        }
      } else if (name === ":status") {
        bit = P_STATUS;
        if (value.length !== 3) return `Pseudo-header ":status" is "${value}", not three digits`;
        const s = parseContentLength(value);
        if (s < 100) return `Pseudo-header ":status" is "${value}", not three digits`;
        facts.status = s;
      }
      if (bit === 0) return `Pseudo-header "${name}" is not allowed here`;
      if ((seen & bit) !== 0) return `Pseudo-header "${name}" is repeated`;
      seen |= bit;
      continue;
    }
    regular = true;
    switch (n) {
      case 2:
        if (name === "te" && value !== "trailers") {
          return `Field "te" is "${value}", not "trailers"`;
        }
        break;
      case 4:
        if (name === "host") {
          if (host !== undefined && host !== value) return `Field "host" is repeated`;
          host = value;
        }
        break;
      case 7:
        if (name === "upgrade") return `Connection-specific field "${name}" is not allowed`;
        break;
      case 10:
        if (name === "connection" || name === "keep-alive") {
          return `Connection-specific field "${name}" is not allowed`;
        }
        break;
      case 14:
        if (name === "content-length" && section !== FieldSection.TRAILERS) {
          const cl = parseContentLength(value);
          if (cl < 0) return `Field "content-length" is "${value}", not a number`;
          if (facts.contentLength >= 0 && facts.contentLength !== cl) {
            return `Field "content-length" is repeated with different values`;
          }
          facts.contentLength = cl;
        }
        break;
      case 16:
        if (name === "proxy-connection") {
          return `Connection-specific field "${name}" is not allowed`;
        }
        break;
      case 17:
        if (name === "transfer-encoding") {
          return `Connection-specific field "${name}" is not allowed`;
        }
        break;
    }
  }
  if (isRequest) {
    if ((seen & P_METHOD) === 0) return `Pseudo-header ":method" is missing`;
    const method = facts.method;
    if (method === "CONNECT") {
      if ((seen & P_PROTOCOL) !== 0) {
        // Extended CONNECT (RFC 8441 §4) carries a full target.
        if ((seen & (P_SCHEME | P_PATH | P_AUTHORITY)) !== (P_SCHEME | P_PATH | P_AUTHORITY)) {
          return `Extended CONNECT needs ":scheme", ":path" and ":authority"`;
        }
      } else {
        // Plain CONNECT (§8.5): only :method and :authority.
        if ((seen & (P_SCHEME | P_PATH)) !== 0) {
          return `CONNECT must not carry ":scheme" or ":path"`;
        }
        if ((seen & P_AUTHORITY) === 0) return `CONNECT needs ":authority"`;
      }
    } else {
      if ((seen & P_PROTOCOL) !== 0) return `Pseudo-header ":protocol" needs the CONNECT method`;
      if ((seen & (P_SCHEME | P_PATH)) !== (P_SCHEME | P_PATH)) {
        return `Request needs ":scheme" and ":path"`;
      }
      if (path.length === 0) return `Pseudo-header ":path" is empty`;
      if (
        (scheme === "http" || scheme === "https") && path.charCodeAt(0) !== 0x2f &&
        !(path === "*" && method === "OPTIONS")
      ) {
        return `Pseudo-header ":path" is "${path}", not an absolute path`;
      }
    }
    if (section === FieldSection.PUSH_REQUEST && method !== "GET" && method !== "HEAD") {
      return `Pushed request method "${method}" is not safe and cacheable`;
    }
    if (authority !== undefined && host !== undefined && authority !== host) {
      return `Field "host" differs from ":authority"`;
    }
  } else if (section === FieldSection.RESPONSE) {
    if ((seen & P_STATUS) === 0) return `Pseudo-header ":status" is missing`;
    if (facts.status === 101) return `Status 101 is not allowed in HTTP/2`;
  }
  return undefined;
}

/** What {@link checkFieldSectionOnce} remembers about a valid, immutable field section. */
interface ValidSection {
  readonly section: FieldSection;
  readonly connectProtocol: boolean;
  readonly contentLength: number;
  readonly status: number;
  readonly method: string;
  readonly hasProtocol: boolean;
}

// Field lists that passed validation and can never change. Keyed weakly, so a list the
// application drops is forgotten; shared by every connection (the result depends only on the
// list, the section and `connectProtocol`, which the entry records).
const validImmutable = new WeakMap<readonly HeaderField[], ValidSection>();

/**
 * Whether `fields` can never change: a frozen array whose elements are all data properties
 * holding frozen field objects whose `name` and `value` are data properties. Freezing cannot
 * be undone, so what holds now holds forever. (Accessor properties survive freezing and could
 * answer differently each time, so they are refused.)
 */
function isImmutable(fields: readonly HeaderField[]): boolean {
  if (!Object.isFrozen(fields)) return false;
  for (let i = 0; i < fields.length; i++) {
    const slot = Object.getOwnPropertyDescriptor(fields, i);
    if (slot === undefined || !("value" in slot)) return false;
    const f = slot.value as HeaderField;
    if (typeof f !== "object" || f === null || !isFrozenData(f)) return false;
  }
  return true;
}

/**
 * {@link checkFieldSection} for field lists sent again and again (an application's shared,
 * frozen response headers or trailers): a frozen list of frozen fields that passed once for
 * this `section` and `connectProtocol` is not checked again, and `facts` is filled from what
 * the first check found. Any other list is checked in full every time.
 *
 * @param fields The fields, in wire order.
 * @param section Which kind of section this is.
 * @param connectProtocol Whether `:protocol` is allowed (SETTINGS_ENABLE_CONNECT_PROTOCOL).
 * @param facts Receives content-length, status and method.
 * @returns `undefined` when valid, else a sentence-case reason.
 */
export function checkFieldSectionOnce(
  fields: readonly HeaderField[],
  section: FieldSection,
  connectProtocol: boolean,
  facts: FieldFacts,
): string | undefined {
  const known = validImmutable.get(fields);
  if (
    known !== undefined && known.section === section && known.connectProtocol === connectProtocol
  ) {
    facts.contentLength = known.contentLength;
    facts.status = known.status;
    facts.method = known.method;
    facts.hasProtocol = known.hasProtocol;
    return undefined;
  }
  const why = checkFieldSection(fields, section, connectProtocol, facts);
  if (why === undefined && isImmutable(fields)) {
    validImmutable.set(fields, {
      section,
      connectProtocol,
      contentLength: facts.contentLength,
      status: facts.status,
      method: facts.method,
      hasProtocol: facts.hasProtocol,
    });
  }
  return why;
}
