import {
  BYTES_PER_DTYPE,
  DEFAULT_MODEL_SPECS,
  VRAM_HEADROOM,
  VRAM_TIERS_GB,
  estimateVram,
  isDeployableTask,
  type ModelSpecRegistry,
} from '@switchyard/deployments';

const GIB = 1024 ** 3;
const UNKNOWN = 'acme/unknown-model';

const fromWeights = (safetensorsParameters: Record<string, number>) => estimateVram({ id: UNKNOWN, safetensorsParameters });
const fromCount = (parameterCount: number) => estimateVram({ id: UNKNOWN, parameterCount });

describe('estimateVram', () => {
  it('uses the seed constants', () => {
    expect(VRAM_HEADROOM).toBe(1.35);
    expect(VRAM_TIERS_GB).toEqual([6, 8, 10, 12, 16, 24, 28, 40, 48, 80]);
  });

  describe('from safetensors parameter counts', () => {
    it.each([
      ['BF16', 2],
      ['F16', 2],
      ['I16', 2],
      ['U16', 2],
      ['F32', 4],
      ['I32', 4],
      ['U32', 4],
      ['F64', 8],
      ['I64', 8],
      ['U64', 8],
      ['I8', 1],
      ['U8', 1],
      ['F8_E4M3', 1],
      ['F8_E5M2', 1],
      ['BOOL', 1],
    ])('counts %s weights as %d bytes', (dtype, bytes) => {
      // 1000 weights × bytes each
      expect(BYTES_PER_DTYPE[dtype]).toBe(bytes);
      expect(fromWeights({ [dtype]: 1000 })).toMatchObject({ source: 'safetensors', weightBytes: 1000 * bytes });
    });

    it('counts a dtype it does not know as 4 bytes, and reads dtypes case-insensitively', () => {
      // F4 is not in the table: 1000 × 4 = 4000; bf16 is BF16: 1000 × 2 = 2000
      expect(fromWeights({ F4: 1000 }).weightBytes).toBe(4000);
      expect(fromWeights({ bf16: 1000 }).weightBytes).toBe(2000);
    });

    it('sums the dtypes, adds the headroom and snaps up to a tier, saying how', () => {
      // BF16: 2³⁰ × 2 B = 2 GiB; F32: 2²⁸ × 4 B = 1 GiB; 3 GiB × 1.35 = 4.05 GiB → 6 GB
      expect(fromWeights({ BF16: 2 ** 30, F32: 2 ** 28 })).toEqual({
        gb: 6,
        source: 'safetensors',
        weightBytes: 3 * GIB,
        detail: '1.34 B parameters (BF16 1.07 B × 2 B, F32 268 M × 4 B) = 3.00 GiB × 1.35 = 4.05 GiB → 6 GB tier',
      });
    });

    it.each([
      // 6 GB ÷ 1.35 = 4.444… GiB = 1 193 046 471.1 F32 weights
      ['just under 6 GiB', { F32: 1_193_046_471 }, 6], // 4 772 185 884 B × 1.35 ÷ 2³⁰ = 5.9999999994
      ['just over 6 GiB', { F32: 1_193_046_472 }, 8], // 4 772 185 888 B × 1.35 ÷ 2³⁰ = 6.0000000045
      // 16 GB ÷ 1.35 = 11.85 GiB = 6 362 914 512.6 BF16 weights
      ['just under 16 GiB', { BF16: 6_362_914_512 }, 16], // 15.9999999985
      ['just over 16 GiB', { BF16: 6_362_914_513 }, 24], // 16.0000000010
      // 12 GiB of BF16 = 6 × 2³⁰ weights; × 1.35 = 16.2 GiB
      ['12 GiB of weights', { BF16: 6 * 2 ** 30 }, 24],
      // 80 GB ÷ 1.35 = 59.26 GiB = 31 814 572 563.0 BF16 weights
      ['just under 80 GiB', { BF16: 31_814_572_562 }, 80], // 79.9999999976
      ['just over 80 GiB: the next real GPU, 94 GB', { BF16: 31_814_572_563 }, 94], // 80.0000000001
      // 100 GiB of BF16 = 50 × 2³⁰ weights; × 1.35 = 135 GiB
      ['135 GiB: 141 GB', { BF16: 50 * 2 ** 30 }, 141],
      // 120 GiB × 1.35 = 162 GiB: more than any GPU, so the need itself
      ['162 GiB: the raw need', { BF16: 60 * 2 ** 30 }, 162],
    ])('%s → %d GB', (_case, parameters, gb) => {
      expect(fromWeights(parameters).gb).toBe(gb);
    });

    it('says when no GPU is large enough', () => {
      expect(fromWeights({ BF16: 60 * 2 ** 30 }).detail).toMatch(/= 162\.00 GiB → no GPU has that much: 162 GB$/);
    });
  });

  describe('from a parameter count alone', () => {
    it.each([
      [1, 6],
      [0.5e9, 6],
      [0.5e9 + 1, 8],
      [1e9, 8],
      [1e9 + 1, 12],
      [3e9, 12],
      [3e9 + 1, 16],
      [7e9, 16],
      [7e9 + 1, 24],
      [13e9, 24],
      [13e9 + 1, 40],
      [30e9, 40],
      [30e9 + 1, 80],
      [400e9, 80],
    ])('%d parameters → %d GB', (parameterCount, gb) => {
      expect(fromCount(parameterCount)).toMatchObject({ gb, source: 'parameter-count' });
    });

    it('prefers dtypes to the bare count, and ignores empty dtype counts', () => {
      // 2³⁰ F32 = 4 GiB × 1.35 = 5.4 → 6, where the table says 12 GB for 1.07 B parameters (> 1 B)
      expect(estimateVram({ id: UNKNOWN, safetensorsParameters: { F32: 2 ** 30 }, parameterCount: 2 ** 30 }).gb).toBe(6);
      expect(estimateVram({ id: UNKNOWN, safetensorsParameters: { F32: 0 }, parameterCount: 2 ** 30 })).toMatchObject({ gb: 12, source: 'parameter-count' });
      expect(fromCount(2 ** 30).detail).toBe('1.07 B parameters, dtypes unknown: ≤ 3 B parameters → 12 GB');
    });
  });

  describe('from the registry', () => {
    it('takes a registered model’s value over any estimate, matching the id case-insensitively', () => {
      // 2³⁰ F32 would be 6 GB; the registry says 16 for FLUX.1-schnell
      const flux = { safetensorsParameters: { F32: 2 ** 30 }, parameterCount: 2 ** 30 };
      expect(estimateVram({ id: 'black-forest-labs/FLUX.1-schnell', ...flux })).toMatchObject({ gb: 16, source: 'registry' });
      expect(estimateVram({ id: 'Black-Forest-Labs/flux.1-schnell', ...flux })).toMatchObject({ gb: 16, source: 'registry' });
    });

    it('takes a registry given to it', () => {
      const registry: ModelSpecRegistry = { 'acme/big': { minVramGb: 48, task: 'text-to-image' } };
      expect(estimateVram({ id: 'acme/big' }, registry)).toMatchObject({ gb: 48, source: 'registry' });
      expect(estimateVram({ id: 'stabilityai/sd-turbo' }, registry)).toMatchObject({ gb: 16, source: 'default' });
    });

    it('holds the seed’s values under the Hub’s repo ids', () => {
      expect(DEFAULT_MODEL_SPECS['stabilityai/sd-turbo'].minVramGb).toBe(8);
      expect(DEFAULT_MODEL_SPECS['black-forest-labs/FLUX.1-dev'].minVramGb).toBe(28);
      expect(DEFAULT_MODEL_SPECS['runwayml/stable-diffusion-v1-5']).toEqual(DEFAULT_MODEL_SPECS['stable-diffusion-v1-5/stable-diffusion-v1-5']);
      for (const [id, spec] of Object.entries(DEFAULT_MODEL_SPECS)) {
        expect(id).toMatch(/^[\w.-]+\/[\w.-]+$/);
        expect(spec.minVramGb).toBeGreaterThan(0);
        expect(isDeployableTask(spec.task) || spec.task === 'text-to-video').toBe(true);
      }
    });
  });

  it('falls back to 16 GB when nothing is known', () => {
    expect(estimateVram({ id: UNKNOWN })).toMatchObject({ gb: 16, source: 'default' });
  });
});
