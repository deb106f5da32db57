import { Inject, Injectable } from '@nestjs/common';
import { Prisma, type Database } from '@switchyard/db';
import { DATABASE } from '../infra/tokens';

/** Rows one expiry batch deleted, per table. */
export interface ExpiredJobCounts {
  jobs: number;
  job_events: number;
  webhook_deliveries: number;
  webhook_attempts: number;
}

/** The record of jobs in Postgres, as the recorder left it. */
@Injectable()
export class JobRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  find(jobId: string) {
    return this.database.prisma.job.findUnique({ where: { id: jobId } });
  }

  /** The sequence number of the job's latest recorded event; undefined while nothing of it is recorded. */
  async recordedSeq(jobId: string): Promise<number | undefined> {
    const row = await this.database.prisma.job.findUnique({ where: { id: jobId }, select: { lastSeq: true } });
    return row?.lastSeq;
  }

  /** A project's unexpired jobs of an endpoint in a status, counted through the (project, endpoint, status) index up to `limit`. */
  async countLive(projectId: string, endpointId: string, status: 'IN_QUEUE' | 'IN_PROGRESS', limit: number): Promise<number> {
    const [row] = await this.database.prisma.$queryRaw<{ count: bigint }[]>`
      SELECT count(*) AS count FROM (
        SELECT 1 FROM jobs WHERE project_id = ${projectId} AND endpoint_id = ${endpointId} AND status = ${status}::"JobStatus" AND expires_at > now()
        LIMIT ${limit}) AS live`;
    return Number(row?.count ?? 0);
  }

  /**
   * Deletes up to `limit` jobs that expired before `before`. Their events, deliveries and attempts
   * go by ON DELETE CASCADE (see the init migration) in the same statement; they are counted from
   * the statement's snapshot, before the cascade. Rows are locked with SKIP LOCKED, so that sweeps
   * running at once take different rows.
   */
  async deleteExpired(before: Date, limit: number): Promise<ExpiredJobCounts> {
    const [row] = await this.database.prisma.$queryRaw<Record<keyof ExpiredJobCounts, bigint>[]>(Prisma.sql`
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
}
