import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger, QueueContract } from '@switchyard/shared';
import { HandlerExecution, messagePatternHandler } from '../handler-execution';
import type { JobReporter } from '../job-context';
import { describeError, JobCancelledError } from '../job-errors';
import { DEFAULT_JOB_RUNNER_OPTIONS, type JobRunnerOptions } from '../job-runner';
import { RunPodThrottledError, type RunPodWorkerProtocol, type TakenJob } from './runpod-worker-protocol';

export interface RunPodJobServerOptions {
  protocol: RunPodWorkerProtocol;
  /** The one queue the endpoint serves: RunPod's jobs carry no queue name. */
  contract: QueueContract;
  /** Jobs run at once (what runpod-python's concurrency modifier sets). */
  concurrency: number;
  logger: Logger;
  runner?: Partial<Pick<JobRunnerOptions, 'errorTracebacks' | 'abortGraceMs'>>;
}

/** Least time between two takes that found no job, so a platform that answers at once is not asked in a tight loop (older SDKs slept 1 s). */
const MIN_EMPTY_POLL_INTERVAL_MS = 1_000;
/** Wait after a 429, as runpod-python's. */
const THROTTLED_BACKOFF_MS = 5_000;
/** Waits after failed calls, doubling. */
const FAILURE_BACKOFF_MS = { first: 1_000, max: 30_000 };

/** `{"health_check": true}`, and nothing else. */
function isHealthCheck(input: unknown): boolean {
  return typeof input === 'object' && input !== null && Object.keys(input).length === 1 && (input as { health_check?: unknown }).health_check === true;
}

interface RunningJob {
  cancel: AbortController;
  done: Promise<void>;
}

/**
 * A NestJS microservice transport whose messages are the jobs of a RunPod serverless endpoint,
 * taken through RunPod's worker protocol as runpod-python takes them: take → run the queue's
 * `@MessagePattern` handler (input parsed and output checked by the queue's contract) → post
 * the output or the error → take again, up to `concurrency` jobs at once, with a heartbeat naming
 * the jobs in progress. Progress goes to RunPod as progress updates and stream chunks as stream
 * posts; jobs RunPod names on job-stop (cancelled, timed out) have their handler's signal aborted.
 */
export class RunPodJobServer extends Server implements CustomTransportStrategy {
  private readonly closing = new AbortController();
  private readonly running = new Map<string, RunningJob>();
  private readonly runnerOptions: Pick<JobRunnerOptions, 'errorTracebacks' | 'abortGraceMs'>;
  private execution?: HandlerExecution;
  private heartbeat?: { stop(): void };
  private loops: Promise<void>[] = [];
  /** Wakes the take loop when it waits for a free slot. */
  private wakeTaker?: () => void;

  constructor(private readonly options: RunPodJobServerOptions) {
    super();
    this.runnerOptions = { ...DEFAULT_JOB_RUNNER_OPTIONS, ...options.runner };
  }

