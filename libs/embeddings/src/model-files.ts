import { EmbeddingModelError } from './errors';

export { ModelFiles, type JsonObject } from '@switchyard/model-runtime';

/** A positive whole number from a config file, or undefined when absent. */
export function optionalCount(repo: string, file: string, key: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new EmbeddingModelError(repo, `"${key}" in ${file} must be a positive whole number, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function requiredCount(repo: string, file: string, key: string, value: unknown): number {
  const count = optionalCount(repo, file, key, value);
  if (count === undefined) throw new EmbeddingModelError(repo, `${file} has no "${key}"`);
  return count;
}
