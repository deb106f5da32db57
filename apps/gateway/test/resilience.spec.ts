import { UnrecoverableError, Worker } from 'bullmq';
import { JobStateStore, RedisKeys, isFinalStatus } from '@switchyard/shared';
import { JobReconciler } from '../src/events/job-reconciler';
import { CuttableProxy, exited, spawnWorkerProcess } from './support/processes';
import { createTestStores, eventually, gatewayConfig, GatewayUnderTest, startEchoWorker, TEST_REDIS_URL } from './support/platform';

jest.setTimeout(60_000);

describe('resilience', () => {
  let stores: Awaited<ReturnType<typeof createTestStores>>;

  beforeEach(async () => {
    stores = await createTestStores();
  });
  afterEach(async () => {
    await stores.cleanup();
  });

  /** Every job's events are in Postgres: as many rows as the sequence numbers its view handed out. */
  async function expectEveryEventRecorded(gateway: GatewayUnderTest, jobIds: string[]): Promise<void> {
    const store = new JobStateStore(stores.redis, new RedisKeys(stores.prefix).queue('echo'));
    const expected = new Map<string, number>();
    for (const id of jobIds) expected.set(id, (await store.get(id))!.seq);
    await eventually(
      async () => {
        const counts = await gateway.database.prisma.jobEvent.groupBy({ by: ['jobId'], where: { jobId: { in: jobIds } }, _count: true });
        const recorded = new Map(counts.map((row) => [row.jobId, row._count]));
        return jobIds.every((id) => recorded.get(id) === expected.get(id));
      },
      30_000,
      200,
    );
    const rows = await gateway.database.prisma.job.findMany({ where: { id: { in: jobIds } } });
    expect(rows).toHaveLength(jobIds.length);
    expect(rows.every((row) => row.status === 'COMPLETED' && row.lastSeq === expected.get(row.id))).toBe(true);
  }

  it('completes a job whose worker is killed with SIGKILL mid-job', async () => {
    const gateway = await GatewayUnderTest.start(gatewayConfig({ REDIS_PREFIX: stores.prefix, DATABASE_URL: stores.databaseUrl }));
    const fastStalls = { WORKER_STALLED_INTERVAL_MS: '500', WORKER_LOCK_DURATION_MS: '1500' };
    const first = await spawnWorkerProcess(stores.prefix, { ...fastStalls, WORKER_ID: 'doomed' });
    try {
      const run = await gateway.request('POST', '/v2/echo/run', { input: { sleep_ms: 2000 } });
      await eventually(async () => (await gateway.request('GET', `/v2/echo/status/${run.body.id}`)).body.status === 'IN_PROGRESS');
      first.kill('SIGKILL');
      await exited(first);

      const second = await spawnWorkerProcess(stores.prefix, { ...fastStalls, WORKER_ID: 'survivor' });
      try {
        const final = await gateway.request('GET', `/v2/echo/status-sync/${run.body.id}?wait=20000`);
        expect(final.body).toMatchObject({ status: 'COMPLETED', workerId: 'survivor', retries: 1, output: { echo: { sleep_ms: 2000 } } });
      } finally {
        second.kill('SIGTERM');
        await exited(second);
      }
    } finally {
      first.kill('SIGKILL');
      await gateway.close();
    }
  });

  it('fails a job whose workers were killed mid-job twice with WorkerLost, instead of killing a third, which lives on', async () => {
    const gateway = await GatewayUnderTest.start(gatewayConfig({ REDIS_PREFIX: stores.prefix, DATABASE_URL: stores.databaseUrl }));
    const fastStalls = { WORKER_STALLED_INTERVAL_MS: '500', WORKER_LOCK_DURATION_MS: '1500' };
    const children = [];
    try {
      const run = await gateway.request('POST', '/v2/echo/run', { input: { sleep_ms: 60_000 } });
      for (const workerId of ['doomed-1', 'doomed-2']) {
        const worker = await spawnWorkerProcess(stores.prefix, { ...fastStalls, WORKER_ID: workerId });
        children.push(worker);
        await eventually(async () => (await gateway.request('GET', `/v2/echo/status/${run.body.id}`)).body.workerId === workerId, 20_000);
        worker.kill('SIGKILL');
        await exited(worker);
      }
      const survivor = await spawnWorkerProcess(stores.prefix, { ...fastStalls, WORKER_ID: 'survivor' });
      children.push(survivor);
      const final = await gateway.request('GET', `/v2/echo/status-sync/${run.body.id}?wait=20000`);
      expect(final.body.status).toBe('FAILED');
      expect(JSON.parse(final.body.error)).toMatchObject({ error_type: 'WorkerLost', error_message: expect.stringContaining('lost mid-job 2 times') });
      const next = await gateway.request('POST', '/v2/echo/runsync', { input: { after: true } });
      expect(next.body).toMatchObject({ status: 'COMPLETED', workerId: 'survivor' });
    } finally {
      for (const child of children) child.kill('SIGKILL');
      await gateway.close();
    }
  });

  it('counts the worker processes of an endpoint in /health: idle, running, and gone once they stop', async () => {
    const gateway = await GatewayUnderTest.start(gatewayConfig({ REDIS_PREFIX: stores.prefix, DATABASE_URL: stores.databaseUrl }));
    const health = async () => (await gateway.request('GET', '/v2/echo/health')).body.workers;
    const first = await spawnWorkerProcess(stores.prefix, { WORKER_ID: 'first' });
    const second = await spawnWorkerProcess(stores.prefix, { WORKER_ID: 'second', WORKER_CONCURRENCY: '1' });
    try {
      expect(await health()).toEqual({ idle: 2, running: 0 });
      const long = await gateway.request('POST', '/v2/echo/run', { input: { sleep_ms: 3_000 } });
      await eventually(async () => (await gateway.request('GET', `/v2/echo/status/${long.body.id}`)).body.status === 'IN_PROGRESS');
      await eventually(async () => JSON.stringify(await health()) === JSON.stringify({ idle: 1, running: 1 }));
      second.kill('SIGTERM');
      first.kill('SIGTERM');
      await Promise.all([exited(first), exited(second)]);
      expect(await health()).toEqual({ idle: 0, running: 0 });
    } finally {
      first.kill('SIGKILL');
      second.kill('SIGKILL');
      await gateway.close();
    }
  });

  it('lets a worker finish its active job when it is asked to stop (SIGTERM)', async () => {
    const gateway = await GatewayUnderTest.start(gatewayConfig({ REDIS_PREFIX: stores.prefix, DATABASE_URL: stores.databaseUrl }));
    const worker = await spawnWorkerProcess(stores.prefix);
    try {
      const run = await gateway.request('POST', '/v2/echo/run', { input: { sleep_ms: 1500 } });
      await eventually(async () => (await gateway.request('GET', `/v2/echo/status/${run.body.id}`)).body.status === 'IN_PROGRESS');
      worker.kill('SIGTERM');
      await exited(worker);
      // No other worker exists: the job can only have completed before the process went away.
      expect((await gateway.request('GET', `/v2/echo/status/${run.body.id}`)).body.status).toBe('COMPLETED');
    } finally {
      worker.kill('SIGKILL');
      await gateway.close();
    }
  });

  it('loses no event when the gateway restarts while events are in flight', async () => {
    const config = gatewayConfig({ REDIS_PREFIX: stores.prefix, DATABASE_URL: stores.databaseUrl, RECORDER_CONSUMER: 'gateway-0' });
    let gateway = await GatewayUnderTest.start(config);
    const worker = await startEchoWorker(stores.prefix, { concurrency: 16 });
    try {
      const submitted = await Promise.all(
        Array.from({ length: 120 }, (_, i) => gateway.request('POST', '/v2/echo/run', { input: { i, sleep_ms: 300, stream: ['a', 'b'] } })),
      );
      const ids = submitted.map((response) => response.body.id as string);
      await gateway.close();

      const store = new JobStateStore(stores.redis, new RedisKeys(stores.prefix).queue('echo'));
      await eventually(async () => (await Promise.all(ids.map((id) => store.get(id)))).every((view) => view && isFinalStatus(view.status)), 30_000, 100);

      gateway = await GatewayUnderTest.start(config);
      await expectEveryEventRecorded(gateway, ids);
    } finally {
      await worker.close();
      await gateway.close();
    }
  });

  it('loses no event while the database is unreachable, and records them once it returns', async () => {
    const proxy = await CuttableProxy.start(Number(new URL(stores.databaseUrl).port || 5432));
    const viaProxy = new URL(stores.databaseUrl);
    viaProxy.port = String(proxy.port);
    const gateway = await GatewayUnderTest.start(gatewayConfig({ REDIS_PREFIX: stores.prefix, DATABASE_URL: viaProxy.toString() }));
    const worker = await startEchoWorker(stores.prefix);
    try {
      const before = await gateway.request('POST', '/v2/echo/runsync', { input: { phase: 'before' } });
      await proxy.cut();
      // Jobs keep running with the database gone: Redis holds their state, the stream their events.
      const during = await Promise.all(Array.from({ length: 20 }, (_, i) => gateway.request('POST', '/v2/echo/runsync', { input: { i } })));
      expect(during.every((response) => response.body.status === 'COMPLETED')).toBe(true);
      expect((await gateway.request('GET', '/ready')).status).toBe(503);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await proxy.restore();

      await expectEveryEventRecorded(gateway, [before.body.id, ...during.map((response) => response.body.id)]);
      expect((await gateway.request('GET', '/ready')).status).toBe(200);
    } finally {
      await worker.close();
      await gateway.close();
      await proxy.cut();
    }
  });

  it('marks FAILED a job that BullMQ failed without its worker recording the end', async () => {
    const gateway = await GatewayUnderTest.start(gatewayConfig({ REDIS_PREFIX: stores.prefix, DATABASE_URL: stores.databaseUrl }));
    // A consumer that fails jobs the way BullMQ does when workers keep dying on one: no Switchyard event.
    const silent = new Worker(
      'echo',
      async () => {
        throw new UnrecoverableError('job stalled more than allowable limit');
      },
      {
        connection: { url: TEST_REDIS_URL, maxRetriesPerRequest: null },
        prefix: new RedisKeys(stores.prefix).queue('echo').bullPrefix,
      },
    );
    try {
      const run = await gateway.request('POST', '/v2/echo/run', { input: {} });
      const closed = await eventually(async () => {
        const swept = await gateway.app.get(JobReconciler).sweep();
        return swept.length > 0 && swept;
      });
      expect(closed).toEqual([run.body.id]);
      const status = await gateway.request('GET', `/v2/echo/status/${run.body.id}`);
      expect(status.body.status).toBe('FAILED');
      expect(JSON.parse(status.body.error)).toMatchObject({ error_type: 'WorkerLost', error_message: 'job stalled more than allowable limit' });
    } finally {
      await silent.close();
      await gateway.close();
    }
  });
});
