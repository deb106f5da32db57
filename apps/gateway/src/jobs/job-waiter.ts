import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { connectRedis, isFinalStatus, parseJobEvent, RedisKeys, type JobView, type Logger } from '@switchyard/shared';
import type { GatewayConfig } from '../config';
import { CONFIG, LOGGER } from '../infra/tokens';

type Resolve = (view: JobView) => void;

export interface JobWatch {
  /** The job's final view, or undefined when `timeoutMs` passes first. */
  until(timeoutMs: number): Promise<JobView | undefined>;
  stop(): void;
}

/**
 * Lets requests wait for a job to end (runsync, status-sync). One blocking reader per gateway
 * process tails the event stream, like BullMQ's QueueEvents, and wakes the waiters of each job that
 * reaches a final status. Callers watch before they read the job's state, so an end that came
 * before they subscribed is never missed; the stream is only a wake-up call, never the record.
 */
@Injectable()
export class JobWaiter implements OnModuleInit, OnApplicationShutdown {
  private readonly waiters = new Map<string, Set<Resolve>>();
  private reader?: Redis;
  private running = false;
  private loop?: Promise<void>;

  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly keys: RedisKeys,
  ) {}

  onModuleInit(): void {
    this.reader = connectRedis(this.config.REDIS_URL, 'blocking', 'gateway:job-waiter');
    this.running = true;
    this.loop = this.tail();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.reader?.disconnect();
    await this.loop;
  }

  /**
   * Starts listening for the end of a job. Register before the job is enqueued and no end can be
   * missed; `stop` must be called once the caller is done.
   */
  watch(jobId: string): JobWatch {
    let resolveWaiter!: Resolve;
    const ended = new Promise<JobView>((resolve) => (resolveWaiter = resolve));
    this.subscribe(jobId, resolveWaiter);
    let timer: NodeJS.Timeout | undefined;
    return {
      until: (timeoutMs) =>
        Promise.race([ended, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)))]),
      stop: () => {
        clearTimeout(timer);
        this.unsubscribe(jobId, resolveWaiter);
      },
    };
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

  private async tail(): Promise<void> {
    let lastId = '$';
    while (this.running) {
      try {
        const result = (await this.reader!.xread('COUNT', 1000, 'BLOCK', 5000, 'STREAMS', this.keys.events, lastId)) as
          | [string, [string, string[]][]][]
          | null;
        for (const [, entries] of result ?? []) {
          for (const [entryId, fields] of entries) {
            lastId = entryId;
            if (this.waiters.size === 0) continue;
            const event = parseJobEvent(entryId, fields);
            if (!isFinalStatus(event.view.status)) continue;
            for (const resolve of this.waiters.get(event.jobId) ?? []) resolve(event.view);
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
