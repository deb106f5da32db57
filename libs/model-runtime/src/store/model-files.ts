import { readFile } from 'node:fs/promises';
import { UnreadableModelFileError } from './errors';
import type { ModelRef } from './model-ref';
import type { ModelStore, ResolvedModel } from './model-store';

export type JsonObject = Record<string, unknown>;

/** A model's files, resolved to local paths by the model store, read as text or as JSON objects. */
export class ModelFiles {
  private constructor(
    readonly repo: string,
    private readonly resolved: ResolvedModel,
  ) {}

  static async resolve(store: ModelStore, source: Pick<ModelRef, 'repo' | 'revision'>, files: readonly string[]): Promise<ModelFiles> {
    return new ModelFiles(source.repo, await store.resolve({ repo: source.repo, revision: source.revision, files }));
  }

  /** The commit the files belong to; null for a model folder. */
  get revision(): string | null {
    return this.resolved.revision;
  }

  path(file: string): string {
    const found = this.resolved.files.find((candidate) => candidate.file === file);
    if (!found) throw new UnreadableModelFileError(this.repo, file, 'was not resolved');
    return found.path;
  }

  text(file: string): Promise<string> {
    return readFile(this.path(file), 'utf8');
  }

  async json(file: string): Promise<JsonObject> {
    let value: unknown;
    try {
      value = JSON.parse(await this.text(file));
    } catch (error) {
      throw new UnreadableModelFileError(this.repo, file, `is not readable JSON (${(error as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UnreadableModelFileError(this.repo, file, 'is not a JSON object');
    return value as JsonObject;
  }
}
