import { type FileDigest } from './cache-layout';
import {
  ModelFetchError,
  ModelFileChecksumMismatchError,
  ModelFileSizeMismatchError,
  ModelNotCachedOfflineError,
  type ModelSourceName,
  ModelStoreError,
} from './errors';
import { digestFile } from './file-digest';
import { FolderModelSource } from './folder-model-source';
import { type HubFile, HubModelSource, type HubOptions } from './hub-model-source';
import { type CachedFile, type CachedModel, LocalModelCache } from './local-model-cache';
import { type ModelRef, type ValidModelRef, isCommitSha, validateModelRef } from './model-ref';
import { type RangeReader, downloadInRanges } from './ranged-download';
import { type S3CacheOptions, S3ModelCache } from './s3-model-cache';
import { SingleFlight } from './single-flight';

export interface ModelStoreLogger {
  warn(details: object, message: string): void;
}

export interface DownloadOptions {
  /** Files larger than this are fetched as parallel byte ranges of this size. Default 16 MiB. */
  rangeBytes?: number;
  /** Ranges of one file in flight at once. Default 4. */
  concurrency?: number;
}

export interface ModelStoreOptions {
  /** Where downloaded models are kept (absolute path). */
  cacheDir: string;
  /** A folder of ready models laid out as `<modelDir>/<repo>/<file>`, tried first. */
  modelDir?: string;
  hub?: HubOptions;
  /** Never contact the Hub: only the folder and the caches (local, and S3 when configured) are used. */
  offline?: boolean;
  s3?: S3CacheOptions;
  download?: DownloadOptions;
  /** Receives problems that do not fail a resolve (an unreachable S3 cache, a failed write-back). */
  logger?: ModelStoreLogger;
}

export interface ResolvedModelFile {
  file: string;
  /** Absolute local path. */
  path: string;
  size: number;
  /** Known for cached files; files of the model folder are not hashed. */
  sha256?: string;
  source: ModelSourceName;
}

export interface ResolvedModel {
  repo: string;
  /** The commit sha the files belong to; null for the model folder, which has no revisions. */
  revision: string | null;
  /** In the order they were requested. */
  files: ResolvedModelFile[];
}

export interface DownloadProgress {
  repo: string;
  revision: string;
  file: string;
  source: 's3' | 'hub';
  bytesDone: number;
  bytesTotal: number;
}

export interface ResolveOptions {
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
}

interface ExpectedFile {
  file: string;
  size: number;
  sha256?: string;
  gitSha1?: string;
}

interface FetchContext {
  ref: ValidModelRef;
  sha: string;
  signal: AbortSignal;
  emit: (progress: DownloadProgress) => void;
}

const DEFAULT_RANGE_BYTES = 16 * 1024 * 1024;
const DEFAULT_CONCURRENCY = 4;

const consoleLogger: ModelStoreLogger = { warn: (details, message) => console.warn(message, details) };

/**
 * Resolves a model reference to local files: from the model folder, else the local cache, else the
 * S3 cache, else the Hugging Face Hub. Anything downloaded is verified and cached locally; files
 * fetched from the Hub are also written back to the S3 cache.
 */
export class ModelStore {
  private readonly folder?: FolderModelSource;
  private readonly cache: LocalModelCache;
  private readonly s3?: S3ModelCache;
  /** Absent in offline mode. */
  private readonly hub?: HubModelSource;
  private readonly logger: ModelStoreLogger;
  private readonly rangeBytes: number;
  private readonly concurrency: number;
  private readonly flights = new SingleFlight<ResolvedModel, DownloadProgress>();

  constructor(options: ModelStoreOptions) {
    this.folder = options.modelDir === undefined ? undefined : new FolderModelSource(options.modelDir);
    this.cache = new LocalModelCache(options.cacheDir);
    this.s3 = options.s3 && new S3ModelCache(options.s3);
    this.hub = options.offline ? undefined : new HubModelSource(options.hub ?? {});
    this.logger = options.logger ?? consoleLogger;
    this.rangeBytes = options.download?.rangeBytes ?? DEFAULT_RANGE_BYTES;
    this.concurrency = options.download?.concurrency ?? DEFAULT_CONCURRENCY;
  }

