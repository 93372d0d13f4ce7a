/**
 * Telling apart what a cleartext client sent first: the HTTP/2 preface (h2c
 * with prior knowledge, RFC 9113 §3.3) or an HTTP/1.1 request head, which may
 * ask to upgrade to h2c (RFC 7540 §3.2; deprecated by RFC 9113 §3.1 but still
 * what `curl --http2 http://...` and `nghttp -u` send).
 *
 * @module
 */

const PREFACE = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
/** Largest HTTP/1.1 request head we read before refusing (431-style). */
const MAX_HEAD = 16 * 1024;

/** What the client opened with. */
export type Opening =
  | { readonly kind: "h2"; readonly bytes: Uint8Array }
  | { readonly kind: "h1"; readonly head: Http1Head; readonly rest: Uint8Array }
  | { readonly kind: "invalid"; readonly reason: string };

/** A parsed HTTP/1.1 request head. */
export interface Http1Head {
  readonly method: string;
  readonly target: string;
  readonly version: string;
  /** Field names lowercased, values trimmed, in order. */
  readonly fields: ReadonlyArray<readonly [string, string]>;
}

/**
 * Reads from `conn` until the opening is known: the 24-octet HTTP/2 preface, or an HTTP/1.1
 * head up to its blank line (at most 16 KiB).
 *
 * @param conn The accepted cleartext connection.
 * @returns The opening and every byte read after it.
 */
export async function sniffOpening(
  conn: { read(p: Uint8Array): Promise<number | null> },
): Promise<Opening> {
  let buf = new Uint8Array(4096);
  let len = 0;
  for (;;) {
    if (len === buf.length) {
      if (buf.length >= MAX_HEAD) return { kind: "invalid", reason: "request head too large" };
      const next = new Uint8Array(buf.length * 2);
      next.set(buf);
      buf = next;
    }
    const n = await conn.read(buf.subarray(len));
    if (n === null) return { kind: "invalid", reason: "connection closed before a request" };
    len += n;
    const bytes = buf.subarray(0, len);
    if (matchesPrefix(bytes)) {
      if (len >= PREFACE.length) return { kind: "h2", bytes };
      continue;
    }
    const end = headEnd(bytes);
    if (end < 0) continue;
    const head = parseHead(new TextDecoder("latin1").decode(bytes.subarray(0, end)));
    if (head === undefined) return { kind: "invalid", reason: "malformed HTTP/1.1 request" };
    return { kind: "h1", head, rest: bytes.subarray(end + 4) };
  }
}

function matchesPrefix(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, PREFACE.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== PREFACE[i]) return false;
  return true;
}

function headEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}

function parseHead(text: string): Http1Head | undefined {
  const lines = text.split("\r\n");
  const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) (HTTP\/1\.[01])$/.exec(lines[0]);
  if (!m) return undefined;
  const fields: Array<readonly [string, string]> = [];
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(":");
    if (colon <= 0) return undefined;
    const name = lines[i].slice(0, colon);
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) return undefined;
    fields.push([name.toLowerCase(), lines[i].slice(colon + 1).trim()]);
  }
  return { method: m[1], target: m[2], version: m[3], fields };
}

/** Whether an HTTP/1.1 head asks for an h2c upgrade we can honour, and its HTTP2-Settings. */
export function upgradeSettings(head: Http1Head): string | undefined {
  let upgrade = false;
  let settings: string | undefined;
  let connection = "";
  let hasBody = false;
  for (const [name, value] of head.fields) {
    if (name === "upgrade") {
      upgrade = value.split(",").some((t) => t.trim().toLowerCase() === "h2c");
    } else if (name === "http2-settings") settings = settings === undefined ? value : "";
    else if (name === "connection") connection += `,${value.toLowerCase()}`;
    else if (name === "content-length") hasBody = value !== "0";
    else if (name === "transfer-encoding") hasBody = true;
  }
  const tokens = connection.split(",").map((t) => t.trim());
  // RFC 7540 §3.2.1: exactly one HTTP2-Settings, nominated in Connection. Requests with a body
  // are answered over HTTP/1.1 semantics we do not implement, so they are not upgraded.
  if (
    !upgrade || settings === undefined || settings === "" || hasBody ||
    !tokens.includes("upgrade") || !tokens.includes("http2-settings")
  ) {
    return undefined;
  }
  return settings;
}
