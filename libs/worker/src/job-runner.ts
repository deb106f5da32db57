import type { Job } from 'bullmq';
import { DelayedError, UnrecoverableError } from 'bullmq';
import type { JobEnvelope, JobStateStore, Logger, QueueContract } from '@switchyard/shared';
import { assertStorable, JobContext } from './job-context';
import {
  describeError,
  ExecutionTimeoutError,
  HandlerReportedError,
  isCapacityRefusal,
  JobCancelledError,
  type CapacityRefusal,
  type ErrorDescriptionOptions,
} from './job-errors';

export type JobHandler = (input: unknown, context: JobContext) => Promise<unknown>;

/**
 * Runs one job around its handler: claims it in the state store, enforces the execution timeout
 * and cancellation, validates the output against the queue's contract and records how it ended.
 * Failures are recorded here and then thrown as unrecoverable, so BullMQ does not retry them on
 * its own: a retry is the client's call (`POST /retry/{id}`). A worker that dies mid-job is the
 * other case: BullMQ's stalled-job check hands the job to another worker, which claims it again.
 * A handler that refuses the job for lack of capacity ({@link CapacityRefusal}) has not failed it:
 * the job goes back to its queue, delayed, and runs when a worker has room.
 */
export class JobRunner {
  constructor(
    private readonly contract: QueueContract,
    private readonly handler: JobHandler,
    private readonly store: JobStateStore,
    private readonly workerId: string,
    private readonly logger: Logger,
    private readonly errors: ErrorDescriptionOptions = { traceback: false },
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

    const { policy, endpointId } = job.data;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new ExecutionTimeoutError(policy.executionTimeout)), policy.executionTimeout);
    const onCancel = () => controller.abort(new JobCancelledError());
    cancelSignal?.addEventListener('abort', onCancel, { once: true });
    const started = Date.now();
    logger.info({ attempt: job.attemptsStarted }, 'job started');

    try {
      const input = this.contract.input.parse(job.data.input);
      const context = new JobContext(jobId, endpointId, controller.signal, logger, this.store);
      const output = await untilAborted(this.handler(input, context), controller.signal);
      if (isReportedError(output)) throw new HandlerReportedError(Object.keys(output).length === 1 ? output.error : output);
      const validOutput = this.contract.output.parse(output);
      assertStorable(validOutput, 'output');
      await this.store.complete(jobId, validOutput);
      logger.info({ ms: Date.now() - started }, 'job completed');
    } catch (error) {
      if (isCapacityRefusal(error) && !controller.signal.aborted) return await this.requeue(job, token, error, logger);
      await this.recordFailure(jobId, error);
      logger.warn({ ms: Date.now() - started, err: error }, 'job did not complete');
      throw new UnrecoverableError(error instanceof Error ? error.message : String(error));
    } finally {
      clearTimeout(timer);
      cancelSignal?.removeEventListener('abort', onCancel);
    }
  }

  private recordFailure(jobId: string, error: unknown) {
    if (error instanceof ExecutionTimeoutError) return this.store.timeOut(jobId, error.message);
    if (error instanceof JobCancelledError) return this.store.cancel(jobId);
    return this.store.fail(jobId, describeError(error, this.errors));
  }

  /** Puts a refused job back in its queue, to be tried again after the refusal's delay (with jitter, so refused jobs spread out). */
  private async requeue(job: Job<JobEnvelope>, token: string | undefined, refusal: CapacityRefusal, logger: Logger): Promise<never> {
    const delay = Math.round(refusal.retryAfterMs * (0.5 + Math.random()));
    const requeued = await this.store.requeue(job.id!, refusal.message, delay);
    if (!requeued.applied) throw new UnrecoverableError(`Job ended (${requeued.status}) while it was being requeued`);
    await job.moveToDelayed(Date.now() + delay, token);
    logger.info({ retryInMs: delay, reason: refusal.message }, 'job refused for lack of capacity; requeued');
    throw new DelayedError();
  }
}

function isReportedError(output: unknown): output is { error: unknown } {
  return typeof output === 'object' && output !== null && !Array.isArray(output) && 'error' in output;
}

/** Settles with the work, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
