/** A GPU type from RunPod's live catalogue, as the RunPod REST client hands it over. */
export type { CatalogGpu } from '@switchyard/runpod';

/** A pool an endpoint can be created on, with the price of its cheapest GPU. */
export interface GpuCandidate {
  pool: string;
  gpuNames: string[];
  /** The smallest memory among the pool's GPUs: what a worker can count on. */
  memoryGb: number;
  pricePerHourUsd: number;
  source: 'catalog' | 'registry';
}
