import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { homeQueueOf, WorkerPresences, type EndpointRegistry, type JobEnvelope, type RedisKeys, type WorkerPresence } from '@switchyard/shared';
import type { BullMq } from './bullmq';

/** BullMQ's states of a job that waits to start. */
export const WAITING_STATES = ['wait', 'prioritized', 'delayed'] as const;
export type WaitingState = (typeof WAITING_STATES)[number];
export type QueueState = WaitingState | 'active' | 'failed' | 'completed';

/** A job's entry in its queue, as the gateway handles it. */
export interface QueueEntry {
  id: string;
  data: JobEnvelope;
  /** Why the queue gave up on it, when it failed there. */
  failedReason?: string;
  /** Takes it off its queue; a running job (locked by its worker) stays. */
  remove(): Promise<void>;
  /** Moves it from failed back to waiting, under the same id; a remote job of the failed run is not followed again. */
  retry(): Promise<void>;
}

export interface EnqueueOptions {
  /** Served after every job without it. */
  lowPriority: boolean;
  /** How long a failed entry is kept (for `retry`), as the job's TTL. */
  ttlMs: number;
}

function entryOf(job: Job<JobEnvelope>): QueueEntry {
  return {
    id: job.id!,
    data: job.data,
    failedReason: job.failedReason,
    remove: () => job.remove(),
    retry: async () => {
      if (job.data.remoteJobId !== undefined) await job.updateData({ ...job.data, remoteJobId: undefined });
      await job.retry('failed');
    },
  };
}

/**
 * The job queues of the gateway's endpoints, one per contract: what the gateway asks of the queue
 * technology (BullMQ) to run jobs, and nothing else — enqueue, find, cancel, list, count, and the
 * workers that serve a queue.
 */
export class JobQueue {
  private readonly served: Set<string>;
  private readonly presences: WorkerPresences;

  constructor(
    private readonly bullMq: BullMq,
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    endpoints: EndpointRegistry,
  ) {
    this.served = new Set(endpoints.contracts().map((contract) => contract.queue));
    this.presences = new WorkerPresences(redis);
  }

  /** The queues the gateway serves. */
  names(): string[] {
    return [...this.served];
  }

  async enqueue(queue: string, jobId: string, envelope: JobEnvelope, options: EnqueueOptions): Promise<void> {
    await this.producer(queue).add(queue, envelope, {
      jobId,
      // BullMQ serves jobs without a priority before any prioritised job, so 1 means "after the rest".
      priority: options.lowPriority ? 1 : undefined,
      removeOnComplete: true,
      removeOnFail: { age: Math.ceil(options.ttlMs / 1000) },
    });
  }

  async find(queue: string, jobId: string): Promise<QueueEntry | undefined> {
    const job = await this.producer(queue).getJob(jobId);
    return job ? entryOf(job) : undefined;
  }

  /** Takes a waiting job off its queue and tells the workers to abort it if one runs it (they hold running jobs locked). */
  async cancel(queue: string, jobId: string): Promise<void> {
    const entry = await this.find(queue, jobId);
    await entry?.remove().catch(() => undefined);
    await this.redis.publish(this.keys.cancellations, jobId);
  }

  /** Waiting jobs in one state, by position (`start` to `end`, inclusive). */
  async waiting(queue: string, state: WaitingState, start: number, end: number): Promise<QueueEntry[]> {
    return (await this.producer(queue).getJobs([state], start, end)).map(entryOf);
  }

  /** The failed jobs the queue still holds, up to `count`. */
  async failed(queue: string, count: number): Promise<QueueEntry[]> {
    return (await this.producer(queue).getFailed(0, count - 1)).map(entryOf);
  }

  async counts<State extends QueueState>(queue: string, states: readonly State[]): Promise<Record<State, number>> {
    const counts = await this.producer(queue).getJobCounts(...states);
    return Object.fromEntries(states.map((state) => [state, counts[state] ?? 0])) as Record<State, number>;
  }

  /** The worker processes serving the queue now. */
  workers(queue: string): Promise<WorkerPresence[]> {
    return this.presences.of(this.keys.queue(queue));
  }

  /** The producer of an endpoint queue, or of the remote lane of one (see remoteLaneOf). */
  private producer(queue: string) {
    if (!this.served.has(homeQueueOf(queue))) throw new Error(`No queue for ${queue}`);
    return this.bullMq.queue<JobEnvelope>(queue);
  }
}
