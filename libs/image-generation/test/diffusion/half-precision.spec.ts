import { fromHalfBits, toHalfBits } from '../../src';

describe('float16 conversion for float16 exports', () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff],
    [0.1, 0x2e66],
    [2 ** -24, 0x0001],
    [2 ** -14, 0x0400],
    [1e6, 0x7c00],
    [0, 0],
  ])('%p ↔ %p', (value, bits) => {
    expect(toHalfBits(value)).toBe(bits);
    if (value < 65520) expect(fromHalfBits(bits)).toBeCloseTo(value, 4);
  });

  it('rounds ties to even, as numpy does', () => {
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00);
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(toHalfBits(1.5 * 2 ** -24)).toBe(0x0002);
    expect(toHalfBits(0.5 * 2 ** -24)).toBe(0);
  });
});
