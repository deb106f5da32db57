/** RunPod's job statuses; Switchyard uses the same words so RunPod clients work unchanged. */
export const JOB_STATUSES = ['IN_QUEUE', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const FINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);

export function isFinalStatus(status: JobStatus): boolean {
  return FINAL_STATUSES.has(status);
}

/** Statuses from which `POST /retry/{id}` may requeue a job. */
export const RETRYABLE_STATUSES: ReadonlySet<JobStatus> = new Set(['FAILED', 'TIMED_OUT']);
