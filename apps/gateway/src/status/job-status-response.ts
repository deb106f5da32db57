import { parseClaim, type BlobRef, type JobStatus, type JobView } from '@switchyard/shared';
import type { BlobLink } from './blob-links';

/**
 * RunPod's status object: `{id, status, delayTime, executionTime, output?, error?}`, times in ms.
 * While a job is IN_PROGRESS, `output` is its latest progress value, as RunPod shows progress updates.
 */
export interface JobStatusResponse {
  id: string;
  status: JobStatus;
  delayTime?: number;
  executionTime?: number;
  output?: unknown;
  /** Instead of `output`, when the caller asked for `?output=url` and the output is held as a blob. */
  outputUrl?: BlobLink;
  error?: string;
  workerId?: string;
  retries?: number;
  /** Switchyard's: the backend that runs the job, where its endpoint routes between backends, and why when it fell back. */
  backend?: string;
  routeNote?: string;
}

export interface JobRecordLike {
  id: string;
  status: JobStatus;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  output?: unknown;
  /** The latest progress value of the running attempt. */
  progress?: unknown;
  /** Where the output is when it was too large to keep inline; resolved by JobOutputs. */
  outputBlob?: BlobRef;
  error?: string;
  workerId?: string;
  backend?: string;
  routeNote?: string;
  attempts: number;
  /** The sequence number of the job's latest event (of the latest one recorded, from Postgres). */
  seq: number;
}

export function toStatusResponse(job: JobRecordLike): JobStatusResponse {
  const response: JobStatusResponse = { id: job.id, status: job.status };
  if (job.startedAt !== undefined) response.delayTime = job.startedAt - job.createdAt;
  if (job.startedAt !== undefined && job.finishedAt !== undefined) response.executionTime = job.finishedAt - job.startedAt;
  if (job.output !== undefined) response.output = job.output;
  else if (job.status === 'IN_PROGRESS' && job.progress !== undefined) response.output = job.progress;
  if (job.error !== undefined) response.error = job.error;
  if (job.workerId) response.workerId = job.workerId;
  if (job.attempts > 1) response.retries = job.attempts - 1;
  if (job.backend) response.backend = job.backend;
  if (job.routeNote) response.routeNote = job.routeNote;
  return response;
}

export function viewToRecord(view: JobView): JobRecordLike {
  const outputBlob = parseClaim(view.output);
  const progress = view.progress === undefined ? undefined : JSON.parse(view.progress);
  if (outputBlob) return { ...view, output: undefined, outputBlob, progress };
  return { ...view, output: view.output === undefined ? undefined : JSON.parse(view.output), progress };
}

/** The subset of a Prisma job row the API answers from. */
export interface JobRow {
  id: string;
  status: JobStatus;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  output: unknown;
  outputBlob?: unknown;
  error: unknown;
  attempts: number;
  lastSeq: number;
  backend?: string | null;
  routeNote?: string | null;
}

export function rowToRecord(row: JobRow): JobRecordLike {
  return {
    id: row.id,
    status: row.status,
    createdAt: row.createdAt.getTime(),
    startedAt: row.startedAt?.getTime(),
    finishedAt: row.finishedAt?.getTime(),
    output: row.output ?? undefined,
    outputBlob: (row.outputBlob ?? undefined) as BlobRef | undefined,
    error: row.error === null || row.error === undefined ? undefined : typeof row.error === 'string' ? row.error : JSON.stringify(row.error),
    attempts: row.attempts,
    seq: row.lastSeq,
    backend: row.backend ?? undefined,
    routeNote: row.routeNote ?? undefined,
  };
}
