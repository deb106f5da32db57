import type { Tier } from './architectures';

/** Seeds a graph's weights: distinct per repository, file and tier, stable across runs. */
export function graphSeed(repoId: string, file: string, tier: Tier): string {
  return `${repoId}/${file}@${tier}`;
}
