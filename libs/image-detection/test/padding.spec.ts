import { centredPadding, padToMinimum, reflect101, type ChwImage } from '../src';
import { mirroredIndex, randomValues } from './support/reference';

function pixel(image: ChwImage, c: number, y: number, x: number): number {
  return image.data[(c * image.height + y) * image.width + x];
}

describe('padToMinimum', () => {
  it('pads a 2×3 image to 7×7 centred, reflect-101, the extra row going to the bottom', () => {
    // Row r, column c holds 10r + c + 1.
    const image: ChwImage = { data: Float32Array.from([1, 2, 3, 11, 12, 13]), channels: 1, height: 2, width: 3 };
    const padded = padToMinimum(image, 7);
    expect([padded.height, padded.width]).toEqual([7, 7]);
    // Columns: c b a b c b a; rows: 2 before, 3 after, alternating 0 1 0 1 0 1 0.
    const columns = [3, 2, 1, 2, 3, 2, 1];
    const rows = [0, 10, 0, 10, 0, 10, 0];
    const expected = rows.flatMap((r) => columns.map((c) => r + c));
    expect(Array.from(padded.data)).toEqual(expected);
  });

  it('leaves a side that is long enough alone and pads only the short one', () => {
    const image: ChwImage = { data: randomValues(3 * 10 * 300, 1), channels: 3, height: 10, width: 300 };
    const padded = padToMinimum(image);
    expect([padded.channels, padded.height, padded.width]).toEqual([3, 224, 300]);
    const top = Math.floor((224 - 10) / 2); // 107 before, 107 after
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 224; y++) {
        for (const x of [0, 1, 150, 299]) expect(pixel(padded, c, y, x)).toBe(pixel(image, c, mirroredIndex(y - top, 10), x));
      }
    }
  });

  it('matches numpy-style reflect padding on an odd shortfall (223×223 → 224×224: one row and column after)', () => {
    const image: ChwImage = { data: randomValues(3 * 223 * 223, 2), channels: 3, height: 223, width: 223 };
    const padded = padToMinimum(image);
    expect([padded.height, padded.width]).toEqual([224, 224]);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 224; y++) {
        for (let x = 0; x < 224; x++) expect(pixel(padded, c, y, x)).toBe(pixel(image, c, mirroredIndex(y, 223), mirroredIndex(x, 223)));
      }
    }
    // Row 223 repeats row 221 (reflect-101 does not repeat the edge row).
    expect(pixel(padded, 1, 223, 5)).toBe(pixel(image, 1, 221, 5));
  });

  it('fills a 1×1 image out to 224×224 with its one value', () => {
    const padded = padToMinimum({ data: Float32Array.from([0.25, 0.5, 0.75]), channels: 3, height: 1, width: 1 });
    expect([padded.height, padded.width]).toEqual([224, 224]);
    for (let c = 0; c < 3; c++) expect(new Set(padded.data.subarray(c * 224 * 224, (c + 1) * 224 * 224))).toEqual(new Set([0.25 * (c + 1)]));
  });

  it('keeps 8-bit samples 8-bit, padded by the same rule', () => {
    const samples = Uint8Array.from({ length: 3 * 10 * 20 }, (_, i) => (i * 31) % 256);
    const padded = padToMinimum({ data: samples, channels: 3, height: 10, width: 20 });
    const asFloat = padToMinimum({ data: Float32Array.from(samples), channels: 3, height: 10, width: 20 });
    expect(padded.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(padded.data)).toEqual(Array.from(asFloat.data));
  });

  it('returns an image already 224 or more on both sides as it is', () => {
    const image: ChwImage = { data: new Float32Array(3 * 224 * 500), channels: 3, height: 224, width: 500 };
    expect(padToMinimum(image)).toBe(image);
  });

  it('refuses data of the wrong length', () => {
    expect(() => padToMinimum({ data: new Float32Array(5), channels: 3, height: 1, width: 1 })).toThrow(RangeError);
  });
});

describe('reflect101 and centredPadding', () => {
  it('reflects about the edge pixels, repeatedly when the padding is wider than the line', () => {
    expect([-3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7].map((p) => reflect101(p, 3))).toEqual([1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1]);
    for (let p = -500; p < 500; p++) expect(reflect101(p, 7)).toBe(mirroredIndex(p, 7));
    expect(reflect101(-100, 1)).toBe(0);
  });

  it('puts the odd pixel of the shortfall after', () => {
    expect(centredPadding(1, 224)).toEqual({ before: 111, after: 112 });
    expect(centredPadding(100, 224)).toEqual({ before: 62, after: 62 });
    expect(centredPadding(224, 224)).toEqual({ before: 0, after: 0 });
  });
});
