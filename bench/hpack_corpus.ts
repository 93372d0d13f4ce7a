/**
 * A deterministic, realistic HPACK corpus for benchmarks and differential
 * tests: browser-like request sequences (pseudo-headers, user agents, long
 * cookies, referers) and typical responses (dates, etags, content types,
 * occasional set-cookie), grouped into connections that share one HPACK
 * context each.
 *
 * @module
 */

import type { HeaderField } from "../core/hpack/mod.ts";
import { SeededRng } from "../tests/_support/seeded_rng.ts";

/** One connection's header blocks, in order, in one direction. */
export type Connection = HeaderField[][];

/** Request and response connections built from the same seed. */
export interface Corpus {
  readonly requests: Connection[];
  readonly responses: Connection[];
}

const USER_AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
  "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  "curl/8.5.0",
  "grpc-go/1.68.0",
];
const SITES = [
  "www.example.com",
  "static.example.net",
  "api.shop.example",
  "cdn.media.example.org",
];
const ACCEPTS = [
  "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
  "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
  "*/*",
  "application/json, text/plain, */*",
  "text/css,*/*;q=0.1",
];
const TYPES = [
  "text/html; charset=utf-8",
  "application/javascript",
  "text/css",
  "image/webp",
  "application/json",
  "image/png",
];
const DIRS = ["assets", "static/js", "img", "api/v2/items", "css", "fonts"];
const EXTS = [".js", ".css", ".png", ".webp", "", ".woff2", ".json"];

function word(
  rng: SeededRng,
  n: number,
  alphabet = "abcdefghijklmnopqrstuvwxyz0123456789",
): string {
  let s = "";
  for (let i = 0; i < n; i++) s += alphabet[rng.int(0, alphabet.length - 1)];
  return s;
}

function httpDate(t: number): string {
  const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const months = [
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
  ];
  const d = new Date(t * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${
    months[d.getUTCMonth()]
  } ${d.getUTCFullYear()} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} GMT`;
}

/**
 * Builds the corpus.
 *
 * @param seed PRNG seed; the same seed gives the same corpus.
 * @param connections Number of connections per direction.
 * @param blocks Header blocks per connection.
 * @returns Requests and responses.
 */
export function buildCorpus(seed = 1, connections = 16, blocks = 64): Corpus {
  const rng = new SeededRng(seed);
  const requests: Connection[] = [];
  const responses: Connection[] = [];
  let clock = 1_763_800_000;
  for (let c = 0; c < connections; c++) {
    const site = rng.pick(SITES);
    const ua = rng.pick(USER_AGENTS);
    const cookie =
      `_ga=GA1.2.${rng.int(1e8, 1e9)}.${rng.int(1e9, 2e9)}; session_id=${word(rng, 32)}; ` +
      `prefs=lang%3Den%26theme%3Ddark; csrftoken=${word(rng, 40)}`;
    const req: Connection = [];
    const res: Connection = [];
    for (let b = 0; b < blocks; b++) {
      clock += rng.int(0, 2);
      const path = b === 0
        ? "/"
        : `/${rng.pick(DIRS)}/${word(rng, rng.int(4, 16))}${rng.pick(EXTS)}` +
          (rng.chance(0.2) ? `?v=${word(rng, 8)}&page=${rng.int(1, 30)}` : "");
      const post = rng.chance(0.1);
      const r: HeaderField[] = [
        { name: ":method", value: post ? "POST" : "GET" },
        { name: ":authority", value: site },
        { name: ":scheme", value: "https" },
        { name: ":path", value: path },
        { name: "user-agent", value: ua },
        { name: "accept", value: rng.pick(ACCEPTS) },
        { name: "accept-encoding", value: "gzip, deflate, br, zstd" },
        { name: "accept-language", value: "en-US,en;q=0.9" },
      ];
      if (b > 0) r.push({ name: "referer", value: `https://${site}/` });
      if (rng.chance(0.4)) {
        r.push({
          name: "sec-fetch-dest",
          value: rng.pick(["document", "script", "image", "style"]),
        });
      }
      if (rng.chance(0.4)) {
        r.push({ name: "sec-fetch-mode", value: rng.pick(["navigate", "no-cors", "cors"]) });
      }
      if (post) {
        r.push({ name: "content-type", value: "application/json" });
        r.push({ name: "content-length", value: String(rng.int(10, 5000)) });
      }
      if (rng.chance(0.1)) r.push({ name: "if-none-match", value: `"${word(rng, 16)}"` });
      if (rng.chance(0.05)) r.push({ name: "authorization", value: `Bearer ${word(rng, 48)}` });
      r.push({ name: "cookie", value: cookie });
      req.push(r);

      const status = rng.chance(0.85) ? "200" : rng.pick(["304", "404", "301", "204"]);
      const s: HeaderField[] = [
        { name: ":status", value: status },
        { name: "date", value: httpDate(clock) },
        { name: "server", value: "nginx/1.25.3" },
        { name: "content-type", value: rng.pick(TYPES) },
        { name: "content-length", value: String(rng.int(0, 200_000)) },
        {
          name: "cache-control",
          value: rng.pick([
            "public, max-age=31536000, immutable",
            "no-cache",
            "private, max-age=0",
          ]),
        },
      ];
      if (rng.chance(0.6)) {
        s.push({ name: "etag", value: `W/"${word(rng, 12, "0123456789abcdef")}"` });
      }
      if (rng.chance(0.5)) {
        s.push({ name: "last-modified", value: httpDate(clock - rng.int(1000, 9_000_000)) });
      }
      if (rng.chance(0.5)) s.push({ name: "vary", value: "Accept-Encoding" });
      if (rng.chance(0.3)) s.push({ name: "content-encoding", value: "br" });
      if (rng.chance(0.2)) {
        s.push({
          name: "strict-transport-security",
          value: "max-age=63072000; includeSubDomains; preload",
        });
      }
      if (rng.chance(0.15)) {
        s.push({
          name: "set-cookie",
          value: `id=${word(rng, 24)}; Path=/; Secure; HttpOnly; SameSite=Lax`,
        });
      }
      if (rng.chance(0.3)) {
        s.push({ name: "x-request-id", value: word(rng, 32, "0123456789abcdef") });
      }
      if (rng.chance(0.2)) s.push({ name: "access-control-allow-origin", value: "*" });
      res.push(s);
    }
    requests.push(req);
    responses.push(res);
  }
  return { requests, responses };
}
