/** A GPU type from RunPod's live catalogue, as the RunPod REST client hands it over. */
export interface CatalogGpu {
  /** RunPod's GPU type id, e.g. `NVIDIA GeForce RTX 4090`. */
  id: string;
  displayName: string;
  /** The serverless pool it belongs to, e.g. `ADA_24`; GPUs without one are not offered to endpoints. */
  pool?: string;
  memoryGb: number;
  /** Per running worker; absent when the GPU is not offered to serverless. */
  serverlessPricePerHourUsd?: number;
  available?: boolean;
  stockStatus?: string;
}

/** A pool an endpoint can be created on, with the price of its cheapest GPU. */
export interface GpuCandidate {
  pool: string;
  gpuNames: string[];
  /** The smallest memory among the pool's GPUs: what a worker can count on. */
  memoryGb: number;
  pricePerHourUsd: number;
  source: 'catalog' | 'registry';
}
