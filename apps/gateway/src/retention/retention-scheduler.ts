import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { QUEUES, type Logger } from '@switchyard/shared';
import type { GatewayConfig } from '../config';
import { BullMq } from '../infra/bullmq';
import { CONFIG, LOGGER } from '../infra/tokens';
import { RetentionService } from './retention.service';

/** Fixed, so that every replica upserts the same scheduler and only one repeat exists. */
export const RETENTION_SCHEDULER_ID = 'retention-sweep';

/**
 * Runs the retention sweep every RETENTION_SWEEP_INTERVAL_MS through a BullMQ job scheduler.
 * Every replica upserts the scheduler and works the queue, but each tick is one job, taken by one
 * replica; a sweep that outlasts the interval may overlap the next, which the sweep allows.
 */
@Injectable()
export class RetentionScheduler implements OnModuleInit {
  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly bullMq: BullMq,
    private readonly retention: RetentionService,
  ) {}

  /** Its worker closes with the other BullMQ connections, at shutdown. */
  async onModuleInit(): Promise<void> {
    const worker = this.bullMq.worker(QUEUES.maintenance, () => this.retention.sweep(new Date()), { concurrency: 1 });
    worker.on('error', (error) => this.logger.error({ err: error }, 'maintenance worker error'));
    worker.on('failed', (job, error) => this.logger.warn({ err: error, job: job?.name }, 'retention sweep failed; the next one retries'));
    await this.bullMq
      .queue(QUEUES.maintenance)
      .upsertJobScheduler(
        RETENTION_SCHEDULER_ID,
        { every: this.config.RETENTION_SWEEP_INTERVAL_MS },
        { name: RETENTION_SCHEDULER_ID, opts: { removeOnComplete: { count: 20 }, removeOnFail: { count: 50 } } },
      );
  }
}
