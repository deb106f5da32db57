import { Inject, Injectable, Optional } from '@nestjs/common';
import { Prisma, type Database } from '@switchyard/db';
import type { Logger } from '@switchyard/shared';
import type { GatewayConfig } from '../config';
import { CONFIG, DATABASE, LOGGER } from '../infra/tokens';
import { GatewayMetrics } from '../ops/gateway-metrics';
import { EXPIRED_RESOURCE_CLEANERS, type ExpiredResourceCleaner } from './expired-resource-cleaner';

/** Deleted rows per table (and items per registered resource, e.g. `blobs`) in one sweep. */
export type RetentionCounts = Record<string, number>;

interface JobBatchCounts {
  jobs: bigint;
  job_events: bigint;
  webhook_deliveries: bigint;
  webhook_attempts: bigint;
}

/**
 * Deletes what has outlived its retention: jobs past `expires_at` (plus the grace period) with
 * their events, webhook deliveries and attempts, webhook attempts older than their own period,
 * and expired items of every registered ExpiredResourceCleaner.
 *
 * Every delete takes at most RETENTION_BATCH_SIZE rows and a sweep runs at most
 * RETENTION_MAX_BATCHES_PER_SWEEP of them per table, so a backlog is worked off over several
 * sweeps instead of in one long transaction. Batches lock their rows with SKIP LOCKED, so sweeps
 * running at once on several replicas take different rows, and deleting is idempotent.
 */
@Injectable()
export class RetentionService {
  private readonly cleaners: ExpiredResourceCleaner[];

  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(DATABASE) private readonly database: Database,
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
        const deleted = await this.deleteWebhookAttempts(attemptedBefore, limit);
        add('webhook_attempts', deleted);
        return deleted;
      });
    }

    await this.inBatches(async (limit) => {
      const batch = await this.deleteExpiredJobs(expiredBefore, limit);
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

  /**
   * The jobs' events, deliveries and attempts go by ON DELETE CASCADE (see the init migration),
   * in the same statement; they are counted from the statement's snapshot, before the cascade.
   */
  private async deleteExpiredJobs(before: Date, limit: number): Promise<Record<keyof JobBatchCounts, number>> {
    const [row] = await this.database.prisma.$queryRaw<JobBatchCounts[]>(Prisma.sql`
      WITH doomed AS (
        SELECT id FROM jobs WHERE expires_at < ${before}::timestamp(3) ORDER BY expires_at LIMIT ${limit} FOR UPDATE SKIP LOCKED
      ), deleted AS (
        DELETE FROM jobs USING doomed WHERE jobs.id = doomed.id RETURNING jobs.id
      )
      SELECT
        (SELECT count(*) FROM deleted) AS jobs,
        (SELECT count(*) FROM job_events e JOIN deleted d ON e.job_id = d.id) AS job_events,
        (SELECT count(*) FROM webhook_deliveries w JOIN deleted d ON w.job_id = d.id) AS webhook_deliveries,
        (SELECT count(*) FROM webhook_attempts a JOIN webhook_deliveries w ON a.delivery_id = w.id JOIN deleted d ON w.job_id = d.id) AS webhook_attempts`);
    return {
      jobs: Number(row.jobs),
      job_events: Number(row.job_events),
      webhook_deliveries: Number(row.webhook_deliveries),
      webhook_attempts: Number(row.webhook_attempts),
    };
  }

  private deleteWebhookAttempts(before: Date, limit: number): Promise<number> {
    return this.database.prisma.$executeRaw(Prisma.sql`
      WITH doomed AS (
        SELECT id FROM webhook_attempts WHERE at < ${before}::timestamp(3) ORDER BY at LIMIT ${limit} FOR UPDATE SKIP LOCKED
      )
      DELETE FROM webhook_attempts USING doomed WHERE webhook_attempts.id = doomed.id`);
  }
}
