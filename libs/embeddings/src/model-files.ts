import { readFile } from 'node:fs/promises';
import type { ModelStore, ResolvedModel } from '@switchyard/model-runtime';
import { EmbeddingModelError } from './errors';
import type { ModelSource } from './batch-encoder';

export type JsonObject = Record<string, unknown>;

/** A model's files, resolved to local paths by the model store. */
export class ModelFiles {
  private constructor(
    readonly repo: string,
    private readonly resolved: ResolvedModel,
  ) {}

  static async resolve(store: ModelStore, source: ModelSource, files: readonly string[]): Promise<ModelFiles> {
    return new ModelFiles(source.repo, await store.resolve({ repo: source.repo, revision: source.revision, files }));
  }

  /** The commit the files belong to; null for a model folder. */
  get revision(): string | null {
    return this.resolved.revision;
  }

  path(file: string): string {
    const found = this.resolved.files.find((candidate) => candidate.file === file);
    if (!found) throw new EmbeddingModelError(this.repo, `"${file}" was not resolved`);
    return found.path;
  }

  async json(file: string): Promise<JsonObject> {
    try {
      const value: unknown = JSON.parse(await readFile(this.path(file), 'utf8'));
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
      return value as JsonObject;
    } catch (error) {
      if (error instanceof EmbeddingModelError) throw error;
      throw new EmbeddingModelError(this.repo, `"${file}" is not a readable JSON object (${(error as Error).message})`);
    }
  }
}

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
