import { openDatabase, type Database } from '@switchyard/db';
import { createTemporaryPostgresDatabase } from '@switchyard/db/src/testing';
import type { JobEvent, JobEventType, JobStatus, JobView } from '@switchyard/shared';
import { recordJobEvents } from '../src/database/job-event-recorder';

describe('recordJobEvents', () => {
  let temp: Awaited<ReturnType<typeof createTemporaryPostgresDatabase>>;
  let database: Database;

  beforeAll(async () => {
    temp = await createTemporaryPostgresDatabase();
    database = await openDatabase({ kind: 'postgres', url: temp.url });
  });

  afterAll(async () => {
    await database.close();
    await temp.drop();
  });

  const createdAt = Date.UTC(2026, 10, 22, 12, 0, 0);
  function event(jobId: string, seq: number, type: JobEventType, status: JobStatus, extra: Partial<JobView> = {}, payload?: string): JobEvent {
    const view: JobView = {
      id: jobId,
      endpointId: 'echo',
      queue: 'echo',
      status,
      createdAt,
      expiresAt: createdAt + 86_400_000,
      retentionMs: 60_000,
      executionTimeout: 600_000,
      lowPriority: false,
      attempts: seq > 1 ? 1 : 0,
      seq,
      webhook: 'https://hooks.example/x',
      ...extra,
    };
    return { entryId: `${seq}-0`, jobId, seq, type, at: createdAt + seq, payload, view };
  }
  const lifecycle = (jobId: string) => [
    event(jobId, 1, 'queued', 'IN_QUEUE', {}, '{"prompt":"hi"}'),
    event(jobId, 2, 'started', 'IN_PROGRESS', { startedAt: createdAt + 5 }),
    event(jobId, 3, 'stream', 'IN_PROGRESS', { startedAt: createdAt + 5 }, '"chunk"'),
    event(jobId, 4, 'completed', 'COMPLETED', { startedAt: createdAt + 5, finishedAt: createdAt + 25, output: '{"echo":{"prompt":"hi"}}' }),
  ];

  it('records a job, its events and its webhook delivery, with RunPod’s times', async () => {
    const due = await recordJobEvents(database.prisma, lifecycle('job-a'));
    const job = await database.prisma.job.findUniqueOrThrow({ where: { id: 'job-a' }, include: { events: { orderBy: { seq: 'asc' } } } });
    expect(job).toMatchObject({
      status: 'COMPLETED',
      input: { prompt: 'hi' },
      output: { echo: { prompt: 'hi' } },
      delayTime: 5,
      executionTime: 20,
      lastSeq: 4,
    });
    expect(job.createdAt.getTime()).toBe(createdAt);
    expect(job.events.map((row) => [row.seq, row.type, row.payload])).toEqual([
      [1, 'queued', null],
      [2, 'started', null],
      [3, 'stream', 'chunk'],
      [4, 'completed', null],
    ]);
    expect(due).toEqual([{ deliveryId: 'msg_job-a_4', jobId: 'job-a' }]);
  });

  it('is idempotent: a redelivered batch changes nothing', async () => {
    await recordJobEvents(database.prisma, lifecycle('job-b'));
    await recordJobEvents(database.prisma, lifecycle('job-b'));
    expect(await database.prisma.jobEvent.count({ where: { jobId: 'job-b' } })).toBe(4);
    expect(await database.prisma.webhookDelivery.count({ where: { jobId: 'job-b' } })).toBe(1);
  });

  it('never moves a job backwards when events arrive out of order, and still takes the input', async () => {
    const [queued, started, stream, completed] = lifecycle('job-c');
    await recordJobEvents(database.prisma, [completed]);
    await recordJobEvents(database.prisma, [started, stream]);
    await recordJobEvents(database.prisma, [queued]);
    const job = await database.prisma.job.findUniqueOrThrow({ where: { id: 'job-c' } });
    expect(job).toMatchObject({ status: 'COMPLETED', lastSeq: 4, input: { prompt: 'hi' }, output: { echo: { prompt: 'hi' } } });
    expect(await database.prisma.jobEvent.count({ where: { jobId: 'job-c' } })).toBe(4);
  });
});
