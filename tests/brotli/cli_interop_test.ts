/**
 * Interop with the reference `brotli` command-line tool (Debian package `brotli`), both ways.
 */
import assert from "node:assert/strict";
import { compress, CompressStream, decompress } from "../../brotli/mod.ts";
import { BACKENDS, collect, mixed, optionsFor, streamOf, textLike } from "./_helpers.ts";

async function brotliCli(args: string[], input: Uint8Array): Promise<Uint8Array> {
  const child = new Deno.Command("brotli", {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  })
    .spawn();
  const writer = child.stdin.getWriter();
  await writer.write(input);
  await writer.close();
  const out = await child.output();
  if (!out.success) {
    throw new Error(`brotli ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return out.stdout;
}

const hasCli = await new Deno.Command("brotli", {
  args: ["--version"],
  stdout: "null",
  stderr: "null",
})
  .output().then((o) => o.success, () => false);

Deno.test({
  name: "compress output decodes with the brotli CLI for every backend",
  ignore: !hasCli,
  async fn() {
    const data = mixed(41, 100_000);
    for (const backend of BACKENDS) {
      const packed = await compress(data, optionsFor(backend));
      assert.deepEqual(await brotliCli(["-d", "-c"], packed), data, backend);
      const streamed = await collect(
        streamOf([data.subarray(0, 777), data.subarray(777)])
          .pipeThrough(
            new CompressStream({ ...optionsFor(backend), flushEveryChunk: backend !== "wasm" }),
          ),
      );
      assert.deepEqual(await brotliCli(["-d", "-c"], streamed), data, `${backend} stream`);
    }
  },
});

Deno.test({
  name: "compress output at qualities 0-1 with narrowed windows decodes with the brotli CLI",
  ignore: !hasCli,
  async fn() {
    for (const size of [1000, 70_000, (1 << 18) - 16, 300_000]) {
      const data = mixed(44 + size, size);
      for (const backend of ["native", "wasm"] as const) {
        for (const quality of [0, 1]) {
          const packed = await compress(data, { backend, quality });
          assert.deepEqual(
            await brotliCli(["-d", "-c"], packed),
            data,
            `${backend} q${quality} ${size} bytes`,
          );
        }
      }
    }
  },
});

Deno.test({
  name: "decompress reads brotli CLI output at several qualities and windows",
  ignore: !hasCli,
  async fn() {
    const data = textLike(42, 200_000);
    for (const [q, w] of [[0, 10], [5, 22], [9, 24], [11, 16]]) {
      const packed = await brotliCli(["-c", `-q`, `${q}`, `-w`, `${w}`], data);
      for (const backend of BACKENDS) {
        assert.deepEqual(await decompress(packed, { backend }), data, `q${q} w${w} ${backend}`);
      }
    }
  },
});

Deno.test({
  name: "decompress rejects brotli CLI output cut short",
  ignore: !hasCli,
  async fn() {
    const packed = await brotliCli(["-c", "-q", "6"], textLike(43, 50_000));
    const cut = packed.subarray(0, packed.length - 5);
    for (const backend of BACKENDS) {
      await assert.rejects(decompress(cut, { backend }), { name: "BrotliCorruptInputError" });
    }
  },
});
