import { z } from 'zod';

// One layout for the local cache folder and the S3 cache, relative to their root:
//   models--<owner>--<name>/refs/<revision>            the commit sha a branch or tag resolved to
//   models--<owner>--<name>/snapshots/<sha>/<file>      the files
//   models--<owner>--<name>/markers/<sha>.json          completion marker, written after its files
// Flattening the repo id into one folder name (as the Hugging Face cache does) keeps `owner/name`
// from colliding with a single-segment repo's own folders; model ids cannot contain `--`.

const REPO_FOLDER_PREFIX = 'models--';

export function repoFolder(repo: string): string {
  return REPO_FOLDER_PREFIX + repo.split('/').join('--');
}

/** The repo id a cache folder holds, or undefined for anything else. */
export function repoOfFolder(folder: string): string | undefined {
  if (!folder.startsWith(REPO_FOLDER_PREFIX)) return undefined;
  return folder.slice(REPO_FOLDER_PREFIX.length).split('--').join('/');
}

export function refKey(repo: string, revision: string): string {
  return `${repoFolder(repo)}/refs/${encodeURIComponent(revision)}`;
}

export function snapshotKey(repo: string, sha: string, file: string): string {
  return `${repoFolder(repo)}/snapshots/${sha}/${file}`;
}

export function markerKey(repo: string, sha: string): string {
  return `${repoFolder(repo)}/markers/${sha}.json`;
}

export const MARKERS_FOLDER = 'markers';
export const REFS_FOLDER = 'refs';

export interface FileDigest {
  size: number;
  sha256: string;
}

const fileDigestSchema = z.object({ size: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });

const cacheMarkerSchema = z.object({
  repo: z.string(),
  revision: z.string(),
  completedAt: z.string(),
  files: z.record(z.string(), fileDigestSchema),
});

/** Lists the files of one model revision that a cache holds completely, with their size and sha256. */
export type CacheMarker = z.infer<typeof cacheMarkerSchema>;

/** Parses a marker's JSON text; undefined when it is not a valid marker for this model (treated as absent). */
export function parseCacheMarker(text: string, repo: string, revision: string): CacheMarker | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = cacheMarkerSchema.safeParse(json);
  if (!parsed.success || parsed.data.repo !== repo || parsed.data.revision !== revision) return undefined;
  return parsed.data;
}

export function mergeCacheMarker(previous: CacheMarker | undefined, repo: string, revision: string, files: Readonly<Record<string, FileDigest>>): CacheMarker {
  return {
    repo,
    revision,
    completedAt: new Date().toISOString(),
    files: { ...previous?.files, ...files },
  };
}
