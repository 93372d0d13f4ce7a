/**
 * Base64 for `-bin` metadata (private).
 *
 * @module
 */

/**
 * Encodes bytes as standard base64 without padding, the form gRPC emits for
 * `-bin` metadata (grpc doc/PROTOCOL-HTTP2.md: "Implementations MUST accept
 * padded and un-padded values and should emit un-padded values").
 */
export function encodeBase64Unpadded(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  const b = btoa(s);
  let end = b.length;
  while (end > 0 && b.charCodeAt(end - 1) === 0x3d) end--;
  return b.slice(0, end);
}

/** Decodes padded or unpadded standard base64; returns undefined for malformed input. */
export function decodeBase64(value: string): Uint8Array | undefined {
  // atob is forgiving about padding but also strips ASCII whitespace; a header value
  // with whitespace inside is malformed for us, so reject it first.
  if (/[^A-Za-z0-9+/=]/.test(value)) return undefined;
  let text = value;
  const rem = text.replace(/=+$/, "").length % 4;
  if (rem === 1) return undefined;
  if (!text.endsWith("=") && rem !== 0) text += rem === 2 ? "==" : "=";
  let raw: string;
  try {
    raw = atob(text);
  } catch {
    return undefined;
  }
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}
