import { centredCoordinate, circularMask, normalizeImageNet, spaiEncoderInputs, SpectralFilter, type ChwImage } from '../src';
import { IMAGENET, maxAbsDifference, randomValues, referenceBands, referenceMask } from './support/reference';

const TOLERANCE = 1e-5;

describe('circularMask', () => {
  it('is the reference mask: strict radius, centred between N/2 − 1 and N/2', () => {
    const mask = circularMask(224, 16);
    expect(Array.from(mask)).toEqual(referenceMask(224, 16).flat());
    expect(mask.reduce((sum, v) => sum + v, 0)).toBe(856);
    const value = (row: number, column: number) => mask[row * 224 + column];
    // fftshift puts the zero frequency at 112; frequency −16 (index 96) has coordinate 15 and is kept,
    // frequency +16 (index 128) has coordinate 16, not below 16, and is dropped.
    expect([value(112, 112), value(111, 111), value(112, 96), value(112, 127), value(112, 128), value(95, 112)]).toEqual([1, 1, 1, 1, 0, 0]);
    expect([0, 1, 110, 111, 112, 113, 223].map((i) => centredCoordinate(i, 224))).toEqual([111, 110, 1, 0, 0, 1, 111]);
  });
});

describe('SpectralFilter', () => {
  it('matches a full float64 DFT of each band on small patches (16 px, radius 3, and radius past the edge)', () => {
    for (const radius of [3, 1, 5.5, 20]) {
      const filter = new SpectralFilter(16, radius);
      const patch = randomValues(4 * 16 * 16, 10 + radius);
      const { low, high } = filter.filter(patch, 4);
      for (let c = 0; c < 4; c++) {
        const plane = patch.subarray(c * 256, (c + 1) * 256);
        const reference = referenceBands(plane, 16, radius);
        expect(maxAbsDifference(low.subarray(c * 256, (c + 1) * 256), reference.low)).toBeLessThan(TOLERANCE);
        expect(maxAbsDifference(high.subarray(c * 256, (c + 1) * 256), reference.high)).toBeLessThan(TOLERANCE);
      }
    }
  });

  it('matches a full float64 DFT of each band on a 224 patch at radius 16', () => {
    // A smooth gradient plus noise, so both clamps (high band below 0, low band above 1 near the bright corner) are exercised.
    const noise = randomValues(3 * 224 * 224, 7);
    const patch = noise.map((v, i) => {
      const y = Math.floor(i / 224) % 224;
      const x = i % 224;
      return Math.min(1, 0.6 * v + (0.8 * (x + y)) / 446);
    });
    const { low, high } = new SpectralFilter().filter(patch);
    let clamped = 0;
    for (let c = 0; c < 3; c++) {
      const plane = patch.subarray(c * 224 * 224, (c + 1) * 224 * 224);
      const reference = referenceBands(plane, 224, 16);
      expect(maxAbsDifference(low.subarray(c * 224 * 224, (c + 1) * 224 * 224), reference.low)).toBeLessThan(TOLERANCE);
      expect(maxAbsDifference(high.subarray(c * 224 * 224, (c + 1) * 224 * 224), reference.high)).toBeLessThan(TOLERANCE);
      clamped += reference.high.filter((v) => v === 0).length + reference.low.filter((v) => v === 1).length;
    }
    expect(clamped).toBeGreaterThan(0);
  });

  it('keeps a constant patch whole in the low band and leaves the high band at 0', () => {
    const { low, high } = new SpectralFilter().filter(new Float32Array(3 * 224 * 224).fill(0.4));
    expect(maxAbsDifference(low, new Float32Array(low.length).fill(0.4))).toBeLessThan(1e-6);
    expect(maxAbsDifference(high, new Float32Array(high.length))).toBeLessThan(1e-6);
  });

  it('refuses an odd size and a patch of the wrong length', () => {
    expect(() => new SpectralFilter(15, 3)).toThrow(RangeError);
    expect(() => new SpectralFilter(16, 3).filter(new Float32Array(10))).toThrow(RangeError);
  });
});

describe('encoder inputs', () => {
  it('ImageNet-normalises x, x_low and x_high after the split', () => {
    const values = Float32Array.from([0, 1, 0.5, 0.5, 0.2, 0.9]);
    const normalised = normalizeImageNet(values, 2);
    const expected = [0, 1, 0.5, 0.5, 0.2, 0.9].map((v, i) => (v - IMAGENET.mean[Math.floor(i / 2)]) / IMAGENET.std[Math.floor(i / 2)]);
    expect(maxAbsDifference(normalised, expected)).toBeLessThan(1e-6);
  });

  it('prepares a five-cropped image end to end, the bands split before normalising', () => {
    const image: ChwImage = { data: randomValues(3 * 230 * 260, 11), channels: 3, height: 230, width: 260 };
    const filter = new SpectralFilter();
    const inputs = spaiEncoderInputs(image, filter, { maxPatches: 1 });
    // One of five crops, evenly spaced: index 2, the bottom-left one at (6, 0).
    expect([inputs.plan.mode, inputs.plan.total, inputs.plan.used]).toEqual(['five-crop', 5, 1]);
    expect(inputs.plan.origins).toEqual([{ top: 6, left: 0 }]);
    const plane = 224 * 224;
    expect(inputs.x).toHaveLength(3 * plane);
    for (let c = 0; c < 3; c++) {
      const raw = Array.from({ length: plane }, (_, i) => image.data[(c * 230 + 6 + Math.floor(i / 224)) * 260 + (i % 224)]);
      const reference = referenceBands(raw, 224, 16);
      const normalise = (v: number) => (v - IMAGENET.mean[c]) / IMAGENET.std[c];
      const slice = (a: Float32Array) => a.subarray(c * plane, (c + 1) * plane);
      expect(maxAbsDifference(slice(inputs.x), raw.map(normalise))).toBeLessThan(TOLERANCE);
      expect(maxAbsDifference(slice(inputs.xLow), reference.low.map(normalise))).toBeLessThan(TOLERANCE);
      expect(maxAbsDifference(slice(inputs.xHigh), reference.high.map(normalise))).toBeLessThan(TOLERANCE);
    }
  });
});
