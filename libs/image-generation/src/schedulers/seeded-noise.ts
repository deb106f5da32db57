import type { NoiseSource } from './noise-source';

const MASK_64 = (1n << 64n) - 1n;

function splitMix64(state: bigint): { state: bigint; output: bigint } {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK_64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK_64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK_64;
  return { state: next, output: z ^ (z >> 31n) };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * The documented generator. It does not reproduce PyTorch's `torch.randn` (Philox/MT19937); it is
 * defined here so that any implementation can reproduce it:
 *
 * 1. Seeding: SplitMix64 (Steele, Lea, Flood 2014) with state = seed, giving two outputs o1, o2
 *    (state += 0x9E3779B97F4A7C15; z = state; z = (z ^ z>>30)·0xBF58476D1CE4E5B9;
 *    z = (z ^ z>>27)·0x94D049BB133111EB; output z ^ z>>31, all mod 2^64). The xoshiro128** state is
 *    s0 = low 32 bits of o1, s1 = high 32 bits of o1, s2 = low of o2, s3 = high of o2.
 * 2. Uniform 32-bit words: xoshiro128** 1.1 (Blackman, Vigna 2018): result = rotl(s1·5, 7)·9;
 *    t = s1<<9; s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11) (mod 2^32).
 * 3. Uniform doubles in [0, 1): two words a then b give ((a>>>5)·2^26 + (b>>>6)) / 2^53.
 * 4. Normals: Marsaglia's polar method: u = 2·U1 − 1, v = 2·U2 − 1, s = u² + v², rejected while
 *    s ≥ 1 or s = 0; f = √(−2 ln s / s); the stream gets u·f then v·f.
 *
 * `normal(count)` takes the next `count` values of that stream (a leftover value carries over to the
 * next call), each rounded to float32. Only Math.log is not correctly rounded by IEEE 754; V8 (Node)
 * uses the same fdlibm port on every platform, so the sequence is the same on every machine.
 */
export class SeededNoise implements NoiseSource {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | undefined;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be an integer in [0, 2^53 - 1], got ${seed}`);
    const first = splitMix64(BigInt(seed));
    const second = splitMix64(first.state);
    this.s0 = Number(first.output & 0xffffffffn);
    this.s1 = Number(first.output >> 32n);
    this.s2 = Number(second.output & 0xffffffffn);
    this.s3 = Number(second.output >> 32n);
  }

  normal(count: number): Float32Array {
    const out = new Float32Array(count);
    let i = 0;
    if (count > 0 && this.spare !== undefined) {
      out[i++] = this.spare;
      this.spare = undefined;
    }
    while (i < count) {
      let u: number, v: number, s: number;
      do {
        u = 2 * this.uniform() - 1;
        v = 2 * this.uniform() - 1;
        s = u * u + v * v;
      } while (s >= 1 || s === 0);
      const factor = Math.sqrt((-2 * Math.log(s)) / s);
      out[i++] = u * factor;
      if (i < count) out[i++] = v * factor;
      else this.spare = v * factor;
    }
    return out;
  }

  private nextWord(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  private uniform(): number {
    const a = this.nextWord() >>> 5;
    const b = this.nextWord() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }
}
