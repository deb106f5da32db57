import { loadModelRuntimeConfig, ModelStore } from '@switchyard/model-runtime';
import { loadTextModelRegistry, textModelSpec, type TextModelRegistry, type TextModelSpec } from '@switchyard/text-detection';
import type { GatewayConfig } from '../config';

/** A registry model as this gateway knows it: its files' description, or why they cannot be read here. */
export type CatalogEntry = { modelId: string; spec: TextModelSpec } | { modelId: string; unavailable: string };

/**
 * The text detector's models as the gateway serves them: the same registry as the detector
 * worker's (TEXT_DETECTOR_MODELS…), and each model's files through the model store, for the
 * client backend (the browser downloads them) and for routing by size. A model whose files this
 * gateway cannot read is still routed to the workers, which have their own model store.
 */
export class TextModelCatalog {
  private constructor(
    readonly registry: TextModelRegistry,
    private readonly entries: ReadonlyMap<string, CatalogEntry>,
  ) {}

  static async load(
    config: Pick<GatewayConfig, 'TEXT_DETECTOR_MODELS' | 'TEXT_DETECTOR_MODELS_FILE' | 'TEXT_DETECTOR_DEFAULT_MODEL'>,
    environment = process.env,
  ) {
    const registry = loadTextModelRegistry({
      json: config.TEXT_DETECTOR_MODELS,
      file: config.TEXT_DETECTOR_MODELS_FILE,
      defaultModel: config.TEXT_DETECTOR_DEFAULT_MODEL,
    });
    // Offline: the gateway reads what the folder and caches hold at start-up, and never downloads weights itself.
    const store = new ModelStore({ ...loadModelRuntimeConfig(environment).store, offline: true });
    const entries = await Promise.all(
      registry.ids.map(async (modelId): Promise<CatalogEntry> => {
        try {
          return { modelId, spec: await textModelSpec(store, registry, modelId) };
        } catch (error) {
          return { modelId, unavailable: (error as Error).message };
        }
      }),
    );
    return new TextModelCatalog(registry, new Map(entries.map((entry) => [entry.modelId, entry])));
  }

  get defaultModel(): string {
    return this.registry.defaultModel;
  }

  get ids(): string[] {
    return this.registry.ids;
  }

  has(modelId: string): boolean {
    return this.entries.has(modelId);
  }

  entry(modelId: string): CatalogEntry | undefined {
    return this.entries.get(modelId);
  }

  /** The model's files when this gateway can read them. */
  spec(modelId: string): TextModelSpec | undefined {
    const entry = this.entries.get(modelId);
    return entry && 'spec' in entry ? entry.spec : undefined;
  }
}
