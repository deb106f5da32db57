import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { connectRedis, RedisKeys, type Logger } from '@switchyard/shared';
import type { GatewayConfig } from '../config';
import { CONFIG, LOGGER } from '../infra/tokens';
import { RetentionService } from './retention.service';

/** The gateway's queue for its own periodic work. */
export const MAINTENANCE_QUEUE = 'maintenance';
/** Fixed, so that every replica upserts the same scheduler and only one repeat exists. */
export const RETENTION_SCHEDULER_ID = 'retention-sweep';

/**
 * Runs the retention sweep every RETENTION_SWEEP_INTERVAL_MS through a BullMQ job scheduler.
 * Every replica upserts the scheduler and works the queue, but each tick is one job, taken by one
 * replica; a sweep that outlasts the interval may overlap the next, which the sweep allows.
 */
@Injectable()
export class RetentionScheduler implements OnModuleInit, OnApplicationShutdown {
  private queue!: Queue;
  private worker!: Worker;
  private readonly connections: Redis[] = [];

  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly keys: RedisKeys,
    private readonly retention: RetentionService,
  ) {}

  async onModuleInit(): Promise<void> {
    const connection = () => {
      const redis = connectRedis(this.config.REDIS_URL, 'blocking', 'gateway:maintenance');
      this.connections.push(redis);
      return redis;
    };
    this.queue = new Queue(MAINTENANCE_QUEUE, { connection: connection(), prefix: this.keys.queue(MAINTENANCE_QUEUE).bullPrefix });
    this.worker = new Worker(MAINTENANCE_QUEUE, () => this.retention.sweep(new Date()), {
      connection: connection(),
      prefix: this.keys.queue(MAINTENANCE_QUEUE).bullPrefix,
      concurrency: 1,
    });
    this.worker.on('error', (error) => this.logger.error({ err: error }, 'maintenance worker error'));
    this.worker.on('failed', (job, error) => this.logger.warn({ err: error, job: job?.name }, 'retention sweep failed; the next one retries'));
    await this.queue.upsertJobScheduler(
      RETENTION_SCHEDULER_ID,
      { every: this.config.RETENTION_SWEEP_INTERVAL_MS },
      { name: RETENTION_SCHEDULER_ID, opts: { removeOnComplete: { count: 20 }, removeOnFail: { count: 50 } } },
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker.close();
    await this.queue.close();
    await Promise.all(this.connections.map((redis) => redis.quit().catch(() => undefined)));
  }

  queueForDashboard(): Queue {
    return this.queue;
  }
}
