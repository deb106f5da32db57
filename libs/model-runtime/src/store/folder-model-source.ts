import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelFileMissingError } from './errors';
import type { ValidModelRef } from './model-ref';

export interface FolderFile {
  file: string;
  path: string;
  size: number;
}

async function statIfExists(path: string) {
  return stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
}

/**
 * Models laid out as `<root>/<repo>/<file>` (hand-placed models, generated test models). The folder
 * has no revisions: whatever is there is used. A repo folder that exists but lacks a requested file
 * is an error rather than a reason to download, so that a misplaced file is noticed.
 */
export class FolderModelSource {
  constructor(readonly root: string) {}

  /** The requested files, or undefined when the folder has no such model. */
  async resolve(ref: ValidModelRef): Promise<FolderFile[] | undefined> {
    const modelDir = join(this.root, ...ref.repo.split('/'));
    if (!(await statIfExists(modelDir))?.isDirectory()) return undefined;
    return Promise.all(
      ref.files.map(async (file) => {
        const path = join(modelDir, ...file.split('/'));
        const stats = await statIfExists(path);
        if (!stats?.isFile()) throw new ModelFileMissingError(ref.repo, null, file, 'folder');
        return { file, path, size: stats.size };
      }),
    );
  }
}