  /** Local paths of the requested files. Concurrent calls for the same files share one download. */
  async resolve(ref: ModelRef, options: ResolveOptions = {}): Promise<ResolvedModel> {
    const valid = validateModelRef(ref);
    const inFolder = await this.folder?.resolve(valid);
    if (inFolder) {
      return { repo: valid.repo, revision: null, files: inFolder.map((file) => ({ ...file, source: 'folder' })) };
    }
    const key = [valid.repo, valid.revision, ...[...valid.files].sort()].join('\n');
    return this.flights.run(key, (signal, emit) => this.resolveCached(valid, signal, emit), {
      signal: options.signal,
      onEvent: options.onProgress,
    });
  }

  /** Models in the local cache. */
  listCached(): Promise<CachedModel[]> {
    return this.cache.list();
  }

  close(): void {
    this.s3?.destroy();
  }

  private async resolveCached(ref: ValidModelRef, signal: AbortSignal, emit: (progress: DownloadProgress) => void): Promise<ResolvedModel> {
    const { sha, pinnedLocally } = await this.resolveRevision(ref, signal);
    const resolved = new Map<string, ResolvedModelFile>();
    for (const [file, cached] of await this.cache.completeFiles(ref.repo, sha, ref.files)) {
      resolved.set(file, { file, ...cached, source: 'cache' });
    }
    const missing = ref.files.filter((file) => !resolved.has(file));
    if (missing.length > 0) {
      const fetched = await this.fetchMissing({ ref, sha, signal, emit }, missing);
      for (const [file, cached] of fetched.files) resolved.set(file, { file, ...cached, source: fetched.source });
      await this.cache.addToMarker(ref.repo, sha, digestsOf(fetched.files));
    }
    if (!pinnedLocally) await this.cache.writeRef(ref.repo, ref.revision, sha);
    return { repo: ref.repo, revision: sha, files: ref.files.map((file) => resolved.get(file)!) };
  }

  /** The commit sha of the requested revision: local ref, then S3 ref, then the Hub. */
  private async resolveRevision(ref: ValidModelRef, signal: AbortSignal): Promise<{ sha: string; pinnedLocally: boolean }> {
    if (isCommitSha(ref.revision)) return { sha: ref.revision, pinnedLocally: true };
    const local = await this.cache.readRef(ref.repo, ref.revision);
    if (local) return { sha: local, pinnedLocally: true };
    const fromS3 = await this.tryS3(ref, signal, (s3) => s3.readRef(ref.repo, ref.revision, signal));
    if (fromS3) return { sha: fromS3, pinnedLocally: false };
    if (!this.hub) throw new ModelNotCachedOfflineError(ref.repo, ref.revision, ref.files);
    return { sha: await this.hub.resolveRevision(ref.repo, ref.revision, signal), pinnedLocally: false };
  }

  private async fetchMissing(context: FetchContext, missing: readonly string[]): Promise<{ source: 's3' | 'hub'; files: Map<string, CachedFile> }> {
    const { ref, sha, signal } = context;
    const s3 = this.s3;
    const marker = await this.tryS3(ref, signal, (cache) => cache.readMarker(ref.repo, sha, signal));
    if (s3 && marker && missing.every((file) => marker.files[file])) {
      const expected = missing.map((file) => ({ file, ...marker.files[file] }));
      const files = await this.fetchFiles(context, 's3', expected, async ({ file, size }) => s3.fileReader(ref.repo, sha, file, size));
      return { source: 's3', files };
    }

    const hub = this.hub;
    if (!hub) throw new ModelNotCachedOfflineError(ref.repo, ref.revision, missing);
    const expected: HubFile[] = await hub.describeFiles(ref.repo, sha, missing, signal);
    const files = await this.fetchFiles(context, 'hub', expected, (file) => hub.fileReader(ref.repo, sha, file.file, signal));
    if (s3?.writeBack) await this.writeBack(s3, ref, sha, files);
    return { source: 'hub', files };
  }

  private async fetchFiles(
    context: FetchContext,
    source: 's3' | 'hub',
    expected: readonly ExpectedFile[],
    readerOf: (file: ExpectedFile) => Promise<RangeReader>,
  ): Promise<Map<string, CachedFile>> {
    const files = new Map<string, CachedFile>();
    for (const file of expected) files.set(file.file, await this.fetchFile(context, source, file, readerOf));
    return files;
  }

