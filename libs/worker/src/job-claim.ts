import { UnrecoverableError, type Job } from 'bullmq';
import type { JobEnvelope, JobStateStore, JobStatus, PayloadOffload } from '@switchyard/shared';
import { describeError, WorkerLostError } from './job-errors';

/** What claiming a taken job for a worker decided: run it, skip it (it ended or expired while queued), or it was failed for losing its workers too often. */
export type JobClaim =
  { outcome: 'run' } | { outcome: 'skipped'; status: JobStatus | 'MISSING' } | { outcome: 'lost'; lostRuns: number; error: WorkerLostError };

/**
 * Records a worker's start of a job it took off its queue, whichever way it took it (a native
 * BullMQ worker, the gateway's worker protocol). A job whose earlier workers were lost mid-job
 * `maxLostRuns` times is failed here instead of run once more.
 */
export async function claimJob(store: JobStateStore, jobId: string, workerId: string, maxLostRuns: number): Promise<JobClaim> {
  const claim = await store.start(jobId, workerId);
  if (!claim.applied) return { outcome: 'skipped', status: claim.status };
  if (claim.lostRuns < maxLostRuns) return { outcome: 'run' };
  const error = new WorkerLostError(claim.lostRuns);
  await store.fail(jobId, describeError(error));
  return { outcome: 'lost', lostRuns: claim.lostRuns, error };
}

/**
 * Replaces an input held as a blob by its value before the job runs, so handlers always get the
 * value. A blob that cannot be read fails the job with why, rather than leaving it queued.
 */
export async function resolveClaimCheckedInput(job: Job<JobEnvelope>, store: JobStateStore, payloads: PayloadOffload): Promise<void> {
  const ref = job.data.inputBlob;
  if (!ref) return;
  try {
    job.data.input = JSON.parse(await payloads.load(ref));
  } catch (error) {
    await store.fail(job.id!, describeError(error, { traceback: false }));
    throw new UnrecoverableError(`The input of job ${job.id} could not be read: ${(error as Error).message}`);
  }
}
