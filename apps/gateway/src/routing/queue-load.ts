import type { LocalObservation } from '@switchyard/routing';
import { homeQueueOf, type WorkerPresence } from '@switchyard/shared';
import { JobQueue, WAITING_STATES } from '../infra/job-queue';

const LOAD_STATES = [...WAITING_STATES, 'active'] as const;
/** A sample this many refresh periods old is not answered: the caller waits for a new one. */
const STALE_SAMPLE_REFRESHES = 10;

/** One queue's load as last sampled: its jobs waiting or running, and the live workers serving it. */
export interface QueueLoadSample {
  queuedJobs: number;
  workers: readonly WorkerPresence[];
}

/** The local backend's facts for one model, from a sample of its queue. */
export function localObservation(sample: QueueLoadSample, modelId: string): LocalObservation {
  let liveSlots = 0;
  let weightedMs = 0;
  let timedSlots = 0;
  let modelLoaded = false;
  for (const worker of sample.workers) {
    liveSlots += worker.concurrency;
    if (worker.meanExecutionMs !== undefined) {
      weightedMs += worker.meanExecutionMs * worker.concurrency;
      timedSlots += worker.concurrency;
    }
    // A worker that names no models serves its queue's one model (workers take jobs only once it is loaded).
    if (!worker.models || worker.models.includes(modelId)) modelLoaded = true;
  }
  return { queuedJobs: sample.queuedJobs, liveSlots, meanExecutionMs: timedSlots ? weightedMs / timedSlots : 0, modelLoaded };
}

/**
 * Samples the load of the queues the router decides on, every `refreshMs`, so a routing decision
 * reads memory instead of Redis. Between samples each job routed to a queue counts as queued at
 * once, so a burst cannot pile onto a queue the last sample showed idle.
 */
export class QueueLoadMonitor {
  private readonly samples = new Map<string, QueueLoadSample & { at: number }>();
  private readonly refreshing = new Map<string, Promise<QueueLoadSample>>();

  constructor(
    private readonly queue: JobQueue,
    private readonly refreshMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The queue's latest sample. One older than `refreshMs` is answered while a new one is read in
   * the background; without a sample, or with one far too old (Redis was unreachable), the caller waits for the read.
   */
  async sample(queueName: string): Promise<QueueLoadSample> {
    const sample = this.samples.get(queueName);
    const age = sample ? this.now() - sample.at : Infinity;
    if (age < this.refreshMs) return sample!;
    const refresh = this.refresh(queueName);
    if (age > STALE_SAMPLE_REFRESHES * this.refreshMs) return refresh;
    refresh.catch(() => undefined);
    return sample!;
  }

  /** Counts a job just routed to the queue until the next sample sees it. */
  routed(queueName: string): void {
    const sample = this.samples.get(queueName);
    if (sample) sample.queuedJobs += 1;
  }

  /** Concurrent callers share one read. */
  private refresh(queueName: string): Promise<QueueLoadSample> {
    let refresh = this.refreshing.get(queueName);
    if (!refresh) {
      refresh = this.read(queueName).finally(() => this.refreshing.delete(queueName));
      this.refreshing.set(queueName, refresh);
    }
    return refresh;
  }

  private async read(queueName: string): Promise<QueueLoadSample> {
    // A remote lane has no workers of its own to read: the relay's jobs are counted, not its presence.
    const isLane = homeQueueOf(queueName) !== queueName;
    const [counts, workers] = await Promise.all([this.queue.counts(queueName, LOAD_STATES), isLane ? [] : this.queue.workers(queueName)]);
    const sample = { queuedJobs: LOAD_STATES.reduce((sum, state) => sum + counts[state], 0), workers, at: this.now() };
    this.samples.set(queueName, sample);
    return sample;
  }
}
