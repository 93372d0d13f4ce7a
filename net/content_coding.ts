/**
 * HTTP content-coding negotiation, pure and without I/O: parse `accept-encoding` (RFC 9110
 * §12.5.3), pick `br`, `gzip` or `identity` for a response, and decide whether a response is
 * worth compressing. The net/ server and client call these; compression itself lives in
 * `brotli/` and the runtime's gzip.
 *
 * @module
 */

/** One member of an `accept-encoding` field: a coding (lower case, or `"*"`) and its weight. */
export interface AcceptedCoding {
  /** Content-coding token in lower case, `"identity"`, or `"*"` for any other coding. */
  readonly coding: string;
  /** The weight, 0 (not acceptable) to 1 (RFC 9110 §12.4.2). */
  readonly q: number;
}

// RFC 9110 §5.6.2 token characters.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
const QVALUE = /^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$/;

/** Hostile peers send huge fields; members past this many are ignored. */
const MAX_MEMBERS = 64;

/**
 * Parses an `accept-encoding` field value (RFC 9110 §12.5.3).
 *
 * Codings are lower-cased (they are case-insensitive) and `x-gzip` becomes `gzip` (RFC 9110
 * §8.4.1.3). Malformed members (bad token, bad or repeated `q`) are skipped rather than failing
 * the whole field, and at most 64 members are read. Several field lines can be passed as an
 * array; they are combined as a comma-separated list.
 *
 * @example
 * ```ts
 * import { parseAcceptEncoding } from "./content_coding.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseAcceptEncoding("BR;q=0.9, gzip, *;q=0"), [
 *   { coding: "br", q: 0.9 },
 *   { coding: "gzip", q: 1 },
 *   { coding: "*", q: 0 },
 * ]);
 * ```
 *
 * @param value The field value(s); `undefined`/`null` when the request has no such field.
 * @returns The members in order, or `undefined` when the field is absent.
 */
export function parseAcceptEncoding(
  value: string | readonly string[] | null | undefined,
): AcceptedCoding[] | undefined {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === "string" ? value : value.join(",");
  const out: AcceptedCoding[] = [];
  for (const member of text.split(",")) {
    if (out.length >= MAX_MEMBERS) break;
    const parts = member.split(";");
    const coding = parts[0].trim().toLowerCase();
    if (coding === "") continue; // empty list elements are allowed (RFC 9110 §5.6.1)
    if (!TOKEN.test(coding)) continue;
    let q = 1;
    let valid = true;
    let sawQ = false;
    for (let i = 1; i < parts.length; i++) {
      const param = parts[i].trim();
      const eq = param.indexOf("=");
      const name = (eq < 0 ? param : param.slice(0, eq)).trim().toLowerCase();
      if (name !== "q" || sawQ) {
        valid = false;
        break;
      }
      const raw = param.slice(eq + 1).trim();
      if (eq < 0 || !QVALUE.test(raw)) {
        valid = false;
        break;
      }
      q = Number(raw);
      sawQ = true;
    }
    if (!valid) continue;
    out.push({ coding: coding === "x-gzip" ? "gzip" : coding, q });
  }
  return out;
}

/**
 * The weight a parsed field gives one coding, following RFC 9110 §12.5.3: an explicit entry
 * wins, then `*`. For `"identity"` without an entry the result is a small positive weight
 * (acceptable, but after any coding the client listed) unless `*;q=0` excludes it.
 *
 * @param accepted The parsed field, or `undefined` when the request had none.
 * @param coding A lower-case coding or `"identity"`.
 * @returns The weight, 0 meaning not acceptable.
 */
export function codingWeight(accepted: readonly AcceptedCoding[] | undefined, coding: string) {
  const identity = coding === "identity";
  // No field: the client takes anything, but compressing for a client that did not ask is
  // what real servers avoid, so only identity is offered (RFC 9110 §12.5.3 allows both).
  if (accepted === undefined) return identity ? 1 : 0;
  let star: number | undefined;
  let exact: number | undefined;
  for (const a of accepted) {
    // With duplicates, the highest weight given wins; clients never mean otherwise.
    if (a.coding === coding) exact = Math.max(exact ?? 0, a.q);
    else if (a.coding === "*") star = Math.max(star ?? 0, a.q);
  }
  if (exact !== undefined) return exact;
  if (identity) return star === 0 ? 0 : IDENTITY_DEFAULT_WEIGHT;
  return star ?? 0;
}

