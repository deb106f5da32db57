/**
 * xoshiro128** seeded from a string: fast, 32-bit only (so exact in JavaScript) and the same
 * sequence on every platform, which is what makes generated weights byte-identical across runs.
 */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string) {
    // FNV-1a folds the seed string to 32 bits; SplitMix32 spreads it over the four state words.
    let hash = 0x811c9dc5;
    for (let i = 0; i < seed.length; i++) {
      hash = Math.imul(hash ^ seed.charCodeAt(i), 0x01000193);
    }
    let state = hash >>> 0;
    const splitMix = (): number => {
      state = (state + 0x9e3779b9) | 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitMix();
    this.b = splitMix();
    this.c = splitMix();
    this.d = splitMix();
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Fills `out` with values drawn uniformly from [low, high). */
  fillUniform(out: Float32Array, low: number, high: number): void {
    const span = (high - low) / 0x1_0000_0000;
    for (let i = 0; i < out.length; i++) out[i] = low + this.nextUint32() * span;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
