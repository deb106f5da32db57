import type { Job } from 'bullmq';
import { DelayedError, UnrecoverableError } from 'bullmq';
import type { JobEnvelope, JobStateStore, Logger, QueueContract } from '@switchyard/shared';
import { HandlerExecution, type JobHandler } from './handler-execution';
import { claimJob } from './job-claim';
import { describeError, ExecutionTimeoutError, isCapacityRefusal, JobReroutedError, JobCancelledError, type CapacityRefusal } from './job-errors';

export type { JobHandler } from './handler-execution';

export interface JobRunnerOptions {
  /** Failed jobs' errors carry RunPod's `error_traceback` (without server paths). */
  errorTracebacks: boolean;
  /** How long a cancelled or timed-out handler may take to stop before its model runs are cut off. */
  abortGraceMs: number;
  /** Runs of a job whose worker may be lost mid-job before the job is failed instead of run again. */
  maxLostRuns: number;
  /** Adds a rerouted job to the queue it now waits in (see JobReroutedError); without it, rerouting fails the job. */
  reroute?: (queue: string, job: Job<JobEnvelope>) => Promise<void>;
}

export const DEFAULT_JOB_RUNNER_OPTIONS: JobRunnerOptions = { errorTracebacks: false, abortGraceMs: 10_000, maxLostRuns: 2 };

/**
 * Runs one job around its handler: claims it in the state store, enforces the execution timeout
 * and cancellation, validates the output against the queue's contract and records how it ended.
 * Failures are recorded here and then thrown as unrecoverable, so BullMQ does not retry them on
 * its own: a retry is the client's call (`POST /retry/{id}`). A worker that dies mid-job is the
 * other case: BullMQ's stalled-job check hands the job to another worker, which claims it again.
 * A handler that refuses the job for lack of capacity ({@link CapacityRefusal}) has not failed it:
 * the job goes back to its queue, delayed, and runs when a worker has room.
 *
 * Cancellation and timeouts are cooperative: the handler's signal aborts, the job is recorded as
 * CANCELLED or TIMED_OUT at once, and the runner waits for the handler to stop before it takes
 * the next job, so work never piles up on one device. A handler still running after the grace
 * period has its model runs cut off (`context.cutOff`).
 */
export class JobRunner {
  private readonly execution: HandlerExecution;

  constructor(
    private readonly contract: QueueContract,
    handler: JobHandler,
    private readonly store: JobStateStore,
    private readonly workerId: string,
    private readonly logger: Logger,
    private readonly options: JobRunnerOptions = DEFAULT_JOB_RUNNER_OPTIONS,
  ) {
    this.execution = new HandlerExecution(contract, handler, options.abortGraceMs);
  }

  /**
   * Resolves with nothing: the output lives in the job's state (and from there in Postgres), so
   * BullMQ is not handed a second copy to serialize and store.
   */
  async run(job: Job<JobEnvelope>, token?: string, cancelSignal?: AbortSignal): Promise<void> {
    const jobId = job.id!;
    const logger = this.logger.child({ jobId, queue: this.contract.queue });
    const claim = await claimJob(this.store, jobId, this.workerId, this.options.maxLostRuns);
    if (claim.outcome === 'skipped') {
      // Cancelled while queued, expired past its TTL, or already finished: nothing to run.
      logger.info({ status: claim.status }, 'job skipped');
      return;
    }
    if (claim.outcome === 'lost') {
      logger.error({ lostRuns: claim.lostRuns }, 'job failed: its workers were lost mid-job too often');
      throw new UnrecoverableError(claim.error.message);
    }

    const started = Date.now();
    // One line a job at info (its end); its start is for debugging.
    logger.debug({ attempt: job.attemptsStarted }, 'job started');
    const { policy, endpointId, input } = job.data;
    const run = await this.execution.run({ jobId, endpointId, input, executionTimeoutMs: policy.executionTimeout, cancelSignal, reporter: this.store, logger });
    try {
      if (!run.completed) throw run.error;
      await this.store.complete(jobId, run.output);
      logger.info({ ms: Date.now() - started }, 'job completed');
    } catch (error) {
      const aborted = !run.completed && run.aborted;
      if (isCapacityRefusal(error) && !aborted) return this.requeue(job, token, error, logger);
      if (error instanceof JobReroutedError && this.options.reroute && !aborted) return this.reroute(job, error, logger);
      await this.recordFailure(jobId, error);
      logger.warn({ ms: Date.now() - started, err: error }, 'job did not complete');
      if (!run.completed) await run.untilHandlerStops();
      throw new UnrecoverableError(error instanceof Error ? error.message : String(error));
    }
  }

  private recordFailure(jobId: string, error: unknown) {
    if (error instanceof ExecutionTimeoutError) return this.store.timeOut(jobId, error.message);
    if (error instanceof JobCancelledError) return this.store.cancel(jobId);
    return this.store.fail(jobId, describeError(error, { traceback: this.options.errorTracebacks }));
  }

  /**
   * Moves the job to another backend's queue: recorded as waiting again (with the backend and why)
   * before its entry is added there, and the entry's add is idempotent (same job id), so a relay
   * that stops in between leaves a job the next run of this entry reroutes again.
   */
  private async reroute(job: Job<JobEnvelope>, rerouted: JobReroutedError, logger: Logger): Promise<void> {
    const requeued = await this.store.requeue(job.id!, rerouted.message, 0, { reroute: { backend: rerouted.backend, routeNote: rerouted.routeNote } });
    if (!requeued.applied) throw new UnrecoverableError(`Job ended (${requeued.status}) while it was being rerouted`);
    await this.options.reroute!(rerouted.queue, job);
    logger.info({ queue: rerouted.queue, reason: rerouted.message }, 'job rerouted');
  }

  /** Puts a refused job back in its queue, to be tried again after the refusal's delay (with jitter, so refused jobs spread out). */
  private async requeue(job: Job<JobEnvelope>, token: string | undefined, refusal: CapacityRefusal, logger: Logger): Promise<never> {
    const delay = Math.round(refusal.retryAfterMs * (0.5 + Math.random()));
    const requeued = await this.store.requeue(job.id!, refusal.message, delay, { resumes: refusal.resumes });
    if (!requeued.applied) throw new UnrecoverableError(`Job ended (${requeued.status}) while it was being requeued`);
    await job.moveToDelayed(Date.now() + delay, token);
    logger.info({ retryInMs: delay, reason: refusal.message }, 'job refused for lack of capacity; requeued');
    throw new DelayedError();
  }
}
