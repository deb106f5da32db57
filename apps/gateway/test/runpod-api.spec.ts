import type { INestMicroservice } from '@nestjs/common';
import { createTestStores, eventually, gatewayConfig, GatewayUnderTest, startEchoWorker } from './support/platform';

describe('RunPod-compatible job API', () => {
  let stores: Awaited<ReturnType<typeof createTestStores>>;
  let gateway: GatewayUnderTest;
  let worker: INestMicroservice | undefined;

  beforeAll(async () => {
    stores = await createTestStores();
    gateway = await GatewayUnderTest.start(gatewayConfig({ REDIS_PREFIX: stores.prefix, DATABASE_URL: stores.databaseUrl }));
    worker = await startEchoWorker(stores.prefix);
  });

  afterAll(async () => {
    await worker?.close();
    await gateway.close();
    await stores.cleanup();
  });

  const stopWorker = async () => {
    await worker?.close();
    worker = undefined;
  };
  const ensureWorker = async (concurrency?: number) => {
    worker ??= await startEchoWorker(stores.prefix, { concurrency });
  };

  it('runs a job with /run and reports it through /status with measured times', async () => {
    const run = await gateway.request('POST', '/v2/echo/run', { input: { prompt: 'hello' } });
    expect(run.status).toBe(200);
    expect(run.body).toEqual({ id: expect.any(String), status: 'IN_QUEUE' });

    const done = await eventually(async () => {
      const status = await gateway.request('GET', `/v2/echo/status/${run.body.id}`);
      return status.body.status === 'COMPLETED' && status.body;
    });
    expect(done).toMatchObject({ id: run.body.id, output: { echo: { prompt: 'hello' } } });
    expect(done.delayTime).toBeGreaterThanOrEqual(0);
    expect(done.executionTime).toBeGreaterThanOrEqual(0);
  });

  it('answers /runsync with the finished status object', async () => {
    const response = await gateway.request('POST', '/v2/echo/runsync?wait=5000', { input: { n: 1 } });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'COMPLETED', output: { echo: { n: 1 } } });
  });

  it('answers /runsync with IN_PROGRESS when the job outlasts ?wait=', async () => {
    const response = await gateway.request('POST', '/v2/echo/runsync?wait=1000', { input: { sleep_ms: 2500 } });
    expect(response.body).toEqual({ id: expect.any(String), status: 'IN_PROGRESS', delayTime: expect.any(Number), workerId: expect.any(String) });
    const final = await gateway.request('GET', `/v2/echo/status-sync/${response.body.id}?wait=5000`);
    expect(final.body.status).toBe('COMPLETED');
  });

  it('streams chunks produced since the last /stream call', async () => {
    const run = await gateway.request('POST', '/v2/echo/run', { input: { stream: ['a', 'b', 'c'], sleep_ms: 600 } });
    const seen: unknown[] = [];
    let status = '';
    while (status !== 'COMPLETED') {
      const response = await gateway.request('GET', `/v2/echo/stream/${run.body.id}`);
      status = response.body.status;
      seen.push(...response.body.stream.map((chunk: { output: unknown }) => chunk.output));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('fails a job whose handler throws, with RunPod’s error object', async () => {
    const response = await gateway.request('POST', '/v2/echo/runsync', { input: { fail: 'model exploded' } });
    expect(response.body.status).toBe('FAILED');
    expect(JSON.parse(response.body.error)).toMatchObject({ error_type: 'Error', error_message: 'model exploded' });
  });

  it('times a job out after policy.executionTimeout and stops its work', async () => {
    const response = await gateway.request('POST', '/v2/echo/runsync?wait=10000', {
      input: { sleep_ms: 8000, stream: [1, 2, 3, 4] },
      policy: { executionTimeout: 1000 },
    });
    expect(response.body.status).toBe('TIMED_OUT');
    expect(response.body.executionTime).toBeLessThan(2500);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const chunks = await gateway.request('GET', `/v2/echo/stream/${response.body.id}`);
    expect(chunks.body.stream.length).toBeLessThanOrEqual(1);
  });

  it('cancels a queued job so that it never runs', async () => {
    await stopWorker();
    const run = await gateway.request('POST', '/v2/echo/run', { input: {} });
    const cancel = await gateway.request('POST', `/v2/echo/cancel/${run.body.id}`);
    expect(cancel.body).toEqual({ id: run.body.id, status: 'CANCELLED' });
    await ensureWorker();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const status = await gateway.request('GET', `/v2/echo/status/${run.body.id}`);
    expect(status.body).toEqual({ id: run.body.id, status: 'CANCELLED' });
  });

  it('cancels a running job and aborts the worker’s work', async () => {
    const run = await gateway.request('POST', '/v2/echo/run', { input: { sleep_ms: 4000, stream: [1, 2, 3, 4] } });
    await eventually(async () => (await gateway.request('GET', `/v2/echo/status/${run.body.id}`)).body.status === 'IN_PROGRESS');
    const cancel = await gateway.request('POST', `/v2/echo/cancel/${run.body.id}`);
    expect(cancel.body.status).toBe('CANCELLED');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const stream = await gateway.request('GET', `/v2/echo/stream/${run.body.id}`);
    expect(stream.body.status).toBe('CANCELLED');
    expect(stream.body.stream.length).toBeLessThanOrEqual(1);
  });

  it('retries a FAILED job under the same id and refuses to retry anything else', async () => {
    const failed = await gateway.request('POST', '/v2/echo/runsync', { input: { fail: 'once' } });
    const retry = await gateway.request('POST', `/v2/echo/retry/${failed.body.id}`);
    expect(retry.body).toEqual({ id: failed.body.id, status: 'IN_QUEUE' });
    const again = await gateway.request('GET', `/v2/echo/status-sync/${failed.body.id}?wait=5000`);
    expect(again.body).toMatchObject({ id: failed.body.id, status: 'FAILED', retries: 1 });

    const completed = await gateway.request('POST', '/v2/echo/runsync', { input: {} });
    const refused = await gateway.request('POST', `/v2/echo/retry/${completed.body.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'conflict', field: 'id' });
  });

  it('purges queued jobs but leaves running ones', async () => {
    await stopWorker();
    const queued = await Promise.all([1, 2, 3].map(() => gateway.request('POST', '/v2/echo/run', { input: {} })));
    // Queued and running jobs are counted per project from the recorded jobs, a moment behind.
    await eventually(async () => (await gateway.request('GET', '/v2/echo/health')).body.jobs.inQueue === 3);
    const purge = await gateway.request('POST', '/v2/echo/purge-queue');
    expect(purge.body).toEqual({ removed: 3, status: 'completed' });
    for (const { body } of queued) {
      expect((await gateway.request('GET', `/v2/echo/status/${body.id}`)).body.status).toBe('CANCELLED');
    }
    await ensureWorker();
  });

  it('purges only the endpoint’s own jobs when aliases share its queue', async () => {
    await stopWorker();
    // Purges are limited to 2 per 10 s per key; this test needs three.
    const aliased = await GatewayUnderTest.start(
      gatewayConfig({ REDIS_PREFIX: stores.prefix, DATABASE_URL: stores.databaseUrl, ENDPOINT_ALIASES: 'legacy-echo=echo', RATE_LIMIT_MULTIPLIER: '10' }),
    );
    try {
      const echoJobs = await Promise.all([1, 2].map(() => aliased.request('POST', '/v2/echo/run', { input: {} })));
      await Promise.all([1, 2, 3].map(() => aliased.request('POST', '/v2/legacy-echo/run', { input: {} })));
      expect((await aliased.request('POST', '/v2/legacy-echo/purge-queue')).body).toEqual({ removed: 3, status: 'completed' });
      for (const { body } of echoJobs) expect((await aliased.request('GET', `/v2/echo/status/${body.id}`)).body.status).toBe('IN_QUEUE');
      expect((await aliased.request('POST', '/v2/echo/purge-queue')).body).toEqual({ removed: 2, status: 'completed' });
    } finally {
      await aliased.close();
      await ensureWorker();
    }
  });

  it('serves low-priority jobs after the others', async () => {
    await stopWorker();
    const low = await gateway.request('POST', '/v2/echo/run', { input: { tag: 'low' }, policy: { lowPriority: true } });
    const normal = await gateway.request('POST', '/v2/echo/run', { input: { tag: 'normal' } });
    await ensureWorker(1);
    const [lowDone, normalDone] = await Promise.all([low, normal].map(({ body }) => gateway.request('GET', `/v2/echo/status-sync/${body.id}?wait=5000`)));
    expect(lowDone.body.status).toBe('COMPLETED');
    // Submitted first, the low-priority job still starts last.
    expect(lowDone.body.delayTime).toBeGreaterThan(normalDone.body.delayTime);
    await stopWorker();
    await ensureWorker();
  });

  it('reports job counts and workers in /health', async () => {
    const health = await gateway.request('GET', '/v2/echo/health');
    expect(health.status).toBe(200);
    expect(health.body.jobs.completed).toBeGreaterThan(3);
    expect(health.body.jobs.failed).toBeGreaterThanOrEqual(1);
    expect(health.body.jobs.retried).toBeGreaterThanOrEqual(1);
    expect(health.body.workers.idle + health.body.workers.running).toBeGreaterThanOrEqual(1);
  });

  it('forgets a job after its policy.ttl: 404', async () => {
    const response = await gateway.request('POST', '/v2/echo/runsync', { input: {}, policy: { ttl: 10_000 } });
    expect((await gateway.request('GET', `/v2/echo/status/${response.body.id}`)).status).toBe(200);
    const gone = await eventually(
      async () => {
        const status = await gateway.request('GET', `/v2/echo/status/${response.body.id}`);
        return status.status === 404 && status;
      },
      15_000,
      250,
    );
    expect(gone.body).toMatchObject({ code: 'not_found' });
  }, 20_000);

  it('records every job and its events in Postgres', async () => {
    const response = await gateway.request('POST', '/v2/echo/runsync', { input: { stream: ['x'] } });
    const job = await eventually(async () => {
      const row = await gateway.database.prisma.job.findUnique({ where: { id: response.body.id }, include: { events: { orderBy: { seq: 'asc' } } } });
      return row?.status === 'COMPLETED' && row;
    });
    expect(job.input).toEqual({ stream: ['x'] });
    expect(job.output).toEqual({ echo: { stream: ['x'] } });
    expect(job.events.map((event) => event.type)).toEqual(['queued', 'started', 'stream', 'completed']);
    expect(job.events.map((event) => event.seq)).toEqual([1, 2, 3, 4]);
  });
});
