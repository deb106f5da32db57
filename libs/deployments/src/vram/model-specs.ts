import modelSpecs from './model-specs.json';

export interface ModelSpec {
  /** GPU memory the model needs to run, in GB. */
  minVramGb: number;
  /** The Hub task (pipeline tag) the model serves. */
  task: string;
}

/** Known models by Hub repo id. */
export type ModelSpecRegistry = Readonly<Record<string, ModelSpec>>;

export const DEFAULT_MODEL_SPECS: ModelSpecRegistry = modelSpecs.models;

/** The registry's entry for a repo id; the Hub treats ids case-insensitively, and so does this. */
export function findModelSpec(modelId: string, registry: ModelSpecRegistry = DEFAULT_MODEL_SPECS): ModelSpec | undefined {
  if (Object.hasOwn(registry, modelId)) return registry[modelId];
  const wanted = modelId.toLowerCase();
  const key = Object.keys(registry).find((candidate) => candidate.toLowerCase() === wanted);
  return key === undefined ? undefined : registry[key];
}
