import assert from "node:assert/strict";
import { runHpackCli } from "../../tools/hpack_cli.ts";

const CLI = new URL("../../tools/hpack_cli.ts", import.meta.url).pathname;

interface CliResult {
  json: Record<string, unknown>;
  stderr: string;
  code: number;
}

/** Spawns the CLI exactly as the task does: `deno run tools/hpack_cli.ts <mode>`, no permissions. */
async function cli(
  mode: string,
  input: string,
  flags: string[] = [],
  env = {},
): Promise<CliResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...flags, CLI, mode],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const out = await child.output();
  return {
    json: JSON.parse(new TextDecoder().decode(out.stdout)),
    stderr: new TextDecoder().decode(out.stderr),
    code: out.code,
  };
}

type Blocks = { connections: { blocks: Record<string, unknown>[] }[] };

const REQUEST = {
  connections: [
    {
      header_table_size: 4096,
      huffman: true,
      blocks: [
        {
          headers: [
            [":method", "GET"],
            [":path", "/index.html"],
            ["x-bin", { hex: "ff00c3" }],
            ["", ""],
            ["authorization", "Basic c2VjcmV0"],
            ["x-secret", "s"],
            ["Upper\u0001", "caf\u00e9"],
          ],
          sensitive: [5],
        },
        { header_table_size: 256, headers: [["x-bin", { hex: "ff00c3" }], [":method", "GET"]] },
        { header_table_size: 0, headers: [["x-bin", { hex: "ff00c3" }]] },
        { header_table_size: 65536, headers: [["a", "b"], ["a", "b"], ["a", "b"]] },
      ],
    },
    { blocks: [{ headers: [] }] },
  ],
};

function octets(v: unknown): string {
  if (typeof v === "string") {
    return Array.from(new TextEncoder().encode(v), (b) => b.toString(16).padStart(2, "0")).join("");
  }
  return (v as { hex: string }).hex.toLowerCase();
}

Deno.test("hpack_cli round-trips encode then decode end to end without permissions", async () => {
  const encoded = await cli("encode", JSON.stringify(REQUEST));
  assert.equal(encoded.code, 0);
  const enc = encoded.json as unknown as Blocks;
  assert.equal(enc.connections.length, 2);
  assert.equal(enc.connections[0].blocks.length, 4);
  // Feed the wires back with the same table-size settings.
  const decodeInput = {
    connections: REQUEST.connections.map((c, i) => ({
      header_table_size: c.header_table_size,
      blocks: c.blocks.map((b, k) => ({
        header_table_size: (b as { header_table_size?: number }).header_table_size,
        wire: enc.connections[i].blocks[k].wire,
      })),
    })),
  };
  const decoded = await cli("decode", JSON.stringify(decodeInput));
  assert.equal(decoded.code, 0);
  const dec = decoded.json as unknown as Blocks;
  REQUEST.connections.forEach((c, i) => {
    c.blocks.forEach((b, k) => {
      const got = dec.connections[i].blocks[k] as { headers: unknown[][]; sensitive: number[] };
      assert.deepEqual(
        got.headers.map(([n, v]) => [octets(n), octets(v)]),
        b.headers.map(([n, v]) => [octets(n), octets(v)]),
        `connection ${i} block ${k}`,
      );
    });
  });
  const first = dec.connections[0].blocks[0] as { sensitive: number[] };
  assert.deepEqual(first.sensitive, [4, 5]); // authorization (automatic) and the marked field
  // The table-size change to 256 was announced at the start of block 1.
  assert.match(String(enc.connections[0].blocks[1].wire), /^3fe101/);
  assert.match(String(enc.connections[0].blocks[2].wire), /^20/);
});

Deno.test("hpack_cli decode reports a bad block as an error and fails the rest of the connection", async () => {
  const input = {
    connections: [
      { blocks: [{ wire: "82" }, { wire: "80" }, { wire: "82" }] },
      { blocks: [{ wire: "4082" + "1fff" + "00" }] }, // bad Huffman padding
      { blocks: [{ wire: "8" }] }, // odd hex
      { header_table_size: 1024, blocks: [{ wire: "82" }] }, // lowered, no size update
      { header_table_size: 1024, blocks: [{ wire: "3fe10782" }] },
      { max_header_list_size: 40, blocks: [{ wire: "400178017a" + "be" }, { wire: "be" }] },
    ],
    unknown_field: true,
  };
  const { json, code } = await cli("decode", JSON.stringify(input));
  assert.equal(code, 0);
  const c = (json as unknown as Blocks).connections;
  assert.deepEqual(c[0].blocks[0], { headers: [[":method", "GET"]], sensitive: [] });
  assert.match(String(c[0].blocks[1].error), /Invalid index 0/);
  assert.ok("error" in c[0].blocks[2]);
  assert.match(String(c[1].blocks[0].error), /Huffman/);
  assert.match(String(c[2].blocks[0].error), /hex/);
  assert.match(String(c[3].blocks[0].error), /size update/);
  assert.deepEqual(c[4].blocks[0], { headers: [[":method", "GET"]], sensitive: [] });
  // Two "x: z" fields = 68 > 40: an error, but the context stays in sync.
  assert.match(String(c[5].blocks[0].error), /too large/);
  assert.deepEqual(c[5].blocks[1], { headers: [["x", "z"]], sensitive: [] });
});

Deno.test("hpack_cli prints HPACK_TIMING only when asked and permitted", async () => {
  const input = JSON.stringify({ connections: [{ blocks: [{ wire: "82" }] }] });
  const timed = await cli("decode", input, ["--allow-env=HPACK_TIMING"], { HPACK_TIMING: "1" });
  assert.match(timed.stderr, /^HPACK_TIMING codec_s=\d+\.\d+$/m);
  const untimed = await cli("decode", input, [], { HPACK_TIMING: "1" });
  assert.equal(untimed.code, 0);
  assert.doesNotMatch(untimed.stderr, /HPACK_TIMING/);
  assert.deepEqual(untimed.json, timed.json);
});

Deno.test("hpack_cli answers malformed input with one JSON error document and exit 0", async () => {
  const bad = await cli("decode", "{not json");
  assert.equal(bad.code, 0);
  assert.ok(typeof bad.json.error === "string");
  const mode = await cli("inflate", "{}");
  assert.equal(mode.code, 0);
  assert.match(String(mode.json.error), /decode/);
});

Deno.test("runHpackCli encodes fields the python and nghttp2 decoders must see never-indexed", () => {
  const { output } = runHpackCli({
    connections: [{
      blocks: [{ headers: [["cookie", "a=b"], ["x", "y"], ["x", "y"]], sensitive: [1, 2] }],
    }],
  }, "encode");
  const wire = (output as Blocks).connections[0].blocks[0].wire as string;
  const { output: back } = runHpackCli({ connections: [{ blocks: [{ wire }] }] }, "decode");
  assert.deepEqual((back as Blocks).connections[0].blocks[0].sensitive, [0, 1, 2]);
});