/** Below every weight a client can write (0.001), so listed codings are preferred. */
const IDENTITY_DEFAULT_WEIGHT = 0.0005;

/** The codings h2kit can produce, in default server preference order. */
export const SUPPORTED_CODINGS: readonly string[] = ["br", "gzip"];

/**
 * Chooses the content coding for a response (RFC 9110 §12.5.3): the acceptable coding with the
 * highest weight, ties going to the server's order in `supported`, then `identity`.
 *
 * @example
 * ```ts
 * import { negotiateContentCoding } from "./content_coding.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(negotiateContentCoding("gzip, deflate, br"), "br");
 * assert.equal(negotiateContentCoding("br;q=0.5, gzip"), "gzip");
 * assert.equal(negotiateContentCoding("identity;q=0, *;q=0"), undefined);
 * ```
 *
 * @param acceptEncoding The request's `accept-encoding` value(s), or a parsed list.
 * @param supported Codings the server can produce, most preferred first.
 * @returns The chosen coding (`"identity"` for none), or `undefined` when even identity is
 *   refused; the server then answers 406 or sends identity anyway (RFC 9110 §12.5.3).
 */
export function negotiateContentCoding(
  acceptEncoding: string | readonly string[] | readonly AcceptedCoding[] | null | undefined,
  supported: readonly string[] = SUPPORTED_CODINGS,
): string | undefined {
  const accepted = isParsed(acceptEncoding) ? acceptEncoding : parseAcceptEncoding(acceptEncoding);
  let best: string | undefined;
  let bestQ = 0;
  for (const coding of supported) {
    const q = codingWeight(accepted, coding.toLowerCase());
    if (q > bestQ) {
      best = coding.toLowerCase();
      bestQ = q;
    }
  }
  const identityQ = codingWeight(accepted, "identity");
  if (identityQ > bestQ) return "identity";
  return best;
}

function isParsed(
  v: string | readonly string[] | readonly AcceptedCoding[] | null | undefined,
): v is readonly AcceptedCoding[] {
  return Array.isArray(v) && v.length > 0 && typeof v[0] === "object";
}

/** Options of {@link isCompressible} and {@link chooseResponseCoding}. */
export interface CompressibleOptions {
  /**
   * Bodies smaller than this many bytes are sent as they are: framing and coding overhead eat
   * the gain. Default 1024 (connect-es uses 1 KiB too).
   */
  readonly minSize?: number;
}

/** The default {@link CompressibleOptions.minSize}. */
export const DEFAULT_MIN_COMPRESS_SIZE = 1024;

const COMPRESSIBLE_EXACT = new Set([
  "application/json",
  "application/javascript",
  "application/ecmascript",
  "application/xml",
  "application/xhtml+xml",
  "application/x-ndjson",
  "application/x-www-form-urlencoded",
  "application/graphql",
  "application/wasm",
  "application/yaml",
  "application/toml",
  "application/x-sh",
  "application/x-protobuf",
  "application/vnd.ms-fontobject",
  "image/svg+xml",
  "image/bmp",
  "image/x-icon",
  "image/vnd.microsoft.icon",
  "font/ttf",
  "font/otf",
  "font/collection",
]);

/**
 * Whether a body of this media type and size is worth compressing. Text, JSON, XML, JavaScript,
 * SVG, Wasm and uncompressed fonts are; images, audio, video, archives, WOFF fonts,
 * `application/octet-stream` (unknown) and `application/grpc` (gRPC compresses per message) are
 * not.
 *
 * @param contentType The `content-type` value (parameters are ignored), if any.
 * @param size The body length in bytes, or `undefined` when unknown (a stream).
 * @param options The size threshold.
 * @returns True when the response should be compressed if the client accepts it.
 */