  /** Downloads one file to a temporary path, verifies it, and only then moves it into the cache. */
  private async fetchFile(
    { ref, sha, signal, emit }: FetchContext,
    source: 's3' | 'hub',
    expected: ExpectedFile,
    readerOf: (file: ExpectedFile) => Promise<RangeReader>,
  ): Promise<CachedFile> {
    const temp = await this.cache.createTempPath();
    try {
      const progress: DownloadProgress = {
        repo: ref.repo,
        revision: sha,
        file: expected.file,
        source,
        bytesDone: 0,
        bytesTotal: expected.size,
      };
      emit({ ...progress });
      const received = await downloadInRanges(await readerOf(expected), temp, {
        rangeBytes: this.rangeBytes,
        concurrency: this.concurrency,
        signal,
        onBytes: (bytes) => {
          progress.bytesDone += bytes;
          emit({ ...progress });
        },
      });
      if (!received.complete || received.bytesReceived !== expected.size) {
        throw new ModelFileSizeMismatchError(ref.repo, sha, expected.file, source, expected.size, received.bytesReceived);
      }
      const digest = await digestFile(temp, signal);
      verifyDigest(ref.repo, sha, source, expected, digest);
      const path = await this.cache.commitFile(temp, ref.repo, sha, expected.file);
      return { path, size: digest.size, sha256: digest.sha256 };
    } catch (error) {
      await this.cache.discard(temp);
      signal.throwIfAborted();
      if (error instanceof ModelStoreError) throw error;
      throw new ModelFetchError(ref.repo, source, `download "${expected.file}"`, error);
    }
  }

  /** Copies files fetched from the Hub into the S3 cache; a failure only costs the next cold start a Hub download. */
  private async writeBack(s3: S3ModelCache, ref: ValidModelRef, sha: string, files: Map<string, CachedFile>): Promise<void> {
    try {
      const uploads = [...files].map(([file, cached]) => ({ file, path: cached.path, digest: digestOf(cached) }));
      await s3.upload(ref.repo, sha, uploads, ref.revision === sha ? [] : [ref.revision]);
    } catch (error) {
      const details = { err: error, repo: ref.repo, revision: sha, s3: s3.location };
      this.logger.warn(details, 'Could not write the model back to the S3 cache');
    }
  }

  /** Runs an S3 cache read; an unreachable cache is logged and skipped rather than failing the resolve. */
  private async tryS3<T>(ref: ValidModelRef, signal: AbortSignal, read: (s3: S3ModelCache) => Promise<T>): Promise<T | undefined> {
    if (!this.s3) return undefined;
    try {
      return await read(this.s3);
    } catch (error) {
      signal.throwIfAborted();
      this.logger.warn({ err: error, repo: ref.repo, s3: this.s3.location }, 'The S3 model cache could not be read; skipping it');
      return undefined;
    }
  }
}

function digestOf(file: CachedFile): FileDigest {
  return { size: file.size, sha256: file.sha256 };
}

function digestsOf(files: ReadonlyMap<string, CachedFile>): Record<string, FileDigest> {
  return Object.fromEntries([...files].map(([file, cached]) => [file, digestOf(cached)]));
}

function verifyDigest(
  repo: string,
  sha: string,
  source: 's3' | 'hub',
  expected: ExpectedFile,
  actual: { size: number; sha256: string; gitSha1: string },
): void {
  if (actual.size !== expected.size) {
    throw new ModelFileSizeMismatchError(repo, sha, expected.file, source, expected.size, actual.size);
  }
  if (expected.sha256 !== undefined && actual.sha256 !== expected.sha256) {
    throw new ModelFileChecksumMismatchError(repo, sha, expected.file, source, 'sha256', expected.sha256, actual.sha256);
  }
  if (expected.gitSha1 !== undefined && actual.gitSha1 !== expected.gitSha1) {
    throw new ModelFileChecksumMismatchError(repo, sha, expected.file, source, 'git-sha1', expected.gitSha1, actual.gitSha1);
  }
}
