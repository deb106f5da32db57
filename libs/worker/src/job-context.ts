import type { JobStateStore, Logger } from '@switchyard/shared';

/** What a handler gets besides its input: the job's identity, an abort signal and ways to report. */
export class JobContext {
  constructor(
    readonly jobId: string,
    readonly endpointId: string,
    /** Aborted on cancel or execution timeout; long work should pass it on or check it. */
    readonly signal: AbortSignal,
    readonly logger: Logger,
    private readonly store: JobStateStore,
  ) {}

  /** Records a progress value (RunPod's progress updates). */
  async progress(value: unknown): Promise<void> {
    await this.store.progress(this.jobId, value);
  }

  /** Emits one chunk for `GET /stream/{id}` (RunPod's generator handlers). */
  async stream(chunk: unknown): Promise<void> {
    await this.store.appendChunk(this.jobId, chunk);
  }
}
