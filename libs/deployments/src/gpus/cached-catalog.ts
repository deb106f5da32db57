import type { CatalogGpu, GpuCandidate } from './catalog-gpu';
import { gpuCandidates } from './gpu-candidates';

export interface CatalogSnapshot {
  /** The live catalogue; undefined when it could not be read and the built-in registry stands in. */
  gpus?: readonly CatalogGpu[];
  source: 'catalog' | 'registry';
  /** Why the registry stands in. */
  problem?: string;
}

export interface CachedCatalogOptions {
  /** Reads RunPod's live catalogue (`GET /v2/catalog/gpus`). */
  load: () => Promise<readonly CatalogGpu[]>;
  /** How long a catalogue read is used; 5 minutes unless given. */
  ttlMs?: number;
  /** How long to use the registry after a failed read before trying again; 30 seconds unless given. */
  failureTtlMs?: number;
  now?: () => number;
  /** Errors the registry must not paper over (a RunPod key RunPod refuses): thrown to the caller, and nothing is cached. */
  isCallersFault?: (error: unknown) => boolean;
}

export interface CatalogCandidates {
  candidates: GpuCandidate[];
  source: 'catalog' | 'registry';
  problem?: string;
}

/**
 * RunPod's GPU catalogue, read at most once per TTL however many deployments ask at once, with the
 * built-in registry standing in (and saying so) when the read fails.
 */
export class CachedCatalog {
  private cached?: { snapshot: CatalogSnapshot; expiresAt: number };
  private loading?: Promise<CatalogSnapshot>;
  private readonly ttlMs: number;
  private readonly failureTtlMs: number;
  private readonly now: () => number;

  constructor(private readonly options: CachedCatalogOptions) {
    this.ttlMs = options.ttlMs ?? 5 * 60_000;
    this.failureTtlMs = options.failureTtlMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  async load(): Promise<CatalogSnapshot> {
    if (this.cached && this.now() < this.cached.expiresAt) return this.cached.snapshot;
    this.loading ??= this.read().finally(() => (this.loading = undefined));
    return this.loading;
  }

  async candidates(request: { minVramGb: number; tier?: string }): Promise<CatalogCandidates> {
    const { gpus, source, problem } = await this.load();
    return { candidates: gpuCandidates({ ...request, catalog: gpus }), source, ...(problem !== undefined && { problem }) };
  }

  /** The next load reads the catalogue again. */
  invalidate(): void {
    this.cached = undefined;
  }

  private async read(): Promise<CatalogSnapshot> {
    try {
      const gpus = await this.options.load();
      return this.remember({ gpus, source: 'catalog' }, this.ttlMs);
    } catch (error) {
      if (this.options.isCallersFault?.(error)) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      return this.remember(
        { source: 'registry', problem: `RunPod's GPU catalogue could not be read (${reason}); using the built-in GPU registry` },
        this.failureTtlMs,
      );
    }
  }

  private remember(snapshot: CatalogSnapshot, ttlMs: number): CatalogSnapshot {
    this.cached = { snapshot, expiresAt: this.now() + ttlMs };
    return snapshot;
  }
}
