import { ModelFileMissingError, ModelNotCachedOfflineError, type JsonObject, type ModelStore } from '@switchyard/model-runtime';
import { DiffusionModelError } from './diffusion-errors';

export interface PipelineSource {
  readonly repo: string;
  readonly revision?: string;
}

/**
 * Fetches a graph's external weights (optimum's `model.onnx_data`, beside graphs over protobuf's
 * 2 GB) where the repository has them, so onnxruntime finds them next to the graph. Offline, a
 * cache without them is taken to be a graph without them (onnxruntime says so if it needs them).
 */
export async function fetchExternalData(store: ModelStore, source: PipelineSource, graph: string): Promise<void> {
  try {
    await store.resolve({ repo: source.repo, revision: source.revision, files: [`${graph}_data`] });
  } catch (error) {
    if (!(error instanceof ModelFileMissingError || error instanceof ModelNotCachedOfflineError)) throw error;
  }
}

/** A positive whole number of a config file. */
export function configCount(repo: string, file: string, config: JsonObject, key: string, fallback?: number): number {
  const value = config[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new DiffusionModelError(repo, file, `"${key}" must be a positive whole number, got ${JSON.stringify(config[key])}`);
  }
  return value;
}

/** A list of `length` finite numbers of a config file, or undefined when absent. */
export function configNumbers(repo: string, file: string, config: JsonObject, key: string, length: number): number[] | undefined {
  const value = config[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length !== length || !value.every((item) => typeof item === 'number' && Number.isFinite(item))) {
    throw new DiffusionModelError(repo, file, `"${key}" must be ${length} numbers, got ${JSON.stringify(value)}`);
  }
  return value as number[];
}
