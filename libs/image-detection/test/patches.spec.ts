import { evenlySpacedIndices, extractPatches, fiveCropOrigins, gridOrigins, halfToEven, planPatches, spaiPatches, type ChwImage } from '../src';
import { randomValues } from './support/reference';

const at = (top: number, left: number) => ({ top, left });

describe('planPatches', () => {
  it('five-crops an image of exactly 224: the grid has one patch, fewer than 4', () => {
    const plan = planPatches(224, 224);
    expect(plan.mode).toBe('five-crop');
    expect(plan.origins).toEqual([at(0, 0), at(0, 0), at(0, 0), at(0, 0), at(0, 0)]);
    expect([plan.total, plan.used]).toEqual([5, 5]);
  });

  it('five-crops 447×447, the centre at round(111.5) = 112 (Python rounds halves to even)', () => {
    const plan = planPatches(447, 447);
    expect(plan.mode).toBe('five-crop');
    expect(plan.origins).toEqual([at(0, 0), at(0, 223), at(223, 0), at(223, 223), at(112, 112)]);
  });

  it('rounds other half offsets to even too, per axis', () => {
    // 225 − 224 = 1 → round(0.5) = 0; 227 → round(1.5) = 2; 300 → 38 exactly.
    expect(fiveCropOrigins(225, 300)[4]).toEqual(at(0, 38));
    expect(fiveCropOrigins(227, 229)[4]).toEqual(at(2, 2));
    expect([0, 1, 2, 3, 4, 5, 223].map(halfToEven)).toEqual([0, 0, 1, 2, 2, 2, 112]);
  });

  it('tiles 448×448 into 4 patches in raster order', () => {
    const plan = planPatches(448, 448);
    expect(plan.mode).toBe('grid');
    expect(plan.origins).toEqual([at(0, 0), at(0, 224), at(224, 0), at(224, 224)]);
  });

  it('drops the border remainder and keeps raster order', () => {
    const plan = planPatches(700, 500); // 3 rows (700 = 3·224 + 28), 2 columns (500 = 2·224 + 52)
    expect(plan.mode).toBe('grid');
    expect(plan.origins).toEqual([at(0, 0), at(0, 224), at(224, 0), at(224, 224), at(448, 0), at(448, 224)]);
    expect(gridOrigins(223, 1000)).toEqual([]);
  });

  it('five-crops 224×895 (3 grid patches) but tiles 224×896 (4)', () => {
    expect(planPatches(224, 895).mode).toBe('five-crop');
    expect(planPatches(224, 896).mode).toBe('grid');
  });

  it('caps a 10×10 grid to 7 evenly spaced patches and reports used and total', () => {
    const plan = planPatches(2240, 2240, { maxPatches: 7 });
    expect([plan.total, plan.used]).toEqual([100, 7]);
    // floor((2i + 1)·100 / 14) = 7, 21, 35, 50, 64, 78, 92 → (row, column) = (index / 10, index % 10).
    expect(plan.origins).toEqual([7, 21, 35, 50, 64, 78, 92].map((i) => at(Math.floor(i / 10) * 224, (i % 10) * 224)));
  });

  it('caps five-crop the same way and leaves a plan under the cap whole', () => {
    const capped = planPatches(300, 300, { maxPatches: 2 });
    expect(capped.origins).toEqual([at(0, 76), at(76, 76)]); // indices 1 and 3: top-right, bottom-right
    expect([capped.total, capped.used]).toEqual([5, 2]);
    expect(planPatches(448, 448, { maxPatches: 4 }).used).toBe(4);
    expect(() => planPatches(448, 448, { maxPatches: 0 })).toThrow(RangeError);
  });
});

describe('evenlySpacedIndices', () => {
  it('takes the middle of each equal run, ascending and distinct', () => {
    expect(evenlySpacedIndices(10, 3)).toEqual([1, 5, 8]);
    expect(evenlySpacedIndices(100, 4)).toEqual([12, 37, 62, 87]);
    expect(evenlySpacedIndices(3, 5)).toEqual([0, 1, 2]);
    for (let total = 1; total < 60; total++) {
      for (let count = 1; count <= total; count++) {
        const picked = evenlySpacedIndices(total, count);
        expect(picked).toHaveLength(count);
        picked.forEach((index, i) => {
          expect(index).toBeGreaterThanOrEqual(0);
          expect(index).toBeLessThan(total);
          // Inside the i-th of `count` equal runs.
          expect(index * count).toBeGreaterThanOrEqual(i * total - count);
          expect(index * count).toBeLessThan((i + 1) * total);
          if (i > 0) expect(index).toBeGreaterThan(picked[i - 1]);
        });
      }
    }
  });
});

describe('extractPatches and spaiPatches', () => {
  it('copies each patch channel by channel in origin order', () => {
    const image: ChwImage = { data: randomValues(3 * 460 * 470, 3), channels: 3, height: 460, width: 470 };
    const origins = [at(0, 0), at(236, 246), at(5, 17)];
    const patches = extractPatches(image, origins);
    expect(patches).toHaveLength(3 * 3 * 224 * 224);
    origins.forEach(({ top, left }, p) => {
      for (let c = 0; c < 3; c++) {
        for (const [y, x] of [
          [0, 0],
          [223, 223],
          [17, 200],
          [111, 3],
        ]) {
          expect(patches[((p * 3 + c) * 224 + y) * 224 + x]).toBe(image.data[(c * 460 + top + y) * 470 + left + x]);
        }
      }
    });
    expect(() => extractPatches(image, [at(300, 0)])).toThrow(RangeError);
  });

  it('reads 8-bit samples as value / 255, as a float image of those values gives', () => {
    const samples = Uint8Array.from({ length: 3 * 230 * 240 }, (_, i) => (i * 7919) % 256);
    const eight: ChwImage = { data: samples, channels: 3, height: 230, width: 240 };
    const float: ChwImage = { ...eight, data: Float32Array.from(samples, (value) => value / 255) };
    const origins = [at(0, 0), at(6, 16)];
    expect(extractPatches(eight, origins)).toEqual(extractPatches(float, origins));
    expect(extractPatches(eight, [at(0, 0)]).reduce((max, value) => Math.max(max, value), 0)).toBe(1);
  });

  it('pads a 1×1 image, five-crops it, and gives five patches of its one colour', () => {
    const cut = spaiPatches({ data: Float32Array.from([0.1, 0.2, 0.3]), channels: 3, height: 1, width: 1 });
    expect([cut.paddedHeight, cut.paddedWidth, cut.plan.mode, cut.plan.used]).toEqual([224, 224, 'five-crop', 5]);
    for (let p = 0; p < 5; p++) {
      for (let c = 0; c < 3; c++) {
        const plane = cut.patches.subarray((p * 3 + c) * 224 * 224, (p * 3 + c + 1) * 224 * 224);
        expect(new Set(plane)).toEqual(new Set([Math.fround(0.1 * (c + 1))]));
      }
    }
  });

  it('pads before patching: 100×900 becomes 224×900, four grid patches', () => {
    const cut = spaiPatches({ data: randomValues(3 * 100 * 900, 4), channels: 3, height: 100, width: 900 });
    expect([cut.paddedHeight, cut.paddedWidth, cut.plan.mode, cut.plan.used]).toEqual([224, 900, 'grid', 4]);
  });

  it('refuses anything but three channels', () => {
    expect(() => spaiPatches({ data: new Float32Array(1), channels: 1, height: 1, width: 1 })).toThrow(RangeError);
  });
});
