import type { Job } from 'bullmq';
import { DelayedError, UnrecoverableError } from 'bullmq';
import { untilAborted, type JobEnvelope, type JobStateStore, type Logger, type QueueContract } from '@switchyard/shared';
import { assertStorable, JobContext } from './job-context';
import {
  describeError,
  ExecutionTimeoutError,
  HandlerReportedError,
  isCapacityRefusal,
  JobReroutedError,
  JobCancelledError,
  WorkerLostError,
  type CapacityRefusal,
} from './job-errors';

export type JobHandler = (input: unknown, context: JobContext) => Promise<unknown>;

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

const settled = (work: Promise<unknown>) =>
  work.then(
    () => true,
    () => true,
  );
const within = (done: Promise<boolean>, ms: number) => Promise.race([done, new Promise<false>((resolve) => setTimeout(resolve, ms, false).unref())]);

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
  constructor(
    private readonly contract: QueueContract,
    private readonly handler: JobHandler,
    private readonly store: JobStateStore,
    private readonly workerId: string,
    private readonly logger: Logger,
    private readonly options: JobRunnerOptions = DEFAULT_JOB_RUNNER_OPTIONS,
  ) {}

  /**
   * Resolves with nothing: the output lives in the job's state (and from there in Postgres), so
   * BullMQ is not handed a second copy to serialize and store.
   */
  async run(job: Job<JobEnvelope>, token?: string, cancelSignal?: AbortSignal): Promise<void> {
    const jobId = job.id!;
    const logger = this.logger.child({ jobId, queue: this.contract.queue });
    const claim = await this.store.start(jobId, this.workerId);
    if (!claim.applied) {
      // Cancelled while queued, expired past its TTL, or already finished: nothing to run.
      logger.info({ status: claim.status }, 'job skipped');
      return;
    }
    if (claim.lostRuns >= this.options.maxLostRuns) {
      const lost = new WorkerLostError(claim.lostRuns);
      await this.store.fail(jobId, describeError(lost));
      logger.error({ lostRuns: claim.lostRuns }, 'job failed: its workers were lost mid-job too often');
      throw new UnrecoverableError(lost.message);
    }

    const { policy, endpointId } = job.data;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new ExecutionTimeoutError(policy.executionTimeout)), policy.executionTimeout);
    const onCancel = () => controller.abort(new JobCancelledError());
    cancelSignal?.addEventListener('abort', onCancel, { once: true });
    const cutOff = new AbortController();
    const started = Date.now();
    // One line a job at info (its end); its start is for debugging.
    logger.debug({ attempt: job.attemptsStarted }, 'job started');

    let handling: Promise<unknown> | undefined;
    let context: JobContext | undefined;
    try {
      const input = this.contract.input.parse(job.data.input);
      context = new JobContext(jobId, endpointId, controller.signal, logger, this.store, cutOff.signal);
      handling = this.handler(input, context);
      const output = await untilAborted(handling, controller.signal);
      if (isReportedError(output)) throw new HandlerReportedError(Object.keys(output).length === 1 ? output.error : output);
      const validOutput = this.contract.output.parse(output);
      assertStorable(validOutput, 'output');
      await this.store.complete(jobId, validOutput);
      logger.info({ ms: Date.now() - started }, 'job completed');
    } catch (error) {
      if (isCapacityRefusal(error) && !controller.signal.aborted) return await this.requeue(job, token, error, logger);
      if (error instanceof JobReroutedError && this.options.reroute && !controller.signal.aborted) return await this.reroute(job, error, logger);
      await this.recordFailure(jobId, error);
      logger.warn({ ms: Date.now() - started, err: error }, 'job did not complete');
      if (handling && controller.signal.aborted) await this.untilHandlerStops(handling, cutOff, logger);
      throw new UnrecoverableError(error instanceof Error ? error.message : String(error));
    } finally {
      context?.close();
      clearTimeout(timer);
      cancelSignal?.removeEventListener('abort', onCancel);
    }
  }

  private recordFailure(jobId: string, error: unknown) {
    if (error instanceof ExecutionTimeoutError) return this.store.timeOut(jobId, error.message);
    if (error instanceof JobCancelledError) return this.store.cancel(jobId);
    return this.store.fail(jobId, describeError(error, { traceback: this.options.errorTracebacks }));
  }

  /**
   * Waits for an aborted handler to stop: a grace period to stop by itself, then its model runs
   * are cut off and it gets another grace period. One that still runs is left behind (logged), as
   * nothing more can stop it in this process.
   */
  private async untilHandlerStops(handling: Promise<unknown>, cutOff: AbortController, logger: Logger): Promise<void> {
    const stopped = settled(handling);
    const { abortGraceMs } = this.options;
    if (await within(stopped, abortGraceMs)) return;
    logger.error({ graceMs: abortGraceMs }, 'handler ignored its abort signal past the grace period; cutting off its model runs');
    cutOff.abort();
    if (await within(stopped, abortGraceMs)) return;
    logger.error({ graceMs: abortGraceMs }, 'handler still runs after its model runs were cut off; taking the next job');
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

function isReportedError(output: unknown): output is { error: unknown } {
  return typeof output === 'object' && output !== null && !Array.isArray(output) && 'error' in output;
}
