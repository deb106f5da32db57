import { createHash } from 'node:crypto';
import { CachedCatalog, type CatalogGpu } from '../gpus';
import type { CatalogSnapshot } from './deployment-plan';

/**
 * RunPod's GPU catalogue, cached per RunPod key (a key RunPod refuses is never cached, so it is
 * refused again on every use). Prices and stock are RunPod's own, but each caller's key must work.
 */
export class GpuCatalogs {
  private readonly catalogs = new Map<string, CachedCatalog>();

  constructor(private readonly ttlMs: number) {}

  snapshot(apiKey: string, load: () => Promise<CatalogGpu[]>): Promise<CatalogSnapshot> {
    const id = createHash('sha256').update(apiKey).digest('hex');
    let catalog = this.catalogs.get(id);
    if (!catalog) {
      catalog = new CachedCatalog({ load, ttlMs: this.ttlMs });
      this.catalogs.set(id, catalog);
    }
    return catalog.load();
  }
}
