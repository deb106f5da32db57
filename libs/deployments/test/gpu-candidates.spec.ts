import { type CatalogGpu, DEFAULT_GPU_REGISTRY, NoGpuFitsError, UnknownGpuTierError, gpuCandidates } from '@switchyard/deployments';

const gpu = (overrides: Partial<CatalogGpu> & Pick<CatalogGpu, 'id' | 'pool' | 'memoryGb'>): CatalogGpu => ({
  displayName: overrides.id.replace(/^NVIDIA (GeForce )?/, ''),
  serverlessPricePerHourUsd: 1,
  ...overrides,
});

const CATALOG: CatalogGpu[] = [
  gpu({ id: 'NVIDIA RTX A5000', pool: 'AMPERE_24', memoryGb: 24, serverlessPricePerHourUsd: 0.7 }),
  gpu({ id: 'NVIDIA L4', pool: 'AMPERE_24', memoryGb: 24, serverlessPricePerHourUsd: 0.6 }),
  gpu({ id: 'NVIDIA GeForce RTX 3090', pool: 'AMPERE_24', memoryGb: 24, serverlessPricePerHourUsd: 0.4, available: false }),
  gpu({ id: 'NVIDIA GeForce RTX 4090', pool: 'ADA_24', memoryGb: 24, serverlessPricePerHourUsd: 1.1 }),
  gpu({ id: 'NVIDIA A40', pool: 'AMPERE_48', memoryGb: 48, serverlessPricePerHourUsd: 1.1 }),
  gpu({ id: 'NVIDIA A100 80GB PCIe', pool: 'AMPERE_80', memoryGb: 80, serverlessPricePerHourUsd: 2.7 }),
  gpu({ id: 'NVIDIA H100 PCIe', pool: 'ADA_80_PRO', memoryGb: 80, serverlessPricePerHourUsd: 4.2, available: false }),
  gpu({ id: 'NVIDIA H200', pool: 'HOPPER_141', memoryGb: 141, serverlessPricePerHourUsd: 5.6 }),
  gpu({ id: 'NVIDIA RTX A4500', pool: undefined, memoryGb: 20 }),
  gpu({ id: 'NVIDIA B200', pool: 'BLACKWELL_180', memoryGb: 180, serverlessPricePerHourUsd: undefined }),
];

const pools = (candidates: { pool: string }[]) => candidates.map(({ pool }) => pool);

