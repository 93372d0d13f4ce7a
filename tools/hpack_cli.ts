/**
 * `deno task hpack decode|encode`: the project's HPACK codec behind the JSON
 * contract of /work/shared/notes/hpack-cli.md (in the spirit of nghttp2's
 * inflatehd/deflatehd), so independent HPACK implementations can be compared
 * with ours block by block.
 *
 * One JSON document comes in on stdin and one goes out on stdout; the exit
 * status is always 0, and per-block failures are reported in the output as
 * `{"error": "..."}`. Each input connection gets a fresh decoder or encoder.
 * Needs no permissions; with `--allow-env=HPACK_TIMING` and `HPACK_TIMING`
 * set, it also prints `HPACK_TIMING codec_s=<seconds>` on stderr, the time
 * spent inside the codec calls.
 *
 * @module
 */

import {
  type HeaderField,
  HeaderListTooLargeError,
  HpackDecoder,
  HpackEncoder,
} from "../core/hpack/mod.ts";

/** An octet string in the contract: UTF-8 text, or `{"hex": "..."}`. */
export type OctetString = string | { readonly hex: string };

/** The largest table the encoder uses, whatever the decoder allows. */
const ENCODER_TABLE_CAP = 65536;

const utf8Encoder = new TextEncoder();

function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new SyntaxError(`Invalid hex string of length ${hex.length}`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function bytesToHex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
  return s;
}

function bytesToByteString(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let at = 0; at < bytes.length; at += 4096) {
    parts.push(
      String.fromCharCode.apply(null, bytes.subarray(at, at + 4096) as unknown as number[]),
    );
  }
  return parts.join("");
}

/** Converts a contract octet string to a byte string. */
function toByteString(value: unknown): string {
  if (typeof value === "string") {
    // Plain ASCII is already its own byte string; other text goes through UTF-8.
    // deno-lint-ignore no-control-regex
    return /^[\x00-\x7f]*$/.test(value) ? value : bytesToByteString(utf8Encoder.encode(value));
  }
  if (
    typeof value === "object" && value !== null &&
    typeof (value as { hex?: unknown }).hex === "string"
  ) {
    return bytesToByteString(hexToBytes((value as { hex: string }).hex));
  }
  throw new TypeError(`Invalid octet string: ${JSON.stringify(value)}`);
}

/** Converts a byte string to a contract octet string: text when ASCII, else hex. */
function fromByteString(s: string): OctetString {
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  let hex = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    hex += (c < 16 ? "0" : "") + c.toString(16);
  }
  return { hex };
}

function message(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

interface Timer {
  seconds: number;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? value as Record<string, unknown> : {};
}

function tableSize(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : undefined;
}

function decodeConnection(conn: Record<string, unknown>, timer: Timer): unknown[] {
  const limit = tableSize(conn.max_header_list_size);
  const decoder = new HpackDecoder(limit === undefined ? {} : { maxHeaderListSize: limit });
  const initial = tableSize(conn.header_table_size);
  if (initial !== undefined) decoder.setMaxAllowedTableSize(initial);
  const out: unknown[] = [];
  let failed: string | undefined;
  for (const item of asArray(conn.blocks)) {
    if (failed !== undefined) {
      // The context is unusable after a compression error.
      out.push({ error: failed });
      continue;
    }
    const block = asRecord(item);
    try {
      const size = tableSize(block.header_table_size);
      if (size !== undefined) decoder.setMaxAllowedTableSize(size);
      if (typeof block.wire !== "string") throw new TypeError("Missing wire");
      const wire = hexToBytes(block.wire);
      const start = performance.now();
      let fields: HeaderField[];
      try {
        fields = decoder.decode(wire);
      } finally {
        timer.seconds += (performance.now() - start) / 1000;
      }
      const sensitive: number[] = [];
      const headers = fields.map((f, i) => {
        if (f.sensitive === true) sensitive.push(i);
        return [fromByteString(f.name), fromByteString(f.value)];
      });
      out.push({ headers, sensitive });
    } catch (e) {
      out.push({ error: message(e) });
      // A too-large list left the decoder in sync; anything else did not.
      if (!(e instanceof HeaderListTooLargeError)) failed = message(e);
    }
  }
  return out;
}

function encodeConnection(conn: Record<string, unknown>, timer: Timer): unknown[] {
  const encoder = new HpackEncoder({ maxTableSize: ENCODER_TABLE_CAP });
  const initial = tableSize(conn.header_table_size);
  if (initial !== undefined) encoder.setPeerMaxTableSize(initial);
  const out: unknown[] = [];
  let failed: string | undefined;
  for (const item of asArray(conn.blocks)) {
    if (failed !== undefined) {
      out.push({ error: failed });
      continue;
    }
    const block = asRecord(item);
    try {
      const size = tableSize(block.header_table_size);
      if (size !== undefined) encoder.setPeerMaxTableSize(size);
      const sensitive = new Set(asArray(block.sensitive));
      const fields: HeaderField[] = asArray(block.headers).map((pair, i) => {
        const [name, value] = asArray(pair);
        return sensitive.has(i)
          ? { name: toByteString(name), value: toByteString(value), sensitive: true }
          : { name: toByteString(name), value: toByteString(value) };
      });
      const start = performance.now();
      let wire: Uint8Array;
      try {
        wire = encoder.encodeToBytes(fields);
      } finally {
        timer.seconds += (performance.now() - start) / 1000;
      }
      out.push({ wire: bytesToHex(wire) });
    } catch (e) {
      // Bad input is caught before the encoder changes state, but stay
      // conservative: the peer would not know what we skipped.
      failed = message(e);
      out.push({ error: failed });
    }
  }
  return out;
}

/**
 * Runs one CLI request: `decode` or `encode` every connection of `doc`.
 *
 * @param doc The parsed input document.
 * @param mode `"decode"` or `"encode"`.
 * @returns The output document and the seconds spent inside the codec.
 */
export function runHpackCli(
  doc: unknown,
  mode: "decode" | "encode",
): { output: unknown; codecSeconds: number } {
  const timer: Timer = { seconds: 0 };
  const connections = asArray(asRecord(doc).connections).map((c) => ({
    blocks: mode === "decode"
      ? decodeConnection(asRecord(c), timer)
      : encodeConnection(asRecord(c), timer),
  }));
  return { output: { connections }, codecSeconds: timer.seconds };
}

function timingWanted(): boolean {
  // Query first: without the permission this must not prompt or throw.
  try {
    const state = Deno.permissions.querySync({ name: "env", variable: "HPACK_TIMING" }).state;
    return state === "granted" && (Deno.env.get("HPACK_TIMING") ?? "") !== "";
  } catch {
    return false;
  }
}

function writeAll(stream: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) at += stream.writeSync(bytes.subarray(at));
}

async function main(): Promise<void> {
  const mode = Deno.args[Deno.args.length - 1];
  let output: unknown;
  let codecSeconds = 0;
  try {
    if (mode !== "decode" && mode !== "encode") {
      throw new TypeError(`Expected "decode" or "encode" as the last argument, got "${mode}"`);
    }
    const doc = JSON.parse(await new Response(Deno.stdin.readable).text());
    ({ output, codecSeconds } = runHpackCli(doc, mode));
  } catch (e) {
    output = { error: message(e) };
  }
  writeAll(Deno.stdout, utf8Encoder.encode(JSON.stringify(output) + "\n"));
  if (timingWanted()) {
    writeAll(Deno.stderr, utf8Encoder.encode(`HPACK_TIMING codec_s=${codecSeconds.toFixed(6)}\n`));
  }
}

if (import.meta.main) await main();
