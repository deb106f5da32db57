import fc from 'fast-check';
import { RedisKeys } from '@switchyard/shared';
import { JobReconciler } from '../src/events/job-reconciler';
import {
  API_KEY,
  EmbedderWorkerUnderTest,
  eventually,
  gatewayConfig,
  GatewayUnderTest,
  queueStateOnly,
  startTestPlatform,
  type TestPlatform,
} from './support/platform';

const STATUS_ROUTES = [
  ['GET', 'status'],
  ['GET', 'status-sync'],
  ['GET', 'stream'],
  ['POST', 'cancel'],
  ['POST', 'retry'],
] as const;

/** A run body whose input is `depth` objects deep, written out (JSON.stringify would overflow its own stack). */
function nestedBody(depth: number): string {
  return `{"input":${'{"down":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}}`;
}

describe('hostile input gets a 4xx, never a 500, and loses nothing', () => {
  let platform: TestPlatform;
  let gateway: GatewayUnderTest;

  beforeAll(async () => {
    platform = await startTestPlatform({ config: { RECONCILE_ENQUEUE_GRACE_MS: '1500' } });
    gateway = platform.gateway;
  });

  afterAll(() => platform.close());

  describe('job ids', () => {
    it.each(STATUS_ROUTES)('%s %s answers 404 for an id holding a NUL byte, an overlong id and a non-UUID', async (method, route) => {
      for (const id of ['0b8a1f3e-7c41-4d5e-9f00-2d6c1a3b4c5d%00', 'a'.repeat(5_000), '%00', 'not-a-job', '0B8A1F3E-7C41-4D5E-9F00-2D6C1A3B4C5D']) {
        const response = await gateway.request(method, `/v2/echo/${route}/${id}`);
        expect({ id: id.slice(0, 40), status: response.status }).toEqual({ id: id.slice(0, 40), status: 404 });
        expect(response.body).toMatchObject({ code: 'not_found', field: 'id' });
      }
    });
  });

  describe('JSON shape limits', () => {
    it('refuses input nested 10,000 levels deep with a 400 naming the limit', async () => {
      const response = await gateway.request('POST', '/v2/echo/run', nestedBody(10_000));
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'invalid_request', limit: 'maxDepth' });
      expect(response.body.field).toMatch(/^input(\.down)+$/);
      const runsync = await gateway.request('POST', '/v2/echo/runsync', nestedBody(10_000));
      expect(runsync.status).toBe(400);
    });

    it('takes nesting up to the default limit of 32 levels', async () => {
      const response = await gateway.request('POST', '/v2/echo/runsync', nestedBody(32));
      expect(response.body.status).toBe('COMPLETED');
      expect((await gateway.request('POST', '/v2/echo/run', nestedBody(33))).status).toBe(400);
    });

    it('refuses more keys than the limit, and a contract’s tighter depth', async () => {
      const wide = Object.fromEntries(Array.from({ length: 100_001 }, (_, i) => [`k${i}`, 0]));
      const keys = await gateway.request('POST', '/v2/echo/run', { input: wide });
      expect(keys).toMatchObject({ status: 400, body: { limit: 'maxKeys', field: 'input' } });
      const deepForEmbedder = await gateway.request('POST', '/v2/embedder/run', { input: { texts: [['nested']] } });
      expect(deepForEmbedder).toMatchObject({ status: 400, body: { limit: 'maxDepth', field: 'input.texts.0' } });
    });

    it('refuses a string over the limit', async () => {
      const response = await gateway.request('POST', '/v2/echo/runsync', { input: { text: 'x'.repeat(16 * 1024 * 1024 + 1) } });
      expect(response).toMatchObject({ status: 400, body: { limit: 'maxStringLength', field: 'input.text' } });
    });
  });

  describe('error shapes', () => {
    it('labels errors by their type, not their message: a 404 route is not invalid JSON', async () => {
      const missing = await gateway.request('GET', '/config.json');
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ error: expect.any(String), code: 'not_found' });
      const malformed = await gateway.request('POST', '/v2/echo/run', '{"input": ');
      expect(malformed.body).toMatchObject({ code: 'invalid_json', field: 'body' });
    });

    it('answers every /v1 error in OpenAI’s shape, body parsing, 413 and 415 included', async () => {
      const url = `${gateway.baseUrl}/v1/embeddings`;
      const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
      const cases: [RequestInit, number][] = [
        [{ method: 'POST', headers, body: '{"model": ' }, 400],
        [{ method: 'POST', headers, body: '' }, 400],
        [{ method: 'POST', headers, body: JSON.stringify({ model: 'm', input: 'x'.repeat(21 * 1024 * 1024) }) }, 413],
        [{ method: 'POST', headers: { ...headers, 'content-type': 'text/csv' }, body: 'a,b' }, 415],
      ];
      for (const [init, status] of cases) {
        const response = await fetch(url, init);
        expect(response.status).toBe(status);
        expect(await response.json()).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: null } });
      }
      const unknown = await fetch(`${gateway.baseUrl}/v1/nope`, { headers });
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'not_found' } });
    });

    it('keeps server paths and, unless configured, tracebacks out of failed jobs’ errors', async () => {
      const failed = await gateway.request('POST', '/v2/echo/runsync', { input: { fail: 'boom at /srv/secret/path/file.txt' } });
      const error = JSON.parse(failed.body.error);
      expect(error).toEqual({ error_type: 'Error', error_message: 'boom at file.txt' });
    });
  });

  describe('orphaned jobs', () => {
    it('fails a job whose gateway died between recording its state and enqueueing it, once the grace period passes', async () => {
      // What a gateway killed between `store.queue` and `queue.add` leaves behind: the state, no queue entry.
      const orphanId = '7d1e4b2a-3c5f-4e6d-8a9b-0c1d2e3f4a5b';
      await queueStateOnly(platform.stores, orphanId, { orphan: true });
      const healthy = await gateway.request('POST', '/v2/echo/run', { input: { sleep_ms: 1_500 } });

      const reconciler = gateway.app.get(JobReconciler);
      expect(await reconciler.sweep()).not.toContain(orphanId);
      // Past the grace period (1.5 s, long enough that a loaded machine still sweeps once within it).
      await new Promise((resolve) => setTimeout(resolve, 1_600));
      expect(await reconciler.sweep()).toEqual([orphanId]);

      const status = await gateway.request('GET', `/v2/echo/status/${orphanId}`);
      expect(status.body.status).toBe('FAILED');
      expect(JSON.parse(status.body.error)).toMatchObject({ error_type: 'EnqueueLost' });
      await eventually(async () => (await gateway.database.prisma.job.findUnique({ where: { id: orphanId } }))?.status === 'FAILED');
      expect((await gateway.request('GET', `/v2/echo/status-sync/${healthy.body.id}?wait=10000`)).body.status).toBe('COMPLETED');
      expect(await platform.stores.redis.zcard(new RedisKeys(platform.stores.prefix).queue('echo').awaitingEnqueue)).toBe(0);
    });
  });

  describe('generated input', () => {
    it('answers random JSON with a 2xx or 4xx, and records every job it accepts', async () => {
      const accepted: string[] = [];
      const json = fc.jsonValue({ depthSize: 'medium', maxDepth: 40 });
      const input = fc.oneof(
        fc.dictionary(fc.string({ unit: 'binary' }), json),
        fc.dictionary(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' })),
        json,
      );
      const body = fc.oneof(
        fc.record({ input }),
        fc.record({ input, policy: fc.dictionary(fc.string(), json) }),
        fc.record({ input, webhook: fc.string() }),
        json,
      );
      await fc.assert(
        fc.asyncProperty(body, async (value) => {
          const response = await gateway.request('POST', '/v2/echo/run', JSON.stringify(value));
          expect([response.status, response.status >= 200 && response.status < 500]).toEqual([response.status, true]);
          expect(response.status).not.toBe(500);
          if (response.status === 200) accepted.push(response.body.id);
          else expect(response.body).toMatchObject({ error: expect.any(String), code: expect.any(String) });
        }),
        { numRuns: 300, seed: 20261201 },
      );
      expect(accepted.length).toBeGreaterThan(20);
      await eventually(async () => {
        const rows = await gateway.database.prisma.job.findMany({ where: { id: { in: accepted } }, select: { status: true } });
        return rows.length === accepted.length && rows.every((row) => row.status === 'COMPLETED' || row.status === 'FAILED');
      }, 30_000);
    });
  });
});