  listen(callback: (error?: unknown) => void): void {
    try {
      const { contract } = this.options;
      this.execution = new HandlerExecution(contract, messagePatternHandler(this, contract.queue), this.runnerOptions.abortGraceMs);
      this.heartbeat = this.options.protocol.startHeartbeat(() => [...this.running.keys()]);
      this.loops = [this.takeJobs(this.execution), this.stopEndedJobs()];
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Stops taking jobs, lets the running ones finish and post their results, then stops the heartbeat. */
  async close(): Promise<void> {
    this.closing.abort();
    this.wakeTaker?.();
    await Promise.all(this.loops);
    await Promise.all([...this.running.values()].map((job) => job.done));
    this.heartbeat?.stop();
  }

  activeQueues(): string[] {
    return [this.options.contract.queue];
  }

  on(): never {
    throw new Error('RunPodJobServer has no events to subscribe to');
  }

  unwrap<T>(): T {
    return this.options.protocol as T;
  }

  private async takeJobs(execution: HandlerExecution): Promise<void> {
    const { protocol, concurrency, logger } = this.options;
    let failures = 0;
    while (!this.closing.signal.aborted) {
      const free = concurrency - this.running.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.wakeTaker = resolve));
        continue;
      }
      const askedAt = Date.now();
      try {
        const jobs = await protocol.take(free, this.running.size > 0, this.closing.signal);
        failures = 0;
        for (const job of jobs) this.start(execution, job);
        if (!jobs.length) await this.pause(MIN_EMPTY_POLL_INTERVAL_MS - (Date.now() - askedAt));
      } catch (error) {
        if (this.closing.signal.aborted) break;
        failures += 1;
        const delay = this.backoff(error, failures);
        logger.warn({ err: error, retryInMs: delay }, 'RunPod job take failed');
        await this.pause(delay);
      }
    }
  }

  /** Aborts the handlers of the running jobs RunPod ended; stops asking on a platform without job-stop. */
  private async stopEndedJobs(): Promise<void> {
    const { protocol, logger } = this.options;
    let failures = 0;
    while (!this.closing.signal.aborted) {
      const askedAt = Date.now();
      try {
        const jobIds = await protocol.jobsToStop(this.closing.signal);
        if (jobIds === undefined) return;
        failures = 0;
        for (const jobId of jobIds) this.running.get(jobId)?.cancel.abort();
        if (!jobIds.length) await this.pause(MIN_EMPTY_POLL_INTERVAL_MS - (Date.now() - askedAt));
      } catch (error) {
        if (this.closing.signal.aborted) break;
        failures += 1;
        const delay = this.backoff(error, failures);
        logger.warn({ err: error, retryInMs: delay }, 'RunPod job-stop poll failed');
        await this.pause(delay);
      }
    }
  }

  private start(execution: HandlerExecution, job: TakenJob): void {
    const cancel = new AbortController();
    const done = this.runJob(execution, job, cancel.signal)
      .catch((error: unknown) => this.options.logger.error({ err: error, jobId: job.id }, 'RunPod job ended in an unexpected error'))
      .finally(() => {
        this.running.delete(job.id);
        this.wakeTaker?.();
      });
    this.running.set(job.id, { cancel, done });
  }

  private async runJob(execution: HandlerExecution, job: TakenJob, cancelSignal: AbortSignal): Promise<void> {
    const { protocol, contract } = this.options;
    const logger = this.options.logger.child({ jobId: job.id, queue: contract.queue });
    if (isHealthCheck(job.input)) {
      // The seed workers' probe, which the deployer sends once a worker is up: answered here, as the models are loaded by now.
      await protocol.postResult(job.id, { output: { status: 'ok', message: `${contract.queue}-ready`, queue: contract.queue } }, false);
      return;
    }
    const started = Date.now();
    logger.debug('job started');
    let streamed = false;
    const reporter: JobReporter = {
      progress: (jobId, value) => protocol.progress(jobId, value),
      appendChunk: (jobId, chunk) => {
        streamed = true;
        return protocol.appendChunk(jobId, chunk);
      },
    };
    const run = await execution.run({
      jobId: job.id,
      endpointId: protocol.endpointId,
      input: job.input,
      executionTimeoutMs: job.executionTimeoutMs,
      cancelSignal,
      reporter,
      logger,
    });
    if (run.completed) {
      await protocol.postResult(job.id, { output: run.output }, streamed);
      logger.info({ ms: Date.now() - started }, 'job completed');
      return;
    }
    // A job named on job-stop was ended by RunPod, which ignores posts about it.
    if (!(run.error instanceof JobCancelledError)) {
      await protocol.postResult(job.id, { error: describeError(run.error, { traceback: this.runnerOptions.errorTracebacks }) }, streamed);
    }
    logger.warn({ ms: Date.now() - started, err: run.error }, 'job did not complete');
    await run.untilHandlerStops();
  }

  private backoff(error: unknown, failures: number): number {
    if (error instanceof RunPodThrottledError) return THROTTLED_BACKOFF_MS;
    return Math.min(FAILURE_BACKOFF_MS.first * 2 ** (failures - 1), FAILURE_BACKOFF_MS.max);
  }

  /** Waits, unless the server is closing. */
  private async pause(ms: number): Promise<void> {
    if (ms <= 0) return;
    await sleep(ms, undefined, { signal: this.closing.signal }).catch(() => undefined);
  }
}
