import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import {
  connectRedis,
  EndpointRegistry,
  eventJobId,
  isFinalEvent,
  parseJobEvent,
  RedisKeys,
  type JobEvent,
  type JobView,
  type Logger,
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

export interface WatchOptions {
  /** Also wake when a worker hands the job back to its queue for lack of capacity. */
  refusals?: boolean;
}

function outcomeOf(event: JobEvent): WatchOutcome | undefined {
  if (event.type === 'requeued') {
    const { reason = 'the worker refused the job', retryAfterMs = 1_000 } = JSON.parse(event.payload ?? '{}') as { reason?: string; retryAfterMs?: number };
    return { kind: 'refused', reason, retryAfterMs };
  }
  return isFinalEvent(event) ? { kind: 'ended', view: event.view } : undefined;
}

/** Hears every event of a followed job, in order. */
export type JobEventListener = (event: JobEvent) => void;

/**
 * Lets requests wait for a job to end (runsync, status-sync) or follow its events (the SSE
 * stream). One blocking reader per queue and gateway process tails the queue's event stream (a
 * reader each, as the streams of different queues may sit on different cluster nodes), like BullMQ's
 * QueueEvents, wakes the waiters of each job that reaches a final status and hands each event to
 * the job's followers. Callers watch before they read the job's state, so an end that came before
 * they subscribed is never missed; the stream is only a wake-up call, never the record.
 */
@Injectable()
export class JobWaiter implements OnModuleInit, OnApplicationShutdown {
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
  ) {}

  onModuleInit(): void {
    this.running = true;
    this.loops = this.endpoints.contracts().map(({ queue }) => {
      const reader = connectRedis(this.config.REDIS_URL, 'blocking', `gateway:job-waiter:${queue}`);
      this.readers.push(reader);
      return this.tail(reader, this.keys.queue(queue).events);
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    for (const reader of this.readers.splice(0)) reader.disconnect();
    await Promise.all(this.loops);
  }

  /**
   * Starts listening for the end of a job. Register before the job is enqueued and no end can be
   * missed; `stop` must be called once the caller is done.
   */
  watch(jobId: string, { refusals = false }: WatchOptions = {}): JobWatch {
    let settle!: Resolve;
    const ended = new Promise<WatchOutcome>((resolve) => (settle = resolve));
    const resolveWaiter: Resolve = (outcome) => {
      if (outcome.kind === 'ended' || refusals) settle(outcome);
    };
    this.subscribe(jobId, resolveWaiter);
    let timer: NodeJS.Timeout | undefined;
    return {
      until: (timeoutMs) => Promise.race([ended, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)))]),
      stop: () => {
        clearTimeout(timer);
        this.unsubscribe(jobId, resolveWaiter);
      },
    };
  }

  /**
   * Hands every event of the job from now on to `listener`, until the returned function is called.
   * Events that were read just before may come too: callers tell them apart by sequence number.
   */
  follow(jobId: string, listener: JobEventListener): () => void {
    const set = this.followers.get(jobId) ?? new Set();
    set.add(listener);
    this.followers.set(jobId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.followers.get(jobId) === set) this.followers.delete(jobId);
    };
  }

  /** How many listeners follow jobs now (an SSE client that went away must leave none behind). */
  get followerCount(): number {
    let count = 0;
    for (const set of this.followers.values()) count += set.size;
    return count;
  }

  private subscribe(jobId: string, resolve: Resolve): void {
    const set = this.waiters.get(jobId) ?? new Set();
    set.add(resolve);
    this.waiters.set(jobId, set);
  }

  private unsubscribe(jobId: string, resolve: Resolve): void {
    const set = this.waiters.get(jobId);
    set?.delete(resolve);
    if (set?.size === 0) this.waiters.delete(jobId);
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
            if (this.waiters.size === 0 && this.followers.size === 0) continue;
            const jobId = eventJobId(fields);
            if (jobId === undefined) continue;
            const waiters = this.waiters.get(jobId);
            const followers = this.followers.get(jobId);
            if (!waiters && !followers) continue;
            const event = parseJobEvent(entryId, fields);
            const outcome = waiters && outcomeOf(event);
            if (outcome) for (const resolve of waiters) resolve(outcome);
            if (followers) for (const listener of [...followers]) this.deliver(listener, event);
          }
        }
      } catch (error) {
        if (!this.running) return;
        this.logger.warn({ err: error }, 'event stream read failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }
}
