import { l2Normalize, meanPool, toJsonVector, truncateDimensions } from '../src';

describe('mean pooling', () => {
  it('averages the token vectors the attention mask keeps, per text', () => {
    // Two texts, three positions, width 2: the first has two real tokens, the second one.
    const hidden = Float32Array.from([1, 2, 3, 4, 100, 100, 5, 6, 100, 100, 100, 100]);
    const mask = BigInt64Array.from([1n, 1n, 0n, 1n, 0n, 0n]);
    const [first, second] = meanPool(hidden, mask, 2, 3, 2);
    expect(Array.from(first)).toEqual([2, 3]);
    expect(Array.from(second)).toEqual([5, 6]);
  });

  it('pools a text of padding only to zeros, as sentence-transformers does', () => {
    const [pooled] = meanPool(Float32Array.from([7, 8]), BigInt64Array.from([0n]), 1, 1, 2);
    expect(Array.from(pooled)).toEqual([0, 0]);
  });

  it('refuses hidden states of the wrong size', () => {
    expect(() => meanPool(new Float32Array(5), new BigInt64Array(2), 1, 2, 3)).toThrow(RangeError);
  });
});

describe('vectors', () => {
  it('scales a vector to length 1 and leaves a zero vector at zero', () => {
    expect(Array.from(l2Normalize(Float32Array.from([3, 4])))).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect(Array.from(l2Normalize(new Float32Array(3)))).toEqual([0, 0, 0]);
  });

  it('truncates to the requested dimensions and normalizes again', () => {
    const vector = l2Normalize(Float32Array.from([3, 4, 12]));
    const [x, y, ...rest] = truncateDimensions(vector, 2);
    expect(rest).toEqual([]);
    expect(x).toBeCloseTo(0.6, 6);
    expect(y).toBeCloseTo(0.8, 6);
    expect(truncateDimensions(vector, 3)).toBe(vector);
  });

  it('writes JSON numbers that give back exactly the same float32 values', () => {
    const vector = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) / (i + 1));
    const json = toJsonVector(vector);
    expect(json.map((value) => Math.fround(value))).toEqual(Array.from(vector));
    expect(JSON.stringify(json).length).toBeLessThan(JSON.stringify(Array.from(vector)).length * 0.7);
  });
});
