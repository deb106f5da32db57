import { Queue } from 'bullmq';
import { openDatabase, type Database } from '@switchyard/db';
import { createLogger, QUEUES, RedisKeys } from '@switchyard/shared';
import { JobRepository } from '../src/database/job.repository';
import { WebhookDeliveryRepository } from '../src/database/webhook-delivery.repository';
import { GatewayMetrics } from '../src/ops/gateway-metrics';
import type { ExpiredResourceCleaner } from '../src/retention/expired-resource-cleaner';
import { RETENTION_SCHEDULER_ID } from '../src/retention/retention-scheduler';
import { RetentionService } from '../src/retention/retention.service';
import { createTestStores, eventually, gatewayConfig, GatewayUnderTest, startTestPlatform, type TestPlatform } from './support/platform';

const HOUR = 3_600_000;
const NOW = new Date('2026-12-01T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);

/** A finished job with the history a real one leaves: three events, a webhook delivery and two attempts, written at once. */
async function seedJob(database: Database, id: string, expiresAt: Date, at = NOW): Promise<void> {
  await database.prisma.job.create({
    data: {
      id,
      endpointId: 'echo',
      queue: 'echo',
      status: 'COMPLETED',
      policy: {},
      createdAt: ago(2 * HOUR),
      expiresAt,
      lastSeq: 3,
      webhookUrl: 'https://example.com/hook',
      events: { create: ['queued', 'started', 'completed'].map((type, index) => ({ seq: index + 1, type, at })) },
      deliveries: {
        create: {
          id: `msg_${id}_3`,
          eventSeq: 3,
          url: 'https://example.com/hook',
          status: 'DELIVERED',
          attempts: 2,
          attemptLog: {
            create: [
              { attempt: 1, at, statusCode: 500, durationMs: 12 },
              { attempt: 2, at, statusCode: 200, durationMs: 9 },
            ],
          },
        },
      },
    },
  });
}

async function remaining(database: Database) {
  const prisma = database.prisma;
  return {
    jobs: (await prisma.job.findMany({ select: { id: true }, orderBy: { id: 'asc' } })).map((job) => job.id),
    job_events: await prisma.jobEvent.count(),
    webhook_deliveries: await prisma.webhookDelivery.count(),
    webhook_attempts: await prisma.webhookAttempt.count(),
  };
}

/** The sweep on the repositories of `database`, as the gateway wires it. */
function retentionOn(
  database: Database,
  settings: Record<string, string>,
  logger: ReturnType<typeof createLogger>,
  metrics: GatewayMetrics,
  cleaners: ExpiredResourceCleaner[] = [],
): RetentionService {
  return new RetentionService(gatewayConfig(settings), new JobRepository(database), new WebhookDeliveryRepository(database), logger, metrics, cleaners);
}

describe('retention sweep', () => {
  let stores: Awaited<ReturnType<typeof createTestStores>>;
  let database: Database;
  const logger = createLogger('test-retention', 'warn');

  const retention = (settings: Record<string, string> = {}, cleaners: ExpiredResourceCleaner[] = [], metrics = new GatewayMetrics()) =>
    retentionOn(database, settings, logger, metrics, cleaners);

  beforeAll(async () => {
    stores = await createTestStores();
    database = await openDatabase({ kind: 'postgres', url: stores.databaseUrl });
  });

  beforeEach(() => database.prisma.$executeRawUnsafe('TRUNCATE jobs CASCADE'));

  afterAll(async () => {
    await database.close();
    await stores.cleanup();
  });

  it('deletes expired jobs with their events, deliveries and attempts, and leaves live jobs whole', async () => {
    await seedJob(database, 'expired-1', ago(HOUR));
    await seedJob(database, 'expired-2', ago(1));
    await seedJob(database, 'live', new Date(NOW.getTime() + HOUR));

    const deleted = await retention().sweep(NOW);

    expect(deleted).toEqual({ jobs: 2, job_events: 6, webhook_deliveries: 2, webhook_attempts: 4 });
    expect(await remaining(database)).toEqual({ jobs: ['live'], job_events: 3, webhook_deliveries: 1, webhook_attempts: 2 });
  });

  it('works through more expired jobs than one batch holds, a batch at a time', async () => {
    for (let n = 1; n <= 5; n++) await seedJob(database, `expired-${n}`, ago(n * HOUR));
    await seedJob(database, 'live', new Date(NOW.getTime() + HOUR));
    const statements = jest.spyOn(database.prisma, '$queryRaw');

    const deleted = await retention({ RETENTION_BATCH_SIZE: '2' }).sweep(NOW);

    expect(deleted.jobs).toBe(5);
    expect(statements).toHaveBeenCalledTimes(3);
    expect((await remaining(database)).jobs).toEqual(['live']);
    statements.mockRestore();
  });

  it('stops at the per-sweep cap and leaves the rest to the next sweep', async () => {
    for (let n = 1; n <= 5; n++) await seedJob(database, `expired-${n}`, ago(n * HOUR));
    const sweeper = retention({ RETENTION_BATCH_SIZE: '2', RETENTION_MAX_BATCHES_PER_SWEEP: '2' });

    expect((await sweeper.sweep(NOW)).jobs).toBe(4);
    expect((await remaining(database)).jobs).toEqual(['expired-1']);
    expect((await sweeper.sweep(NOW)).jobs).toBe(1);
    expect((await remaining(database)).jobs).toEqual([]);
  });

  it('keeps expired jobs for the grace period', async () => {
    await seedJob(database, 'expired-within-grace', ago(HOUR / 2));
    await seedJob(database, 'expired-past-grace', ago(2 * HOUR));

    await retention({ RETENTION_GRACE_MS: String(HOUR) }).sweep(NOW);

    expect((await remaining(database)).jobs).toEqual(['expired-within-grace']);
  });

  it('trims webhook attempts older than their own retention period while their job lives', async () => {
    await seedJob(database, 'live-old-attempts', new Date(NOW.getTime() + HOUR), ago(48 * HOUR));
    await seedJob(database, 'live-recent-attempts', new Date(NOW.getTime() + HOUR), ago(HOUR));

    const deleted = await retention({ RETENTION_WEBHOOK_ATTEMPTS_MS: String(24 * HOUR), RETENTION_BATCH_SIZE: '1' }).sweep(NOW);

    expect(deleted).toEqual({ jobs: 0, job_events: 0, webhook_deliveries: 0, webhook_attempts: 2 });
    expect(await remaining(database)).toEqual({
      jobs: ['live-old-attempts', 'live-recent-attempts'],
      job_events: 6,
      webhook_deliveries: 2,
      webhook_attempts: 2,
    });
  });

  it('keeps webhook attempts as long as their job when no attempt retention is configured', async () => {
    await seedJob(database, 'live-old-attempts', new Date(NOW.getTime() + HOUR), ago(365 * 24 * HOUR));

    await retention().sweep(NOW);

    expect((await remaining(database)).webhook_attempts).toBe(2);
  });

  it('deletes expired blobs through every registered cleaner, in batches, with the jobs’ cut-off', async () => {
    const blobExpiries = [ago(3 * HOUR), ago(2 * HOUR), ago(2 * HOUR), ago(HOUR / 4), new Date(NOW.getTime() + HOUR)];
    const calls: Array<{ before: Date; limit: number }> = [];
    const blobs: ExpiredResourceCleaner = {
      resource: 'blobs',
      async deleteExpired(before, limit) {
        calls.push({ before, limit });
        const expired = blobExpiries.filter((expiresAt) => expiresAt < before).slice(0, limit);
        for (const expiresAt of expired) blobExpiries.splice(blobExpiries.indexOf(expiresAt), 1);
        return expired.length;
      },
    };

    const deleted = await retention({ RETENTION_BATCH_SIZE: '2', RETENTION_GRACE_MS: String(HOUR / 2) }, [blobs]).sweep(NOW);

    expect(deleted.blobs).toBe(3);
    expect(blobExpiries).toHaveLength(2);
    expect(calls).toEqual([
      { before: ago(HOUR / 2), limit: 2 },
      { before: ago(HOUR / 2), limit: 2 },
    ]);
  });

  it('counts what it deletes in switchyard_retention_deleted_total by table', async () => {
    await seedJob(database, 'expired', ago(HOUR));
    const metrics = new GatewayMetrics();

    await retention({}, [], metrics).sweep(NOW);

    const values = (await metrics.retentionDeleted.get()).values.map(({ labels, value }) => [labels.table, value]);
    expect(Object.fromEntries(values)).toEqual({ jobs: 1, job_events: 3, webhook_deliveries: 1, webhook_attempts: 2 });
  });
});

describe('retention on the embedded database (no DATABASE_URL)', () => {
  it('deletes expired jobs and their history from PGlite too', async () => {
    const stores = await createTestStores();
    const database = await openDatabase({ kind: 'pglite', dataDir: stores.pgliteDir });
    try {
      await seedJob(database, 'expired', ago(HOUR));
      await seedJob(database, 'live', new Date(NOW.getTime() + HOUR));

      const deleted = await retentionOn(database, {}, createLogger('test-retention', 'warn'), new GatewayMetrics()).sweep(NOW);

      expect(deleted).toEqual({ jobs: 1, job_events: 3, webhook_deliveries: 1, webhook_attempts: 2 });
      expect(await remaining(database)).toEqual({ jobs: ['live'], job_events: 3, webhook_deliveries: 1, webhook_attempts: 2 });
    } finally {
      await database.close();
      await stores.cleanup();
    }
  }, 60_000);
});

describe('scheduled retention', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await startTestPlatform({ echoWorker: false, config: { RETENTION_SWEEP_INTERVAL_MS: '100' } });
  });

  afterAll(() => platform.close());

  it('runs the sweep on its interval: expired jobs disappear, live ones stay', async () => {
    const { gateway } = platform;
    await seedJob(gateway.database, 'scheduled-expired', new Date(Date.now() - HOUR));
    await seedJob(gateway.database, 'scheduled-live', new Date(Date.now() + HOUR));

    await eventually(async () => (await gateway.database.prisma.job.count({ where: { id: 'scheduled-expired' } })) === 0);

    expect((await remaining(gateway.database)).jobs).toEqual(['scheduled-live']);
    const metrics = await gateway.request('GET', '/metrics');
    expect(metrics.body).toMatch(/switchyard_retention_deleted_total\{table="jobs"\} [1-9]/);
  });

  it('keeps one schedule however many gateway replicas start', async () => {
    const { stores } = platform;
    const replica = await GatewayUnderTest.start(
      gatewayConfig({ REDIS_PREFIX: stores.prefix, DATABASE_URL: stores.databaseUrl, RETENTION_SWEEP_INTERVAL_MS: '100', RECORDER_CONSUMER: 'replica-2' }),
    );
    const queue = new Queue(QUEUES.maintenance, { connection: stores.redis, prefix: new RedisKeys(stores.prefix).queue(QUEUES.maintenance).bullPrefix });
    try {
      const schedulers = await queue.getJobSchedulers();
      expect(schedulers.map((scheduler) => scheduler.key)).toEqual([RETENTION_SCHEDULER_ID]);
    } finally {
      await queue.close();
      await replica.close();
    }
  });
});
