import { CachedCatalog, type CatalogGpu } from '@switchyard/deployments';

const CATALOG: CatalogGpu[] = [{ id: 'NVIDIA L4', displayName: 'L4', pool: 'AMPERE_24', memoryGb: 24, serverlessPricePerHourUsd: 0.6 }];

describe('CachedCatalog', () => {
  let clock: number;
  let loads: number;
  let answer: () => Promise<readonly CatalogGpu[]>;
  let catalog: CachedCatalog;

  beforeEach(() => {
    clock = 0;
    loads = 0;
    answer = async () => CATALOG;
    catalog = new CachedCatalog({
      load: () => {
        loads += 1;
        return answer();
      },
      ttlMs: 300_000,
      failureTtlMs: 30_000,
      now: () => clock,
    });
  });

  it('reads the catalogue once per TTL', async () => {
    await expect(catalog.load()).resolves.toEqual({ gpus: CATALOG, source: 'catalog' });
    clock = 299_999;
    await catalog.load();
    expect(loads).toBe(1);

    clock = 300_000;
    await catalog.load();
    expect(loads).toBe(2);
  });

  it('shares one read among concurrent callers', async () => {
    let release!: () => void;
    answer = () => new Promise((resolve) => (release = () => resolve(CATALOG)));

    const pending = [catalog.load(), catalog.load(), catalog.load()];
    release();
    const snapshots = await Promise.all(pending);

    expect(loads).toBe(1);
    expect(snapshots.every((snapshot) => snapshot.gpus === CATALOG)).toBe(true);
  });

  it('falls back to the registry and says why when the read fails, then tries again after the failure TTL', async () => {
    answer = async () => {
      throw new Error('503 Service Unavailable');
    };

    await expect(catalog.load()).resolves.toEqual({
      source: 'registry',
      problem: "RunPod's GPU catalogue could not be read (503 Service Unavailable); using the built-in GPU registry",
    });
    clock = 29_999;
    await catalog.load();
    expect(loads).toBe(1);

    answer = async () => CATALOG;
    clock = 30_000;
    await expect(catalog.load()).resolves.toMatchObject({ source: 'catalog' });
    expect(loads).toBe(2);
  });

  it('answers candidates from whichever source it has', async () => {
    await expect(catalog.candidates({ minVramGb: 16 })).resolves.toEqual({
      source: 'catalog',
      candidates: [{ pool: 'AMPERE_24', gpuNames: ['L4'], memoryGb: 24, pricePerHourUsd: 0.6, source: 'catalog' }],
    });

    catalog.invalidate();
    answer = async () => {
      throw new Error('timeout');
    };
    const fallback = await catalog.candidates({ minVramGb: 16 });
    expect(fallback.source).toBe('registry');
    expect(fallback.problem).toContain('timeout');
    expect(fallback.candidates[0]).toMatchObject({ pool: 'AMPERE_16', source: 'registry' });
  });
});
