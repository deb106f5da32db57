import { UnsafeModelIdError } from './errors';

/** Which files of which model (a Hugging Face repo id such as `org/name`) at which revision. */
export interface ModelRef {
  repo: string;
  /** Branch, tag or commit sha; `main` when left out. */
  revision?: string;
  /** Paths inside the repo, `/`-separated (e.g. `onnx/model.onnx`). */
  files: readonly string[];
}

export interface ValidModelRef {
  repo: string;
  revision: string;
  files: readonly string[];
}

export const DEFAULT_REVISION = 'main';

// The Hub's own rules for a repo name: letters, digits, `_`, `-`, `.`; not starting or ending with
// `-` or `.`; no `--` or `..` (we rely on the `--` rule: cache folders join the segments with it).
const REPO_SEGMENT = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?$/;
const REVISION = /^[A-Za-z0-9_.\-/]+$/;
const COMMIT_SHA = /^[0-9a-f]{40}$/;

export function isCommitSha(revision: string): boolean {
  return COMMIT_SHA.test(revision);
}

function pathProblem(value: string): string | undefined {
  if (value.length === 0) return 'it is empty';
  if (value.includes('\\')) return 'it contains a backslash';
  if (value.includes('\0')) return 'it contains a NUL character';
  if (value.startsWith('/')) return 'it is an absolute path';
  const segments = value.split('/');
  if (segments.includes('..')) return 'it contains a ".." segment';
  if (segments.includes('.')) return 'it contains a "." segment';
  if (segments.includes('')) return 'it contains an empty path segment';
  return undefined;
}

function repoProblem(repo: string): string | undefined {
  const problem = pathProblem(repo);
  if (problem) return problem;
  const segments = repo.split('/');
  if (segments.length > 2) return 'a model id is "name" or "owner/name"';
  if (repo.includes('--') || !segments.every((segment) => REPO_SEGMENT.test(segment))) {
    return 'a model id may only use letters, digits, "_", "-" and "." (no "--", no leading or trailing "-" or ".")';
  }
  return undefined;
}

/** Checks every part of a model reference that ends up in a file path or object key; throws UnsafeModelIdError. */
export function validateModelRef(ref: ModelRef): ValidModelRef {
  const repoIssue = repoProblem(ref.repo);
  if (repoIssue) throw new UnsafeModelIdError(ref.repo, 'repo', ref.repo, repoIssue);

  const revision = ref.revision ?? DEFAULT_REVISION;
  const revisionIssue = pathProblem(revision) ?? (REVISION.test(revision) ? undefined : 'it contains characters a git ref cannot');
  if (revisionIssue) throw new UnsafeModelIdError(ref.repo, 'revision', revision, revisionIssue);

  if (ref.files.length === 0) throw new TypeError(`A resolve of model "${ref.repo}" must name at least one file`);
  for (const file of ref.files) {
    const fileIssue = pathProblem(file);
    if (fileIssue) throw new UnsafeModelIdError(ref.repo, 'file', file, fileIssue);
  }
  return { repo: ref.repo, revision, files: [...new Set(ref.files)] };
}
