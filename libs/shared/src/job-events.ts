import type { JobStatus } from './job-status';

/** Every kind of state change a job goes through; each becomes one event with a sequence number. */
export const JOB_EVENT_TYPES = ['queued', 'started', 'progress', 'stream', 'completed', 'failed', 'timed_out', 'cancelled', 'retried', 'requeued'] as const;
export type JobEventType = (typeof JOB_EVENT_TYPES)[number];

/**
 * The live state of a job as the gateway serves it, kept in a Redis hash and carried whole in
 * every event so that a consumer can rebuild the job from any single event.
 */
export interface JobView {
  id: string;
  /** The project (tenant) whose keys may see the job; absent on jobs queued before projects existed (the default project's). */
  projectId?: string;
  endpointId: string;
  queue: string;
  status: JobStatus;
  createdAt: number;
  expiresAt: number;
  /** How long the view stays in Redis after the job ends (RunPod: 30 min for run, 1 min for runsync). */
  retentionMs: number;
  executionTimeout: number;
  lowPriority: boolean;
  attempts: number;
  seq: number;
  startedAt?: number;
  finishedAt?: number;
  workerId?: string;
  webhook?: string;
  apiKeyId?: string;
  /**
   * JSON text of the latest progress value of the current attempt (RunPod's progress updates, shown
   * as `output` while IN_PROGRESS). Kept once the job ends, where the output supersedes it.
   */
  progress?: string;
  /** JSON text of the output, as the worker returned it, or a claim on the blob holding it (see `parseClaim`). */
  output?: string;
  /** The backend that runs the job (`local` or `remote`), when its endpoint routes between backends. */
  backend?: string;
  /** Why the router chose that backend, when it fell back: `fell back from local: estimated wait 12 s over the 5 s limit`. */
  routeNote?: string;
  /** RunPod's error string: a message, or JSON of {error_type, error_message, error_traceback}. */
  error?: string;
}

export interface JobEvent {
  /** Redis stream entry id; consumers acknowledge by it. */
  entryId: string;
  jobId: string;
  seq: number;
  type: JobEventType;
  at: number;
  /** JSON text specific to the event: the input for queued, the chunk for stream, the value for progress; inputs and chunks may be claims (see `parseClaim`). */
  payload?: string;
  view: JobView;
}

const NUMBER_FIELDS: ReadonlySet<string> = new Set(['createdAt', 'expiresAt', 'retentionMs', 'executionTimeout', 'attempts', 'seq', 'startedAt', 'finishedAt']);

/** Rebuilds a view from the flat field list of a Redis hash or stream entry. */
export function parseJobView(fields: Record<string, string>): JobView {
  const view: Record<string, unknown> = {};
  for (const key in fields) setViewField(view, key, fields[key]);
  return finishView(view);
}

function setViewField(view: Record<string, unknown>, key: string, value: string): void {
  view[key] = NUMBER_FIELDS.has(key) ? Number(value) : value;
}

function finishView(view: Record<string, unknown>): JobView {
  view.lowPriority = view.lowPriority === '1';
  return view as unknown as JobView;
}

export function pairsToRecord(pairs: string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i < pairs.length; i += 2) record[pairs[i]] = pairs[i + 1];
  return record;
}

/** The job an event stream entry is about, without parsing the rest (the transition script writes it first). */
export function eventJobId(pairs: string[]): string | undefined {
  if (pairs[0] === 'ev_job') return pairs[1];
  return pairsToRecord(pairs).ev_job;
}

const EVENT_FIELDS: ReadonlySet<string> = new Set(['ev_job', 'ev_seq', 'ev_type', 'ev_at', 'ev_payload']);

/**
 * Parses one entry of the event stream as returned by XREAD/XREADGROUP, in one pass over its
 * fields: every recorder and waiting gateway parses each entry it reads.
 */
export function parseJobEvent(entryId: string, pairs: string[]): JobEvent {
  const event: Record<string, string | undefined> = {};
  const view: Record<string, unknown> = {};
  for (let i = 0; i < pairs.length; i += 2) {
    const key = pairs[i];
    if (EVENT_FIELDS.has(key)) event[key] = pairs[i + 1];
    else setViewField(view, key, pairs[i + 1]);
  }
  return {
    entryId,
    jobId: event.ev_job!,
    seq: Number(event.ev_seq),
    type: event.ev_type as JobEventType,
    at: Number(event.ev_at),
    payload: event.ev_payload,
    view: finishView(view),
  };
}
