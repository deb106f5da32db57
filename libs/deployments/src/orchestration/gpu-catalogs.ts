import { createHash } from 'node:crypto';
import { RunPodAuthError } from '@switchyard/runpod';
import { CachedCatalog, type CatalogSnapshot } from '../gpus/cached-catalog';
import type { CatalogGpu } from '../gpus/catalog-gpu';

/**
 * RunPod's GPU catalogue, cached per RunPod key: prices and stock are RunPod's own, but each
 * caller's key must work. A key RunPod refuses fails the call, and again on every use; the static
 * registry stands in only when RunPod cannot answer.
 */
export class GpuCatalogs {
  private readonly catalogs = new Map<string, CachedCatalog>();

  constructor(private readonly ttlMs: number) {}

  snapshot(apiKey: string, load: () => Promise<readonly CatalogGpu[]>): Promise<CatalogSnapshot> {
    const id = createHash('sha256').update(apiKey).digest('hex');
    let catalog = this.catalogs.get(id);
    if (!catalog) {
      catalog = new CachedCatalog({ load, ttlMs: this.ttlMs, isCallersFault: (error) => error instanceof RunPodAuthError });
      this.catalogs.set(id, catalog);
    }
    return catalog.load();
  }
}
