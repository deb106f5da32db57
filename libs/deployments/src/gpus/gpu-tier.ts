import type { CatalogGpu } from './catalog-gpu';
import { UnknownGpuTierError } from './gpu-errors';
import { DEFAULT_GPU_REGISTRY, GPU_TIERS } from './gpu-registry';

/** `RTX 4090`, `rtx4090`, `NVIDIA GeForce RTX 4090` and `4090 ` all name the same thing. */
function normalise(name: string): string {
  return name
    .toUpperCase()
    .replace(/\b(NVIDIA|GEFORCE)\b/g, '')
    .replace(/[^A-Z0-9]/g, '');
}

/**
 * The pools a `gpu_tier` value names: a tier of the seed's (`ECONOMY`, `PRO`, …), a GPU (`A10`,
 * `RTX 4090`, a catalogue GPU's id or name) or a pool id itself (`ADA_24`).
 */
export function poolsOfGpuTier(tier: string, catalog?: readonly CatalogGpu[]): string[] {
  const names = new Map<string, Set<string>>();
  const accepted: string[] = [];
  const add = (name: string, pools: readonly string[], listed: boolean) => {
    const key = normalise(name);
    if (!names.has(key)) {
      names.set(key, new Set());
      if (listed) accepted.push(name);
    }
    for (const pool of pools) names.get(key)!.add(pool);
  };

  for (const [name, pools] of Object.entries(GPU_TIERS)) add(name, pools, true);
  for (const { pool, aliases, gpuNames } of DEFAULT_GPU_REGISTRY) {
    add(pool, [pool], true);
    for (const alias of aliases) add(alias, [pool], true);
    for (const gpuName of gpuNames) add(gpuName, [pool], false);
  }
  for (const gpu of catalog ?? []) {
    if (gpu.pool === undefined) continue;
    add(gpu.pool, [gpu.pool], true);
    add(gpu.id, [gpu.pool], false);
    add(gpu.displayName, [gpu.pool], false);
  }

  const pools = names.get(normalise(tier));
  if (!pools || normalise(tier) === '') throw new UnknownGpuTierError(tier, accepted);
  return [...pools];
}
