import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import {
  connectRedis,
  EndpointRegistry,
  isFinalEvent,
  JobStateStores,
  parseJobEvent,
  RedisKeys,
  type JobEvent,
  type JobView,
  type Logger,
  type WakeRegistration,
} from '@switchyard/shared';
import type { GatewayConfig } from '../config';
import { CONFIG, LOGGER } from '../infra/tokens';

/** How a watched job stopped being waited for: it ended, or a worker refused it for lack of capacity. */
export type WatchOutcome = { kind: 'ended'; view: JobView } | { kind: 'refused'; reason: string; retryAfterMs: number };

type Resolve = (outcome: WatchOutcome) => void;

export interface JobWatch {
  /** How the job ended (or was refused, when watched for refusals), or undefined when `timeoutMs` passes first. */
  until(timeoutMs: number): Promise<WatchOutcome | undefined>;
  stop(): void;
}

/** The watch of a job about to be queued, with the registration its queued transition must carry. */
export interface NewJobWatch extends JobWatch {
  wake: WakeRegistration;
}

export interface WatchOptions {
  /** Also wake when a worker hands the job back to its queue for lack of capacity. */
  refusals?: boolean;
}

function outcomeOf(event: JobEvent): WatchOutcome | undefined {
  if (event.type === 'requeued') {
    const {
      reason = 'the worker refused the job',
      retryAfterMs = 1_000,
      resumes,
    } = JSON.parse(event.payload ?? '{}') as { reason?: string; retryAfterMs?: number; resumes?: boolean };
    // A job rerouted or handed to another relay goes on by itself: nothing to answer yet.
    return resumes ? undefined : { kind: 'refused', reason, retryAfterMs };
  }
  return isFinalEvent(event) ? { kind: 'ended', view: event.view } : undefined;
}

/** Hears every event of a followed job, in order. */
export type JobEventListener = (event: JobEvent) => void;

/**
 * Lets requests wait for a job to end (runsync, status-sync) or follow its events (the SSE
 * stream). Each gateway process has a wake stream per queue, and registers with a job's state
 * before it reads it: from then on the job's transitions append the events it asked for (the end,
 * or every event for followers) to that stream. One blocking reader per queue tails it (the
 * queues' keys may sit on different cluster nodes), wakes the waiters of each job that ends and
 * hands each event to the job's followers. So a gateway reads the events of the jobs it waits
 * on and no others; the stream is only a wake-up call, never the record.
 */
@Injectable()
export class JobWaiter implements OnModuleInit, OnApplicationShutdown {
  /** Names this process's wake streams; a restarted process starts afresh (its waits ended with it). */
  private readonly processId = randomUUID();
  private readonly waiters = new Map<string, Set<Resolve>>();
  private readonly followers = new Map<string, Set<JobEventListener>>();
  private readonly readers: Redis[] = [];
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly keys: RedisKeys,
    private readonly endpoints: EndpointRegistry,
    private readonly stores: JobStateStores,
  ) {}

  onModuleInit(): void {
    this.running = true;
    this.loops = this.endpoints.contracts().map(({ queue }) => {
      const reader = connectRedis(this.config.REDIS_URL, 'blocking', `gateway:job-waiter:${queue}`);
      this.readers.push(reader);
      return this.tail(reader, this.wakeStream(queue));
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    for (const reader of this.readers.splice(0)) reader.disconnect();
    await Promise.all(this.loops);
  }

  /**
   * Starts listening for the end of a job that is about to be queued: its queued transition must
   * carry the returned `wake`, so no end can be missed. `stop` must be called once the caller is done.
   */
  watchNew(queue: string, jobId: string, options: WatchOptions = {}): NewJobWatch {
    return { ...this.listen(jobId, options), wake: { stream: this.wakeStream(queue), mode: 'end' } };
  }

  /**
   * Starts listening for the end of a job that exists, registered with its state before this
   * resolves: a caller that reads the job afterwards misses no end. `stop` must be called once the caller is done.
   */
  async watch(queue: string, jobId: string, options: WatchOptions = {}): Promise<JobWatch> {
    const watch = this.listen(jobId, options);
    await this.register(queue, jobId, 'end', () => watch.stop());
    return watch;
  }

  /**
   * Hands every event of the job from now on to `listener`, until the returned function is called;
   * registered with the job's state before this resolves. Events that were read just before may
   * come too: callers tell them apart by sequence number.
   */
  async follow(queue: string, jobId: string, listener: JobEventListener): Promise<() => void> {
    const set = this.followers.get(jobId) ?? new Set();
    set.add(listener);
    this.followers.set(jobId, set);
    const unfollow = () => {
      set.delete(listener);
      if (set.size === 0 && this.followers.get(jobId) === set) this.followers.delete(jobId);
    };
    await this.register(queue, jobId, 'all', unfollow);
    return unfollow;
  }

  /** How many listeners follow jobs now (an SSE client that went away must leave none behind). */
  get followerCount(): number {
    let count = 0;
    for (const set of this.followers.values()) count += set.size;
    return count;
  }

  /** Has the job's events wake this process; a registration that fails undoes the local listener first. */
  private async register(queue: string, jobId: string, mode: WakeRegistration['mode'], undo: () => void): Promise<void> {
    try {
      await this.stores.of(queue).watch(jobId, { stream: this.wakeStream(queue), mode });
    } catch (error) {
      undo();
      throw error;
    }
  }

  private wakeStream(queue: string): string {
    return this.keys.queue(queue).wakeStream(this.processId);
  }

  private listen(jobId: string, { refusals = false }: WatchOptions): JobWatch {
    let settle!: Resolve;
    const ended = new Promise<WatchOutcome>((resolve) => (settle = resolve));
    const resolveWaiter: Resolve = (outcome) => {
      if (outcome.kind === 'ended' || refusals) settle(outcome);
    };
    const set = this.waiters.get(jobId) ?? new Set();
    set.add(resolveWaiter);
    this.waiters.set(jobId, set);
    let timer: NodeJS.Timeout | undefined;
    return {
      until: (timeoutMs) => Promise.race([ended, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)))]),
      stop: () => {
        clearTimeout(timer);
        set.delete(resolveWaiter);
        if (set.size === 0 && this.waiters.get(jobId) === set) this.waiters.delete(jobId);
      },
    };
  }

  private deliver(listener: JobEventListener, event: JobEvent): void {
    try {
      listener(event);
    } catch (error) {
      this.logger.warn({ err: error, jobId: event.jobId }, 'a job event listener failed');
    }
  }

  private async tail(reader: Redis, stream: string): Promise<void> {
    let lastId = '$';
    while (this.running) {
      try {
        const result = (await reader.xread('COUNT', 1000, 'BLOCK', 5000, 'STREAMS', stream, lastId)) as [string, [string, string[]][]][] | null;
        for (const [, entries] of result ?? []) {
          for (const [entryId, fields] of entries) {
            lastId = entryId;
            const event = parseJobEvent(entryId, fields);
            const waiters = this.waiters.get(event.jobId);
            const outcome = waiters && outcomeOf(event);
            if (outcome) for (const resolve of [...waiters]) resolve(outcome);
            const followers = this.followers.get(event.jobId);
            if (followers) for (const listener of [...followers]) this.deliver(listener, event);
          }
        }
      } catch (error) {
        if (!this.running) return;
        this.logger.warn({ err: error }, 'wake stream read failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }
}
