import assert from "node:assert/strict";
import { H2Error } from "../../../core/errors.ts";
import { decodeFrame, FrameReader, serializeFrame } from "../../../core/frame/mod.ts";
import { SeededRng, testSeeds } from "../../_support/seeded_rng.ts";
import { concat, randomFrame, randomSplit } from "./_random_frames.ts";

interface Outcome {
  frames: number;
  streamErrors: number;
  connectionError: boolean;
}

/**
 * Feeds `wire` to a reader in random chunks and pulls until it needs more
 * bytes or fails. Anything thrown that is not an H2Error fails the test; the
 * iteration bound proves the reader cannot spin without consuming input.
 */
function feed(rng: SeededRng, wire: Uint8Array, label: string): Outcome {
  const reader = new FrameReader({
    maxFrameSize: rng.pick([16384, 65535, 16777215]),
  });
  const outcome: Outcome = { frames: 0, streamErrors: 0, connectionError: false };
  let steps = 0;
  for (const chunk of randomSplit(rng, wire, rng.pick([1, 7, 64, 4096]))) {
    reader.push(chunk);
    for (;;) {
      assert.ok(++steps <= wire.length + 2 * (wire.length / 9 + 1), `${label}: no progress`);
      try {
        if (reader.next() === undefined) break;
        outcome.frames++;
      } catch (e) {
        if (!(e instanceof H2Error)) {
          throw new Error(`${label}: threw ${e} (not an H2Error)`, { cause: e });
        }
        if (e.scope === "connection") {
          outcome.connectionError = true;
          assert.throws(() => reader.next(), (again: unknown) => again === e, label);
          return outcome;
        }
        outcome.streamErrors++;
      }
    }
  }
  return outcome;
}

Deno.test("FrameReader fed random bytes throws only H2Error and never hangs", () => {
  for (const seed of testSeeds(0xf022, 40)) {
    const rng = new SeededRng(seed);
    // Random headers with small lengths (so payloads get parsed), random payloads.
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 50; i++) {
      const length = rng.chance(0.05) ? rng.int(0, 0xffffff) : rng.int(0, 40);
      const header = Uint8Array.of(
        length >>> 16,
        length >>> 8,
        length,
        rng.chance(0.8) ? rng.int(0, 0x11) : rng.int(0, 255),
        rng.int(0, 255),
        ...rng.bytes(4),
      );
      if (rng.chance(0.5)) header[5] = 0; // stream 0 often, for the stream-0 rules
      if (rng.chance(0.5)) header[5] = header[6] = header[7] = 0;
      parts.push(header, rng.bytes(Math.min(length, 60)));
    }
    feed(rng, concat(parts), `seed ${seed}`);
    feed(rng, rng.bytes(rng.int(0, 3000)), `seed ${seed} raw`);
  }
});

Deno.test("FrameReader fed mutated valid frames throws only H2Error and never hangs", () => {
  let sawStreamError = false;
  let sawConnectionError = false;
  for (const seed of testSeeds(0x3a7e, 200)) {
    const rng = new SeededRng(seed);
    const wire = concat(Array.from({ length: 8 }, () => serializeFrame(randomFrame(rng))));
    const mutated = Array.from(wire);
    for (let m = rng.int(1, 4); m > 0; m--) {
      const at = rng.int(0, mutated.length - 1);
      switch (rng.int(0, 4)) {
        case 0:
          mutated[at] ^= 1 << rng.int(0, 7);
          break;
        case 1:
          mutated[at] = rng.int(0, 255);
          break;
        case 2:
          mutated.splice(at, rng.int(1, 5));
          break;
        case 3:
          mutated.splice(at, 0, rng.int(0, 255));
          break;
        default:
          // Retype a frame header in place: lengths that are valid for one type hit another's rules.
          mutated[at] = rng.int(0, 0x10);
      }
    }
    const outcome = feed(rng, Uint8Array.from(mutated), `seed ${seed}`);
    sawStreamError ||= outcome.streamErrors > 0;
    sawConnectionError ||= outcome.connectionError;
  }
  assert.ok(sawStreamError && sawConnectionError, "the fuzzer reaches both error scopes");
});

Deno.test("decodeFrame on random type, flags, stream and payload throws only H2Error", () => {
  for (const seed of testSeeds(0xdec0, 10)) {
    const rng = new SeededRng(seed);
    for (let i = 0; i < 2000; i++) {
      const type = rng.int(0, 0x12);
      const flags = rng.int(0, 255);
      const streamId = rng.chance(0.3) ? 0 : rng.u32();
      const payload = rng.bytes(rng.int(0, 24));
      try {
        const frame = decodeFrame(type, flags, streamId, payload);
        // Whatever decodes must re-encode to the same length (so no field was read past the
        // payload or left unaccounted) and into a frame that decodes the same way.
        const wire = serializeFrame(frame);
        assert.equal(wire.length, 9 + payload.length, `seed ${seed} #${i}: type ${type}`);
        assert.deepEqual(decodeFrame(wire[3], wire[4], frame.streamId, wire.subarray(9)), frame);
      } catch (e) {
        if (!(e instanceof H2Error)) {
          throw new Error(`seed ${seed} #${i}: type ${type} threw ${e}`, { cause: e });
        }
      }
    }
  }
});
