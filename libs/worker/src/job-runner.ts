import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import type { JobEnvelope, JobStateStore, Logger, QueueContract } from '@switchyard/shared';
import { JobContext } from './job-context';
import { describeError, ExecutionTimeoutError, HandlerReportedError, JobCancelledError } from './job-errors';

export type JobHandler = (input: unknown, context: JobContext) => Promise<unknown>;

/**
 * Runs one job around its handler: claims it in the state store, enforces the execution timeout
 * and cancellation, validates the output against the queue's contract and records how it ended.
 * Failures are recorded here and then thrown as unrecoverable, so BullMQ does not retry them on
 * its own: a retry is the client's call (`POST /retry/{id}`). A worker that dies mid-job is the
 * other case: BullMQ's stalled-job check hands the job to another worker, which claims it again.
 */
export class JobRunner {
  constructor(
    private readonly contract: QueueContract,
    private readonly handler: JobHandler,
    private readonly store: JobStateStore,
    private readonly workerId: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Resolves with nothing: the output lives in the job's state (and from there in Postgres), so
   * BullMQ is not handed a second copy to serialize and store.
   */
  async run(job: Job<JobEnvelope>, cancelSignal?: AbortSignal): Promise<void> {
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
      await this.store.complete(jobId, validOutput);
      logger.info({ ms: Date.now() - started }, 'job completed');
    } catch (error) {
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
    return this.store.fail(jobId, describeError(error));
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
