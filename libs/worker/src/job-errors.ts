import { basename, sep } from 'node:path';

/** The job ran past its policy's executionTimeout. */
export class ExecutionTimeoutError extends Error {
  override readonly name = 'ExecutionTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`Job exceeded its execution timeout of ${timeoutMs} ms`);
  }
}

/** The job was cancelled through the API while it ran. */
export class JobCancelledError extends Error {
  override readonly name = 'JobCancelledError';
  constructor() {
    super('Job was cancelled');
  }
}

/** The handler returned `{error: …}`, which RunPod treats as a failed job. */
export class HandlerReportedError extends Error {
  override readonly name = 'HandlerReportedError';
  constructor(readonly reported: unknown) {
    super(typeof reported === 'string' ? reported : JSON.stringify(reported));
  }
}

/** The job's earlier runs all ended with their worker lost mid-job (killed, out of memory): it is not run again. */
export class WorkerLostError extends Error {
  override readonly name = 'WorkerLost';
  constructor(readonly lostRuns: number) {
    super(`The job was not run again: its worker was lost mid-job ${lostRuns} times (killed, or out of memory), which it may be causing`);
  }
}

/** Something the handler produced holds text that the job record cannot store. */
export class UnstorableValueError extends Error {
  override readonly name = 'UnstorableValueError';
  constructor(field: string, reason: string) {
    super(`${field} ${reason}; the handler must escape or drop it`);
  }
}

/**
 * A refusal for lack of capacity (a full batch queue, a busy device): the job did not fail, it
 * goes back to its queue and is tried again after `retryAfterMs`. Any error carrying
 * `capacityRefusal: true` counts, so libraries need not depend on this one.
 */
export interface CapacityRefusal {
  readonly capacityRefusal: true;
  readonly retryAfterMs: number;
  readonly message: string;
  /** The job goes on by itself once back in its queue (a relay handing it to another), so waiters keep waiting. */
  readonly resumes?: boolean;
}

export class WorkerOverloadedError extends Error implements CapacityRefusal {
  override readonly name = 'WorkerOverloadedError';
  readonly capacityRefusal = true;
  constructor(
    message: string,
    readonly retryAfterMs = 1_000,
  ) {
    super(message);
  }
}

/** A relay that stops hands the job it follows back to its queue, to be followed on by the next one (see RemoteRelay). */
export class JobHandedOverError extends Error implements CapacityRefusal {
  override readonly name = 'JobHandedOverError';
  readonly capacityRefusal = true;
  readonly retryAfterMs = 0;
  readonly resumes = true;
}

export function isCapacityRefusal(error: unknown): error is CapacityRefusal {
  const candidate = error as Partial<CapacityRefusal> | null;
  return typeof candidate === 'object' && candidate !== null && candidate.capacityRefusal === true && typeof candidate.retryAfterMs === 'number';
}

/**
 * The job cannot run on this backend but can on another: it goes back to waiting, in `queue`, with
 * its record naming `backend` and why (the relay's failover from a lost remote to the local queue).
 */
export class JobReroutedError extends Error {
  override readonly name = 'JobReroutedError';
  constructor(
    readonly queue: string,
    readonly backend: string,
    readonly routeNote: string,
  ) {
    super(routeNote);
  }
}

export interface ErrorDescriptionOptions {
  /** Include the stack frames (RunPod's `error_traceback`); paths in them are made relative to `root`. */
  traceback: boolean;
  /** The installation's root folder, which no client needs to see. */
  root?: string;
}

/** An absolute path (or file URL) standing on its own: not the tail of `node:internal/…` or of a relative path. */
const ABSOLUTE_PATH = /(?<![\w:./])(?:file:\/\/)?(\/[^\s():'"]+)/g;

/**
 * Text with every absolute path shortened: to a path below `root`, to one below `node_modules`,
 * or else to the file's name. A client learns which file, never where the server keeps it.
 */
export function withoutServerPaths(text: string, root = process.cwd()): string {
  const base = root.endsWith(sep) ? root : root + sep;
  return text.replace(ABSOLUTE_PATH, (_match, path: string) => {
    if (path.startsWith(base)) return path.slice(base.length);
    const modules = path.lastIndexOf(`${sep}node_modules${sep}`);
    if (modules >= 0) return path.slice(modules + 1);
    return basename(path);
  });
}

/**
 * RunPod's error string for a thrown exception: JSON of {error_type, error_message,
 * error_traceback}, with no server paths; the traceback only when configured.
 */
export function describeError(error: unknown, options: ErrorDescriptionOptions = { traceback: false }): string {
  if (error instanceof HandlerReportedError) return error.message;
  const err = error instanceof Error ? error : new Error(String(error));
  const root = options.root ?? process.cwd();
  return JSON.stringify({
    error_type: err.name,
    error_message: withoutServerPaths(err.message, root),
    ...(options.traceback && { error_traceback: withoutServerPaths(err.stack ?? '', root) }),
  });
}
