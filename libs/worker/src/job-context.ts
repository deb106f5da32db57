import { findJsonShapeViolation, type JobStateStore, type Logger } from '@switchyard/shared';
import { UnstorableValueError } from './job-errors';

/** What handlers produce is limited only in depth (it is serialised recursively); sizes are the handler's business. */
const PRODUCED_SHAPE = { maxDepth: 1_000, maxKeys: Number.POSITIVE_INFINITY, maxStringLength: Number.POSITIVE_INFINITY };

/** Throws when a value a handler produced cannot be recorded: text Postgres refuses (U+0000, unpaired surrogates), or nesting past serialisation. */
export function assertStorable(value: unknown, field: string): void {
  const violation = findJsonShapeViolation(value, PRODUCED_SHAPE);
  if (violation) throw new UnstorableValueError([field, ...violation.path].join('.'), violation.message);
}

/** What a handler gets besides its input: the job's identity, an abort signal and ways to report. */
export class JobContext {
  constructor(
    readonly jobId: string,
    readonly endpointId: string,
    /** Aborted on cancel or execution timeout; long work should pass it on or check it. */
    readonly signal: AbortSignal,
    readonly logger: Logger,
    private readonly store: JobStateStore,
    /**
     * Fires when the job ignored `signal` past the worker's grace period: pass it to model runs
     * (`session.run(feeds, options, { cutOff })`), which then end at once, their inference thread
     * terminated and replaced, so a stuck job cannot hold the device while the next one starts.
     */
    readonly cutOff: AbortSignal = new AbortController().signal,
  ) {}

  /** Records a progress value (RunPod's progress updates). */
  async progress(value: unknown): Promise<void> {
    assertStorable(value, 'progress');
    await this.store.progress(this.jobId, value);
  }

  /** Emits one chunk for `GET /stream/{id}` (RunPod's generator handlers). */
  async stream(chunk: unknown): Promise<void> {
    assertStorable(chunk, 'stream');
    await this.store.appendChunk(this.jobId, chunk);
  }
}