describe('gpuCandidates from the static registry', () => {
  it('lists every pool that fits, cheapest first, when there is no catalogue', () => {
    const candidates = gpuCandidates({ minVramGb: 24 });

    expect(pools(candidates)).toEqual(['AMPERE_24', 'ADA_24', 'AMPERE_48', 'ADA_48_PRO', 'AMPERE_80', 'ADA_80_PRO', 'HOPPER_141']);
    expect(candidates.every(({ source }) => source === 'registry')).toBe(true);
    expect(candidates[0]).toMatchObject({ memoryGb: 24, pricePerHourUsd: DEFAULT_GPU_REGISTRY[1].serverlessPricePerHourUsd });
  });

  it('keeps the registry in the seed’s order, cheapest to dearest', () => {
    const prices = DEFAULT_GPU_REGISTRY.map(({ serverlessPricePerHourUsd }) => serverlessPricePerHourUsd);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
    expect(DEFAULT_GPU_REGISTRY.map(({ pool }) => pool)).toEqual([
      'AMPERE_16',
      'AMPERE_24',
      'ADA_24',
      'AMPERE_48',
      'ADA_48_PRO',
      'AMPERE_80',
      'ADA_80_PRO',
      'HOPPER_141',
    ]);
  });

  it('takes a pool whose memory equals the need', () => {
    expect(pools(gpuCandidates({ minVramGb: 16 }))[0]).toBe('AMPERE_16');
    expect(pools(gpuCandidates({ minVramGb: 17 }))[0]).toBe('AMPERE_24');
  });

  it.each([
    ['A10', ['AMPERE_24']],
    ['a10', ['AMPERE_24']],
    ['L4', ['AMPERE_24']],
    ['RTX 4090', ['ADA_24']],
    ['rtx4090', ['ADA_24']],
    ['4090', ['ADA_24']],
    ['NVIDIA GeForce RTX 4090', ['ADA_24']],
    ['A40', ['AMPERE_48']],
    ['A6000', ['AMPERE_48']],
    ['L40S', ['ADA_48_PRO']],
    ['A100', ['AMPERE_80']],
    ['H100', ['ADA_80_PRO']],
    ['H200', ['HOPPER_141']],
    ['ada_48_pro', ['ADA_48_PRO']],
    [' ADA 24 ', ['ADA_24']],
    ['PRO', ['AMPERE_48', 'ADA_48_PRO']],
  ])('gpu_tier %j names %j', (tier, expected) => {
    expect(pools(gpuCandidates({ minVramGb: 8, tier }))).toEqual(expected);
  });

  it('refuses a tier it does not know, listing the accepted values', () => {
    const attempt = () => gpuCandidates({ minVramGb: 8, tier: 'TPU v5' });

    expect(attempt).toThrow(UnknownGpuTierError);
    expect(attempt).toThrow(/gpu_tier "TPU v5" names no GPU we know; accepted values: ECONOMY, STANDARD, PRO, ULTIMATE, AMPERE_16, A4000/);
    expect(attempt).toThrow(/\bH200\b/);
  });

  it('says the need and the largest GPU when nothing fits', () => {
    const attempt = () => gpuCandidates({ minVramGb: 162 });

    expect(attempt).toThrow(NoGpuFitsError);
    expect(attempt).toThrow('the model needs 162 GB of GPU memory; the largest GPU on offer has 141 GB');
  });

  it('says the tier is too small when only larger GPUs fit', () => {
    let error: unknown;
    try {
      gpuCandidates({ minVramGb: 28, tier: 'A10' });
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(NoGpuFitsError);
    expect(error).toMatchObject({
      field: 'gpu_tier',
      needGb: 28,
      largestGb: 141,
      message: 'gpu_tier "A10" is too small: its GPUs have 24 GB, the model needs 28 GB; the largest GPU on offer has 141 GB',
    });
  });
});

describe('gpuCandidates from the live catalogue', () => {
  it('groups GPUs by pool at the price of the cheapest available one, dropping unavailable and unpriced GPUs', () => {
    const candidates = gpuCandidates({ catalog: CATALOG, minVramGb: 24 });

    expect(candidates).toEqual([
      // the 3090 (0.40) is unavailable, so the L4 (0.60) prices AMPERE_24
      { pool: 'AMPERE_24', gpuNames: ['RTX A5000', 'L4'], memoryGb: 24, pricePerHourUsd: 0.6, source: 'catalog' },
      // 1.10 each: the smaller first
      { pool: 'ADA_24', gpuNames: ['RTX 4090'], memoryGb: 24, pricePerHourUsd: 1.1, source: 'catalog' },
      { pool: 'AMPERE_48', gpuNames: ['A40'], memoryGb: 48, pricePerHourUsd: 1.1, source: 'catalog' },
      { pool: 'AMPERE_80', gpuNames: ['A100 80GB PCIe'], memoryGb: 80, pricePerHourUsd: 2.7, source: 'catalog' },
      { pool: 'HOPPER_141', gpuNames: ['H200'], memoryGb: 141, pricePerHourUsd: 5.6, source: 'catalog' },
    ]);
  });

  it('counts on the smallest GPU of a mixed pool', () => {
    const catalog = [gpu({ id: 'big', pool: 'MIXED', memoryGb: 48 }), gpu({ id: 'small', pool: 'MIXED', memoryGb: 24 })];

    expect(gpuCandidates({ catalog, minVramGb: 24 })[0].memoryGb).toBe(24);
    expect(() => gpuCandidates({ catalog, minVramGb: 40 })).toThrow('the model needs 40 GB of GPU memory; the largest GPU on offer has 24 GB');
  });

  it('accepts the catalogue’s own pools as tiers', () => {
    const catalog = [gpu({ id: 'NVIDIA RTX PRO 6000', pool: 'BLACKWELL_96', memoryGb: 96 })];

    expect(pools(gpuCandidates({ catalog, minVramGb: 80, tier: 'blackwell_96' }))).toEqual(['BLACKWELL_96']);
    expect(pools(gpuCandidates({ catalog, minVramGb: 80, tier: 'RTX PRO 6000' }))).toEqual(['BLACKWELL_96']);
  });

  it('says when the tier has nothing on offer', () => {
    expect(() => gpuCandidates({ catalog: CATALOG, minVramGb: 40, tier: 'H100' })).toThrow(
      'gpu_tier "H100" has no GPU on offer; the model needs 40 GB of GPU memory and the largest GPU on offer has 141 GB',
    );
  });

  it('says when nothing at all is on offer', () => {
    expect(() => gpuCandidates({ catalog: [], minVramGb: 8 })).toThrow('the model needs 8 GB of GPU memory; no GPU is on offer');
  });
});
