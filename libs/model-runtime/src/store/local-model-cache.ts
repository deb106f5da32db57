import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  type CacheMarker,
  type FileDigest,
  MARKERS_FOLDER,
  REFS_FOLDER,
  markerKey,
  mergeCacheMarker,
  parseCacheMarker,
  refKey,
  repoOfFolder,
  snapshotKey,
} from './cache-layout';
import { KeyedLock } from './keyed-lock';

export interface CachedModel {
  repo: string;
  revision: string;
  /** Branches and tags that resolved to this revision. */
  refs: string[];
  files: Record<string, FileDigest>;
  totalBytes: number;
  completedAt: string;
}

/** A cached file that is known to be complete. */
export interface CachedFile extends FileDigest {
  path: string;
}

async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function listIfExists(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * The local model cache folder. Files enter it only complete and verified: they are written to a
 * temporary file, then renamed into place; the marker of a revision lists the files that are in.
 */
export class LocalModelCache {
  private readonly markerLock = new KeyedLock();
  private readonly tempDir: string;

  constructor(readonly root: string) {
    // Inside the cache so that the final rename never crosses file systems.
    this.tempDir = join(root, '.tmp');
  }

  private pathOf(key: string): string {
    return join(this.root, ...key.split('/'));
  }

  filePath(repo: string, sha: string, file: string): string {
    return this.pathOf(snapshotKey(repo, sha, file));
  }

  async readRef(repo: string, revision: string): Promise<string | undefined> {
    return (await readTextIfExists(this.pathOf(refKey(repo, revision))))?.trim();
  }

  async writeRef(repo: string, revision: string, sha: string): Promise<void> {
    await this.writeAtomically(this.pathOf(refKey(repo, revision)), sha);
  }

  async readMarker(repo: string, sha: string): Promise<CacheMarker | undefined> {
    const text = await readTextIfExists(this.pathOf(markerKey(repo, sha)));
    return text === undefined ? undefined : parseCacheMarker(text, repo, sha);
  }

  /** The requested files that the marker lists and that are on disk with the listed size. */
  async completeFiles(repo: string, sha: string, files: readonly string[]): Promise<Map<string, CachedFile>> {
    const found = new Map<string, CachedFile>();
    const marker = await this.readMarker(repo, sha);
    if (!marker) return found;
    for (const file of files) {
      const digest = marker.files[file];
      if (!digest) continue;
      const path = this.filePath(repo, sha, file);
      const size = await stat(path).then(
        (stats) => stats.size,
        () => undefined,
      );
      if (size === digest.size) found.set(file, { ...digest, path });
    }
    return found;
  }

  /** A fresh path for a download in progress; `commitFile` or `discard` must follow. */
  async createTempPath(): Promise<string> {
    await mkdir(this.tempDir, { recursive: true });
    return join(this.tempDir, randomUUID());
  }

  async discard(tempPath: string): Promise<void> {
    await rm(tempPath, { force: true });
  }

  async commitFile(tempPath: string, repo: string, sha: string, file: string): Promise<string> {
    const path = this.filePath(repo, sha, file);
    await mkdir(dirname(path), { recursive: true });
    await rename(tempPath, path);
    return path;
  }

  async addToMarker(repo: string, sha: string, files: Readonly<Record<string, FileDigest>>): Promise<void> {
    await this.markerLock.run(`${repo}@${sha}`, async () => {
      const marker = mergeCacheMarker(await this.readMarker(repo, sha), repo, sha, files);
      await this.writeAtomically(this.pathOf(markerKey(repo, sha)), JSON.stringify(marker, null, 2));
    });
  }

  async list(): Promise<CachedModel[]> {
    const models: CachedModel[] = [];
    for (const folder of (await listIfExists(this.root)).sort()) {
      const repo = repoOfFolder(folder);
      if (!repo) continue;
      const refsDir = join(this.root, folder, REFS_FOLDER);
      const refs = await Promise.all(
        (await listIfExists(refsDir)).map(async (name) => ({
          name: decodeURIComponent(name),
          sha: (await readFile(join(refsDir, name), 'utf8')).trim(),
        })),
      );
      for (const markerFile of (await listIfExists(join(this.root, folder, MARKERS_FOLDER))).sort()) {
        const sha = markerFile.replace(/\.json$/, '');
        const marker = await this.readMarker(repo, sha);
        if (!marker) continue;
        models.push({
          repo,
          revision: sha,
          refs: refs.filter((ref) => ref.sha === sha).map((ref) => ref.name),
          files: marker.files,
          totalBytes: Object.values(marker.files).reduce((sum, digest) => sum + digest.size, 0),
          completedAt: marker.completedAt,
        });
      }
    }
    return models;
  }

  private async writeAtomically(path: string, content: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    const temp = await this.createTempPath();
    try {
      await writeFile(temp, content);
      await rename(temp, path);
    } catch (error) {
      await this.discard(temp);
      throw error;
    }
  }
}
