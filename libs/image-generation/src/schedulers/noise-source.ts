/** Standard normal samples from a seeded generator. */
export interface NoiseSource {
  normal(count: number): Float32Array;
}
