import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Logger } from '@switchyard/shared';
import type { GatewayConfig } from '../config';
import { JobRepository } from '../database/job.repository';
import { WebhookDeliveryRepository } from '../database/webhook-delivery.repository';
import { CONFIG, LOGGER } from '../infra/tokens';
import { GatewayMetrics } from '../ops/gateway-metrics';
import { EXPIRED_RESOURCE_CLEANERS, type ExpiredResourceCleaner } from './expired-resource-cleaner';

/** Deleted rows per table (and items per registered resource, e.g. `blobs`) in one sweep. */
export type RetentionCounts = Record<string, number>;

/**
 * Deletes what has outlived its retention: jobs past `expires_at` (plus the grace period) with
 * their events, webhook deliveries and attempts, webhook attempts older than their own period,
 * and expired items of every registered ExpiredResourceCleaner.
 *
 * Every delete takes at most RETENTION_BATCH_SIZE rows and a sweep runs at most
 * RETENTION_MAX_BATCHES_PER_SWEEP of them per table, so a backlog is worked off over several
 * sweeps instead of in one long transaction. Sweeps running at once on several replicas take
 * different rows (the repositories lock with SKIP LOCKED), and deleting is idempotent.
 */
@Injectable()
export class RetentionService {
  private readonly cleaners: ExpiredResourceCleaner[];

  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    private readonly jobRecords: JobRepository,
    private readonly deliveryRecords: WebhookDeliveryRepository,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: GatewayMetrics,
    @Optional() @Inject(EXPIRED_RESOURCE_CLEANERS) cleaners?: ExpiredResourceCleaner[] | null,
  ) {
    this.cleaners = cleaners ?? [];
  }

  async sweep(now: Date): Promise<RetentionCounts> {
    const counts: RetentionCounts = { jobs: 0, job_events: 0, webhook_deliveries: 0, webhook_attempts: 0 };
    const expiredBefore = new Date(now.getTime() - this.config.RETENTION_GRACE_MS);
    const add = (table: string, deleted: number) => {
      counts[table] = (counts[table] ?? 0) + deleted;
      if (deleted > 0) this.metrics.retentionDeleted.inc({ table }, deleted);
    };

    const attemptsPeriod = this.config.RETENTION_WEBHOOK_ATTEMPTS_MS;
    if (attemptsPeriod !== undefined) {
      const attemptedBefore = new Date(now.getTime() - attemptsPeriod);
      await this.inBatches(async (limit) => {
        const deleted = await this.deliveryRecords.deleteAttemptsBefore(attemptedBefore, limit);
        add('webhook_attempts', deleted);
        return deleted;
      });
    }

    await this.inBatches(async (limit) => {
      const batch = await this.jobRecords.deleteExpired(expiredBefore, limit);
      for (const [table, deleted] of Object.entries(batch)) add(table, deleted);
      return batch.jobs;
    });

    for (const cleaner of this.cleaners) {
      add(cleaner.resource, 0);
      await this.inBatches(async (limit) => {
        const deleted = await cleaner.deleteExpired(expiredBefore, limit);
        add(cleaner.resource, deleted);
        return deleted;
      });
    }

    if (Object.values(counts).some((deleted) => deleted > 0)) this.logger.info({ deleted: counts, expiredBefore }, 'retention sweep');
    return counts;
  }

  /** Runs `batch` until it deletes fewer than a full batch, or the per-sweep cap is reached. */
  private async inBatches(batch: (limit: number) => Promise<number>): Promise<void> {
    const limit = this.config.RETENTION_BATCH_SIZE;
    for (let run = 0; run < this.config.RETENTION_MAX_BATCHES_PER_SWEEP; run++) {
      if ((await batch(limit)) < limit) return;
    }
  }
}
