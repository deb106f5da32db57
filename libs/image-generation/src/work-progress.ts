/** What a generation or upscale job gets from the worker: its abort signals and ways to report (the worker's JobContext). */
export interface ImageJob {
  /** Aborted on cancel or execution timeout; checked before every step and tile. */
  readonly signal: AbortSignal;
  /** Passed to model runs, which then fail at once (see the worker's JobContext). */
  readonly cutOff?: AbortSignal;
  progress(value: unknown): Promise<void>;
  stream(chunk: unknown): Promise<void>;
}

export type WorkPhase = 'denoise' | 'upscale';

/** One report: the phase, how far it is, and how far the whole job is. */
export interface WorkReport {
  readonly phase: WorkPhase;
  readonly done: number;
  readonly total: number;
  /** Of the whole job, counting each denoising step and each tile as one unit. */
  readonly percent: number;
}

/**
 * Reports a job's denoising steps and upscaling tiles, each as a progress value (coalesced by the
 * worker, shown by `status` and SSE) and as a stream chunk (`/stream`, every one kept).
 */
export class WorkProgress {
  private readonly units: number;

  constructor(
    private readonly job: ImageJob,
    private readonly plan: Readonly<Partial<Record<WorkPhase, number>>>,
  ) {
    this.units = Object.values(plan).reduce((sum, count) => sum + (count ?? 0), 0);
  }

  async report(phase: WorkPhase, done: number, total: number): Promise<void> {
    const before = phase === 'upscale' ? (this.plan.denoise ?? 0) : 0;
    // A phase may run a step more than planned (a scheduler's trailing spacing can): its share stays as planned.
    const unitsDone = before + (done / total) * (this.plan[phase] ?? total);
    const report: WorkReport = { phase, done, total, percent: Math.round((unitsDone / this.units) * 1000) / 10 };
    await Promise.all([this.job.progress(report), this.job.stream(report)]);
  }
}
