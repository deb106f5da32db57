import { findJsonShapeViolation, type Logger } from '@switchyard/shared';
import { UnstorableValueError } from './job-errors';
import { ProgressCoalescer } from './progress-coalescer';

/** At most this many progress values a second per job reach the event stream (and Postgres). */
export const PROGRESS_UPDATES_PER_SECOND = 4;

/** What handlers produce is limited only in depth (it is serialised recursively); sizes are the handler's business. */
const PRODUCED_SHAPE = { maxDepth: 1_000, maxKeys: Number.POSITIVE_INFINITY, maxStringLength: Number.POSITIVE_INFINITY };

/** Throws when a value a handler produced cannot be recorded: text Postgres refuses (U+0000, unpaired surrogates), or nesting past serialisation. */
export function assertStorable(value: unknown, field: string): void {
  const violation = findJsonShapeViolation(value, PRODUCED_SHAPE);
  if (violation) throw new UnstorableValueError([field, ...violation.path].join('.'), violation.message);
}

/**
 * Where a running job's progress and stream chunks go: the job's state in Redis (JobStateStore)
 * on the BullMQ transport, RunPod's job-done and job-stream posts on the RunPod one.
 */
export interface JobReporter {
  progress(jobId: string, value: unknown): Promise<unknown>;
  appendChunk(jobId: string, chunk: unknown): Promise<unknown>;
}

/** What a handler gets besides its input: the job's identity, an abort signal and ways to report. */
export class JobContext {
  private readonly progressUpdates: ProgressCoalescer<unknown>;

  constructor(
    readonly jobId: string,
    readonly endpointId: string,
    /** Aborted on cancel or execution timeout; long work should pass it on or check it. */
    readonly signal: AbortSignal,
    readonly logger: Logger,
    private readonly reporter: JobReporter,
    /**
     * Fires when the job ignored `signal` past the worker's grace period: pass it to model runs
     * (`session.run(feeds, options, { cutOff })`), which then fail at once, their inference thread
     * retired for a fresh one, so a stuck job cannot hold up the next one.
     */
    readonly cutOff: AbortSignal = new AbortController().signal,
  ) {
    this.progressUpdates = new ProgressCoalescer(
      1000 / PROGRESS_UPDATES_PER_SECOND,
      async (value) => {
        await this.reporter.progress(this.jobId, value);
      },
      (error) => this.logger.warn({ err: error }, 'progress update could not be recorded'),
    );
    signal.addEventListener('abort', () => this.progressUpdates.close(), { once: true });
  }

  /**
   * Reports progress (RunPod's progress updates): `GET status` answers the latest value as the
   * output of the running job. Coalesced to a few values a second: a value reported within the
   * interval replaces the one waiting and is written when the interval ends. A value still waiting
   * when the job ends is dropped, as the job's own output supersedes it (the state store refuses
   * progress on an ended job anyway, and RunPod ignores it).
   */
  async progress(value: unknown): Promise<void> {
    assertStorable(value, 'progress');
    await this.progressUpdates.offer(value);
  }

  /** Emits one chunk for `GET /stream/{id}` (RunPod's generator handlers). */
  async stream(chunk: unknown): Promise<void> {
    assertStorable(chunk, 'stream');
    await this.reporter.appendChunk(this.jobId, chunk);
  }

  /** Drops a progress value still waiting, and its timer. The job's signal aborting does the same. */
  close(): void {
    this.progressUpdates.close();
  }
}
