/** RunPod's stock levels, as `GET /v2/catalog/gpus?include=AVAILABILITY` reports them. */
export type FakeStockLevel = 'NONE' | 'LOW' | 'MEDIUM' | 'HIGH';

/** A GPU type of the fake cloud's catalogue. Prices are USD per GPU per hour, as RunPod lists them. */
export interface FakeCatalogGpu {
  /** RunPod's GPU type id, e.g. `NVIDIA GeForce RTX 4090`. */
  id: string;
  /** Its short name, e.g. `RTX 4090`. */
  name: string;
  /** The serverless pool holding it; null for a type offered for pods only. */
  pool: string | null;
  memoryGb: number;
  price: { secure: number; community: number; serverless?: number };
  /** Stock now, for pods and serverless alike. */
  stock: FakeStockLevel;
  /** Where it is offered. Default: two data centres. */
  dataCenterIds?: string[];
}

// Pools and cards after reference.md; prices are RunPod's 2025 list prices, the serverless ones per pool
// (flex workers, per second × 3600).
const pool = (name: string, serverless: number) => ({ name, serverless });
const AMPERE_16 = pool('AMPERE_16', 0.58);
const AMPERE_24 = pool('AMPERE_24', 0.68);
const ADA_24 = pool('ADA_24', 1.1);
const AMPERE_48 = pool('AMPERE_48', 1.22);
const ADA_48_PRO = pool('ADA_48_PRO', 1.9);
const AMPERE_80 = pool('AMPERE_80', 2.72);
const ADA_80_PRO = pool('ADA_80_PRO', 4.18);
const HOPPER_141 = pool('HOPPER_141', 5.58);

function gpu(
  id: string,
  name: string,
  memoryGb: number,
  inPool: { name: string; serverless: number } | null,
  secure: number,
  community: number,
  stock: FakeStockLevel,
): FakeCatalogGpu {
  return { id, name, pool: inPool?.name ?? null, memoryGb, price: { secure, community, serverless: inPool?.serverless }, stock };
}

/** A catalogue like RunPod's: every serverless pool, some with several cards, and one card in no pool. */
export const DEFAULT_FAKE_GPU_CATALOG: readonly FakeCatalogGpu[] = [
  gpu('NVIDIA RTX A4000', 'RTX A4000', 16, AMPERE_16, 0.25, 0.17, 'HIGH'),
  gpu('NVIDIA A16', 'A16', 16, AMPERE_16, 0.27, 0.2, 'LOW'),
  gpu('NVIDIA RTX A5000', 'RTX A5000', 24, AMPERE_24, 0.27, 0.16, 'HIGH'),
  gpu('NVIDIA L4', 'L4', 24, AMPERE_24, 0.43, 0.39, 'MEDIUM'),
  gpu('NVIDIA GeForce RTX 3090', 'RTX 3090', 24, AMPERE_24, 0.46, 0.22, 'HIGH'),
  gpu('NVIDIA A10', 'A10', 24, AMPERE_24, 0.44, 0.35, 'LOW'),
  gpu('NVIDIA GeForce RTX 4090', 'RTX 4090', 24, ADA_24, 0.69, 0.34, 'HIGH'),
  gpu('NVIDIA RTX A6000', 'RTX A6000', 48, AMPERE_48, 0.49, 0.33, 'MEDIUM'),
  gpu('NVIDIA A40', 'A40', 48, AMPERE_48, 0.4, 0.35, 'LOW'),
  gpu('NVIDIA L40S', 'L40S', 48, ADA_48_PRO, 0.86, 0.79, 'MEDIUM'),
  gpu('NVIDIA L40', 'L40', 48, ADA_48_PRO, 0.99, 0.69, 'LOW'),
  gpu('NVIDIA RTX 6000 Ada Generation', 'RTX 6000 Ada', 48, ADA_48_PRO, 0.77, 0.74, 'MEDIUM'),
  gpu('NVIDIA A100 80GB PCIe', 'A100 PCIe', 80, AMPERE_80, 1.64, 1.19, 'LOW'),
  gpu('NVIDIA A100-SXM4-80GB', 'A100 SXM', 80, AMPERE_80, 1.74, 1.39, 'MEDIUM'),
  gpu('NVIDIA H100 80GB HBM3', 'H100 SXM', 80, ADA_80_PRO, 2.69, 2.39, 'MEDIUM'),
  gpu('NVIDIA H100 PCIe', 'H100 PCIe', 80, ADA_80_PRO, 2.39, 1.99, 'LOW'),
  gpu('NVIDIA H200', 'H200 SXM', 141, HOPPER_141, 3.59, 3.59, 'LOW'),
  gpu('NVIDIA GeForce RTX 5090', 'RTX 5090', 32, null, 0.94, 0.69, 'HIGH'),
];