describe('overload is 429 or 503 with Retry-After, never a 500 or a failed job', () => {
  let platform: TestPlatform;
  let gateway: GatewayUnderTest;
  let embedder: EmbedderWorkerUnderTest;

  beforeAll(async () => {
    platform = await startTestPlatform({ echoWorker: false });
    gateway = platform.gateway;
    // A batcher that holds one request of 64 texts, whose items wait up to a second to fill a batch.
    embedder = await EmbedderWorkerUnderTest.start(platform.stores.prefix, {
      EMBEDDER_MAX_QUEUED_ITEMS: '64',
      EMBEDDER_MAX_TEXTS: '64',
      EMBEDDER_TEXT_BATCH_SIZE: '1024',
      EMBEDDER_TEXT_BATCH_LOOKAHEAD: '1024',
      EMBEDDER_BATCH_WAIT_MS: '1000',
    });
  });

  afterAll(async () => {
    await embedder.close();
    await platform.close();
  });

  const texts = (n: number) => Array.from({ length: 64 }, (_, i) => `request ${n} text ${i}`);

  it('answers a burst over the batcher’s capacity with 503 and Retry-After on /v2, and 429 rate_limit_exceeded on /v1', async () => {
    const v2 = Promise.all(Array.from({ length: 6 }, (_, n) => gateway.request('POST', '/v2/embedder/runsync', { input: { texts: texts(n) } })));
    const v1 = Promise.all(
      Array.from({ length: 4 }, (_, n) =>
        fetch(`${gateway.baseUrl}/v1/embeddings`, {
          method: 'POST',
          headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'sentence-transformers/all-MiniLM-L6-v2', input: texts(100 + n) }),
        }),
      ),
    );
    const [v2Responses, v1Responses] = await Promise.all([v2, v1]);
    const statuses = [...v2Responses.map((response) => response.status), ...v1Responses.map((response) => response.status)];
    expect(statuses).not.toContain(500);
    expect(statuses).toContain(200);

    const refused = v2Responses.filter((response) => response.status !== 200);
    expect(refused.length).toBeGreaterThan(0);
    for (const response of refused) {
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({ code: 'overloaded' });
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    for (const response of v1Responses.filter((candidate) => candidate.status !== 200)) {
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await response.json()).toMatchObject({ error: { type: 'requests', code: 'rate_limit_exceeded' } });
    }
    const jobs = await gateway.database.prisma.job.findMany({ where: { queue: 'embedder' }, select: { status: true, error: true } });
    expect(jobs.filter((job) => job.status === 'FAILED')).toEqual([]);
  });

  it('puts refused /run jobs back in the queue, where they complete', async () => {
    const runs = await Promise.all(Array.from({ length: 4 }, (_, n) => gateway.request('POST', '/v2/embedder/run', { input: { texts: texts(200 + n) } })));
    for (const run of runs) {
      const status = await gateway.request('GET', `/v2/embedder/status-sync/${run.body.id}?wait=30000`);
      expect(status.body.status).toBe('COMPLETED');
      expect(status.body.output.vectors).toHaveLength(64);
    }
    const requeues = await gateway.database.prisma.jobEvent.count({ where: { jobId: { in: runs.map((run) => run.body.id) }, type: 'requeued' } });
    expect(requeues).toBeGreaterThan(0);
  });

  it('refuses new jobs with 429 queue_full once an endpoint holds its maximum of queued jobs', async () => {
    const limited = await GatewayUnderTest.start(
      gatewayConfig({ REDIS_PREFIX: `${platform.stores.prefix}-full`, DATABASE_URL: platform.stores.databaseUrl, MAX_QUEUED_JOBS_PER_ENDPOINT: '3' }),
    );
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        const response = await limited.request('POST', '/v2/echo/run', { input: { i } });
        statuses.push(response.status);
        if (response.status === 429) {
          expect(response.body).toMatchObject({ code: 'queue_full' });
          expect(response.headers.get('retry-after')).toBe('1');
        }
        // Queue depth is read at most every 250 ms.
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
    } finally {
      await limited.close();
      const keys = await platform.stores.redis.keys(`${platform.stores.prefix}-full*`);
      if (keys.length) await platform.stores.redis.del(...keys);
    }
  });
});
