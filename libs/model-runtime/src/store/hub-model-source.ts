import { HubApiError, downloadFile, fileDownloadInfo, modelInfo, pathsInfo } from '@huggingface/hub';
import { ModelAccessDeniedError, ModelFetchError, ModelFileMissingError, UnknownModelError } from './errors';
import type { RangeReader } from './ranged-download';

export interface HubOptions {
  /** Base URL of the Hub (or a mirror); https://huggingface.co when left out. */
  url?: string;
  /** A Hugging Face access token (`hf_…`) for private and gated models. */
  accessToken?: string;
}

export const DEFAULT_HUB_URL = 'https://huggingface.co';

/** What the Hub says a file is, to verify the download against. */
export interface HubFile {
  file: string;
  size: number;
  /** For files stored with LFS: the sha256 of the content. */
  sha256?: string;
  /** For files stored in git itself: the git blob id of the content. */
  gitSha1?: string;
}

/** Reads models from the Hugging Face Hub through @huggingface/hub, with a pinned commit. */
export class HubModelSource {
  readonly url: string;

  constructor(private readonly options: HubOptions) {
    this.url = (options.url ?? DEFAULT_HUB_URL).replace(/\/+$/, '');
  }

  private params(signal: AbortSignal) {
    return {
      hubUrl: this.url,
      accessToken: this.options.accessToken,
      fetch: (input: string | URL | Request, init?: RequestInit) => fetch(input, { ...init, signal }),
    };
  }

  /** The commit sha a branch, tag or sha names. */
  async resolveRevision(repo: string, revision: string, signal: AbortSignal): Promise<string> {
    const info = await this.call(repo, revision, 'resolve the revision', signal, () =>
      modelInfo({ ...this.params(signal), name: repo, revision, additionalFields: ['sha'] }),
    );
    if (typeof info.sha !== 'string') {
      throw new ModelFetchError(repo, 'hub', 'resolve the revision', new Error('the answer had no commit sha'));
    }
    return info.sha;
  }

  async describeFiles(repo: string, sha: string, files: readonly string[], signal: AbortSignal): Promise<HubFile[]> {
    const infos = await this.call(repo, sha, 'list the files', signal, () => pathsInfo({ ...this.params(signal), repo, revision: sha, paths: [...files] }));
    const byPath = new Map(infos.filter((info) => info.type === 'file').map((info) => [info.path, info]));
    return files.map((file) => {
      const info = byPath.get(file);
      if (!info) throw new ModelFileMissingError(repo, sha, file, 'hub');
      return info.lfs ? { file, size: info.lfs.size, sha256: info.lfs.oid } : { file, size: info.size, gitSha1: info.oid };
    });
  }

  async fileReader(repo: string, sha: string, file: string, signal: AbortSignal): Promise<RangeReader> {
    const location = { repo, path: file, revision: sha, xet: false as const };
    const info = await this.call(repo, sha, `locate "${file}"`, signal, () => fileDownloadInfo({ ...this.params(signal), ...location }));
    if (!info) throw new ModelFileMissingError(repo, sha, file, 'hub');
    return {
      size: info.size,
      openRange: async (start, end, rangeSignal) => {
        // Passing downloadInfo makes downloadFile build the blob without another request.
        const blob = await downloadFile({ ...this.params(rangeSignal), ...location, downloadInfo: info });
        if (!blob) throw new ModelFileMissingError(repo, sha, file, 'hub');
        return blob.slice(start, end).stream();
      },
    };
  }

  private async call<T>(repo: string, revision: string, action: string, signal: AbortSignal, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      signal.throwIfAborted();
      if (error instanceof HubApiError) {
        if (error.statusCode === 404) {
          throw new UnknownModelError(repo, revision, `the Hub at ${this.url} answered 404 (${error.message})`);
        }
        if (error.statusCode === 401 || error.statusCode === 403) throw new ModelAccessDeniedError(repo, error.statusCode);
      }
      throw new ModelFetchError(repo, 'hub', action, error);
    }
  }
}
