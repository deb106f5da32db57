import gpuRegistry from './gpu-registry.json';

export interface RegistryPool {
  pool: string;
  gpuNames: readonly string[];
  memoryGb: number;
  serverlessPricePerHourUsd: number;
  /** gpu_tier values that name this pool alone. */
  aliases: readonly string[];
}

/** The fallback pools, cheapest first, for when RunPod's live catalogue cannot be read. */
export const DEFAULT_GPU_REGISTRY: readonly RegistryPool[] = gpuRegistry.pools;

/** gpu_tier values that name several pools at once. */
export const GPU_TIERS: Readonly<Record<string, readonly string[]>> = gpuRegistry.tiers;
