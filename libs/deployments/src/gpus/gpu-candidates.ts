import type { CatalogGpu, GpuCandidate } from './catalog-gpu';
import { NoGpuFitsError } from './gpu-errors';
import { DEFAULT_GPU_REGISTRY } from './gpu-registry';
import { poolsOfGpuTier } from './gpu-tier';

export interface GpuCandidatesRequest {
  /** RunPod's live catalogue; without it, the built-in registry. */
  catalog?: readonly CatalogGpu[];
  minVramGb: number;
  /** The request's `gpu_tier`: only pools it names are candidates. */
  tier?: string;
}

/**
 * The pools an endpoint for the model could be created on, cheapest first (then the smallest that
 * fits), to try in order when RunPod answers that a pool has no capacity.
 */
export function gpuCandidates({ catalog, minVramGb, tier }: GpuCandidatesRequest): GpuCandidate[] {
  const onOffer = catalog ? poolsOfCatalog(catalog) : poolsOfRegistry();
  const requestedTier = tier?.trim() ? tier : undefined;
  const tierPools = requestedTier === undefined ? undefined : poolsOfGpuTier(requestedTier, catalog);
  const eligible = tierPools ? onOffer.filter(({ pool }) => tierPools.includes(pool)) : onOffer;
  const fitting = eligible.filter(({ memoryGb }) => memoryGb >= minVramGb).sort(cheapestThenSmallest);
  if (fitting.length === 0) {
    throw new NoGpuFitsError({ needGb: minVramGb, largestGb: largestMemory(onOffer), tier: requestedTier, tierLargestGb: largestMemory(eligible) });
  }
  return fitting;
}

function poolsOfRegistry(): GpuCandidate[] {
  return DEFAULT_GPU_REGISTRY.map(({ pool, gpuNames, memoryGb, serverlessPricePerHourUsd }) => ({
    pool,
    gpuNames: [...gpuNames],
    memoryGb,
    pricePerHourUsd: serverlessPricePerHourUsd,
    source: 'registry',
  }));
}

/** Endpoints take pools, not GPU types: a pool is on offer at the price of its cheapest available GPU. */
function poolsOfCatalog(catalog: readonly CatalogGpu[]): GpuCandidate[] {
  const pools = new Map<string, GpuCandidate>();
  for (const gpu of catalog) {
    if (gpu.pool === undefined || gpu.available === false || gpu.serverlessPricePerHourUsd === undefined) continue;
    const known = pools.get(gpu.pool);
    if (!known) {
      pools.set(gpu.pool, {
        pool: gpu.pool,
        gpuNames: [gpu.displayName],
        memoryGb: gpu.memoryGb,
        pricePerHourUsd: gpu.serverlessPricePerHourUsd,
        source: 'catalog',
      });
      continue;
    }
    known.gpuNames.push(gpu.displayName);
    known.memoryGb = Math.min(known.memoryGb, gpu.memoryGb);
    known.pricePerHourUsd = Math.min(known.pricePerHourUsd, gpu.serverlessPricePerHourUsd);
  }
  return [...pools.values()];
}

function cheapestThenSmallest(a: GpuCandidate, b: GpuCandidate): number {
  return a.pricePerHourUsd - b.pricePerHourUsd || a.memoryGb - b.memoryGb || a.pool.localeCompare(b.pool);
}

function largestMemory(pools: readonly GpuCandidate[]): number | undefined {
  return pools.length === 0 ? undefined : Math.max(...pools.map(({ memoryGb }) => memoryGb));
}
