/**
 * A small seeded pseudo-random generator (xorshift128+ folded to 32 bits,
 * seeded through splitmix32) so property tests and fuzzers are reproducible:
 * a failure prints its seed and the same seed replays it.
 *
 * @module
 */

/** A deterministic random source. */
export class SeededRng {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;
  /** The seed this generator was created with. */
  readonly seed: number;

  /** @param seed Any 32-bit integer. */
  constructor(seed: number) {
    this.seed = seed >>> 0;
    let x = this.seed;
    const split = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#s0 = split();
    this.#s1 = split();
    this.#s2 = split();
    this.#s3 = split() | 1;
  }

  /** A uniformly distributed unsigned 32-bit integer (xoshiro128**). */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5), 7), 9) >>> 0;
    const t = this.#s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.u32() / 0x1_0000_0000;
  }

  /** An integer in [min, max] inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * The seeds a property test should run: `H2KIT_SEED` (one seed, to replay a
 * failure) or `count` fixed seeds derived from `base`.
 */
export function testSeeds(base: number, count: number): number[] {
  const fixed = typeof Deno !== "undefined" ? Deno.env.get("H2KIT_SEED") : undefined;
  if (fixed !== undefined) return [Number(fixed) >>> 0];
  return Array.from({ length: count }, (_, i) => (base + Math.imul(i, 0x9e3779b1)) >>> 0);
}
