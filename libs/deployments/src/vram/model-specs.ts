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

/**
 * The repo id of a known model named without its owner (the seed's `model_name`, e.g. `sd-turbo`);
 * undefined when no known model, or more than one, has that name.
 */
export function modelIdOfName(name: string, registry: ModelSpecRegistry = DEFAULT_MODEL_SPECS): string | undefined {
  const wanted = name.toLowerCase();
  const matches = Object.keys(registry).filter((id) => id.slice(id.indexOf('/') + 1).toLowerCase() === wanted);
  return matches.length === 1 ? matches[0] : undefined;
}
