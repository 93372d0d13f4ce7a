/**
 * Small byte helpers shared by the backends.
 *
 * @module
 */

/** Joins chunks into one array (no copy when there is exactly one). */
export function concatBytes(chunks: readonly Uint8Array[], total?: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  let size = total ?? 0;
  if (total === undefined) { for (const c of chunks) size += c.length; }
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/**
 * Turns a Node `Buffer` into a plain `Uint8Array` over its bytes. Small Buffers live in a shared
 * pool, so those are copied: a view would expose unrelated pool memory through `.buffer`.
 */
export function plainBytes(buf: Uint8Array): Uint8Array<ArrayBuffer> {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength) {
    return new Uint8Array(buf.buffer as ArrayBuffer, 0, buf.byteLength);
  }
  return new Uint8Array(buf);
}
