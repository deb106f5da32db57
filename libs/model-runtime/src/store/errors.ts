import { SwitchyardError } from '@switchyard/shared';

/** Where a model's files can come from, in the order the store tries them. */
export type ModelSourceName = 'folder' | 'cache' | 's3' | 'hub';

/** Base class of every failure of the model store; `repo` names the model at fault. */
export abstract class ModelStoreError extends SwitchyardError {
  protected constructor(
    readonly repo: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

function describeRevision(revision: string | null): string {
  return revision === null ? '' : ` at revision "${revision}"`;
}

export type UnsafeModelIdPart = 'repo' | 'revision' | 'file';

/** A model id, revision or file path that could escape the model's folder, or is not a valid Hub name. */
export class UnsafeModelIdError extends ModelStoreError {
  constructor(
    repo: string,
    readonly part: UnsafeModelIdPart,
    readonly value: string,
    readonly reason: string,
  ) {
    super(
      repo,
      part === 'repo' ? `Refusing model id ${JSON.stringify(value)}: ${reason}` : `Refusing ${part} ${JSON.stringify(value)} of model "${repo}": ${reason}`,
    );
  }
}

/** No source knows the model (or the revision): not in the folder, not cached, and the Hub answered 404. */
export class UnknownModelError extends ModelStoreError {
  constructor(
    repo: string,
    readonly revision: string,
    readonly detail: string,
  ) {
    super(repo, `Model "${repo}"${describeRevision(revision)} was not found: ${detail}`);
  }
}

/** A resolved file that is not what its reader needs (JSON that does not parse, or is not an object). */
export class UnreadableModelFileError extends ModelStoreError {
  constructor(
    repo: string,
    readonly file: string,
    readonly reason: string,
  ) {
    super(repo, `Model "${repo}": "${file}" ${reason}`);
  }
}

/** The model exists but one of the requested files does not. */
export class ModelFileMissingError extends ModelStoreError {
  constructor(
    repo: string,
    readonly revision: string | null,
    readonly file: string,
    readonly source: ModelSourceName,
  ) {
    super(repo, `Model "${repo}"${describeRevision(revision)} has no file "${file}" (looked in: ${source})`);
  }
}

/** A downloaded file does not match what its source advertised; the partial file was removed. */
export abstract class ModelIntegrityError extends ModelStoreError {}

export class ModelFileSizeMismatchError extends ModelIntegrityError {
  constructor(
    repo: string,
    readonly revision: string,
    readonly file: string,
    readonly source: ModelSourceName,
    readonly expectedBytes: number,
    readonly actualBytes: number,
  ) {
    super(
      repo,
      `File "${file}" of model "${repo}"${describeRevision(revision)} from ${source}: received ${actualBytes} bytes, ` +
        `expected ${expectedBytes} (truncated or corrupted download)`,
    );
  }
}

export class ModelFileChecksumMismatchError extends ModelIntegrityError {
  constructor(
    repo: string,
    readonly revision: string,
    readonly file: string,
    readonly source: ModelSourceName,
    readonly algorithm: 'sha256' | 'git-sha1',
    readonly expected: string,
    readonly actual: string,
  ) {
    super(repo, `File "${file}" of model "${repo}"${describeRevision(revision)} from ${source} has ${algorithm} ${actual}, ` + `expected ${expected}`);
  }
}

/** Offline mode is on and the model (or some of its files) is not in any cache. */
export class ModelNotCachedOfflineError extends ModelStoreError {
  constructor(
    repo: string,
    readonly revision: string,
    readonly files: readonly string[],
  ) {
    super(
      repo,
      `Model "${repo}"${describeRevision(revision)} is not cached (missing: ${files.join(', ')}) ` + 'and offline mode forbids contacting the Hugging Face Hub',
    );
  }
}

/** The Hub refused the request: the model is private or gated and the token is missing or not allowed. */
export class ModelAccessDeniedError extends ModelStoreError {
  constructor(
    repo: string,
    readonly status: number,
  ) {
    super(
      repo,
      `The Hugging Face Hub refused access to model "${repo}" (HTTP ${status}); ` + 'check that the access token (HF_TOKEN) is set and may read this model',
    );
  }
}

/** A request to a remote source failed: unreachable, a server error, or a download cut off. */
export class ModelFetchError extends ModelStoreError {
  constructor(
    repo: string,
    readonly source: ModelSourceName,
    readonly action: string,
    cause: unknown,
  ) {
    super(repo, `Could not ${action} for model "${repo}" from ${source}: ${describeCause(cause)}`, { cause });
  }
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = cause.cause instanceof Error ? ` (${cause.cause.message})` : '';
  return `${cause.message}${inner}`;
}