export function isCompressible(
  contentType: string | null | undefined,
  size?: number,
  options: CompressibleOptions = {},
): boolean {
  if (contentType === undefined || contentType === null) return false;
  const minSize = options.minSize ?? DEFAULT_MIN_COMPRESS_SIZE;
  if (size !== undefined && size < minSize) return false;
  const semi = contentType.indexOf(";");
  const type = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  const slash = type.indexOf("/");
  if (slash <= 0 || slash === type.length - 1) return false;
  if (type.startsWith("text/")) return true;
  if (COMPRESSIBLE_EXACT.has(type)) return true;
  // Structured syntax suffixes (RFC 6839): application/problem+json, application/atom+xml...
  return type.endsWith("+json") || type.endsWith("+xml") || type.endsWith("+yaml");
}

/** What the server knows about a response when deciding its coding. */
export interface ResponseInfo {
  /** The `content-type` value. */
  readonly contentType?: string | null;
  /** The body length, if known. */
  readonly contentLength?: number;
  /** An existing `content-encoding`: such a body is never encoded again. */
  readonly contentEncoding?: string | null;
  /** The `cache-control` value: `no-transform` forbids changing the coding (RFC 9111 §5.2.2.6). */
  readonly cacheControl?: string | null;
  /** The status: 1xx, 204 and 304 responses have no body to encode. */
  readonly status?: number;
}

/** The outcome of {@link chooseResponseCoding}. */
export interface CodingDecision {
  /** The coding to apply: `"br"`, `"gzip"`, or `"identity"` to send the body as it is. */
  readonly coding: string;
  /**
   * Add `vary: accept-encoding`: the choice depended on the request's field, so caches must key
   * on it (RFC 9110 §12.5.5). True for every compressible response, even when sent as identity.
   */
  readonly vary: boolean;
}

/**
 * Decides how a server encodes a response body: negotiates with the request's
 * `accept-encoding` when the response is compressible, and says whether to add `vary`.
 *
 * @example
 * ```ts
 * import { chooseResponseCoding } from "./content_coding.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   chooseResponseCoding("gzip, br", { contentType: "application/json", contentLength: 5000 }),
 *   { coding: "br", vary: true },
 * );
 * assert.deepEqual(
 *   chooseResponseCoding("br", { contentType: "image/png", contentLength: 5000 }),
 *   { coding: "identity", vary: false },
 * );
 * ```
 *
 * @param acceptEncoding The request's `accept-encoding` value(s).
 * @param response What is known about the response.
 * @param options The size threshold and the server's codings (default `["br", "gzip"]`).
 * @returns The coding and whether to add `vary: accept-encoding`.
 */
export function chooseResponseCoding(
  acceptEncoding: string | readonly string[] | null | undefined,
  response: ResponseInfo,
  options: CompressibleOptions & { readonly supported?: readonly string[] } = {},
): CodingDecision {
  const status = response.status ?? 200;
  const hasBody = status >= 200 && status !== 204 && status !== 304;
  const encoded = response.contentEncoding !== undefined && response.contentEncoding !== null &&
    response.contentEncoding.trim() !== "" &&
    response.contentEncoding.trim().toLowerCase() !== "identity";
  const noTransform = response.cacheControl !== undefined && response.cacheControl !== null &&
    /(?:^|,)\s*no-transform\s*(?:,|$)/i.test(response.cacheControl);
  if (
    !hasBody || encoded || noTransform ||
    !isCompressible(response.contentType, response.contentLength, options)
  ) {
    return { coding: "identity", vary: false };
  }
  const coding = negotiateContentCoding(acceptEncoding, options.supported ?? SUPPORTED_CODINGS);
  // A client that refuses even identity still gets a body it can be told about: send identity
  // and let the server decide on 406 by checking negotiateContentCoding itself.
  return { coding: coding ?? "identity", vary: true };
}

/**
 * The `accept-encoding` value a client sends for the codings it can decode.
 *
 * @param codings Codings in preference order; default `["br", "gzip"]`.
 * @returns e.g. `"br, gzip"`.
 */
export function formatAcceptEncoding(codings: readonly string[] = SUPPORTED_CODINGS): string {
  return codings.join(", ");
}
