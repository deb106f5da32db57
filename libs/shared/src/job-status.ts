import type { JobEvent, JobEventType } from './job-events';

/** RunPod's job statuses; Switchyard uses the same words so RunPod clients work unchanged. */
export const JOB_STATUSES = ['IN_QUEUE', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const FINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);

export function isFinalStatus(status: JobStatus): boolean {
  return FINAL_STATUSES.has(status);
}

/** The events that end a job; `retried` and `requeued` open it again. */
const ENDING_EVENTS: ReadonlySet<JobEventType> = new Set(['completed', 'failed', 'timed_out', 'cancelled']);

/** Whether the event ended its job: what waiters wake on, webhooks are sent for and metrics count. */
export function isFinalEvent(event: Pick<JobEvent, 'type' | 'view'>): boolean {
  return ENDING_EVENTS.has(event.type) && isFinalStatus(event.view.status);
}

/** Statuses from which `POST /retry/{id}` may requeue a job. */
export const RETRYABLE_STATUSES: ReadonlySet<JobStatus> = new Set(['FAILED', 'TIMED_OUT']);
