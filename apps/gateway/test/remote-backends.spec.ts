import type { INestMicroservice } from '@nestjs/common';
import { FakeRunPod, type FakeJobBehaviour } from '@switchyard/testing';
import { API_KEY, createTestStores, eventually, gatewayConfig, GatewayUnderTest, startEchoWorker } from './support/platform';
import { WebhookReceiver } from './support/webhook-receiver';

/**
 * The echo endpoint with a remote backend: a fake RunPod endpoint (speaking RunPod's job API) or a
 * second Switchyard gateway. Jobs routed there keep their Switchyard id and API; their progress,
 * chunks and end are mirrored; cancels and timeouts are forwarded; a failing remote opens its
 * circuit, and a lost one fails its jobs over to the local queue.
 */
const REMOTE_KEY = 'rp-remote-key-' + Math.random().toString(36).slice(2);
process.env.ECHO_REMOTE_KEY = REMOTE_KEY;

function routingConfig(baseUrl: string, endpointId: string, localLimits = { maxLocalSize: 'large', maxEstimatedWaitMs: 60_000 }) {
  return JSON.stringify({
    endpoints: { echo: { local: { queue: 'echo' }, remote: { baseUrl, endpointId, apiKeyEnv: 'ECHO_REMOTE_KEY', timeoutMs: 2_000, maxConcurrency: 4 } } },
    models: [],
    local: localLimits,
  });
}

const ROUTING_TIMINGS = {
  REMOTE_ALLOW_PRIVATE: 'true',
  REMOTE_HEALTH_INTERVAL_MS: '100',
  REMOTE_CIRCUIT_FAILURES: '3',
  REMOTE_CIRCUIT_COOL_DOWN_MS: '60000',
  REMOTE_LOST_AFTER_MS: '600',
  ROUTING_SAMPLE_MS: '50',
};

const echoBack = (input: unknown): FakeJobBehaviour => ({ end: { outcome: 'COMPLETED', output: { echo: input } } });

interface RemoteSite {
  stores: Awaited<ReturnType<typeof createTestStores>>;
  remote: FakeRunPod;
  gateway: GatewayUnderTest;
  worker?: INestMicroservice;
  close(): Promise<void>;
}

/**
 * A gateway routing echo to a fake RunPod endpoint, on stores of its own, with a local echo worker
 * unless `workerConcurrency` is 0; it waits until the remote's first health probe passed unless told not to.
 */
async function startRemoteSite(
  options: {
    config?: Record<string, string>;
    localLimits?: Parameters<typeof routingConfig>[2];
    workerConcurrency?: number;
    awaitHealthy?: boolean;
    /** Made to answer the gateway's first health probe only after this long. */
    firstHealthDelayMs?: number;
  } = {},
): Promise<RemoteSite> {
  const stores = await createTestStores();
  const remote = await FakeRunPod.start({ apiKey: REMOTE_KEY, endpointId: 'rp-echo' });
  if (options.firstHealthDelayMs) remote.injectFault({ kind: 'slow', delayMs: options.firstHealthDelayMs }, { calls: ['health'], times: 1 });
  const gateway = await GatewayUnderTest.start(
    gatewayConfig({
      REDIS_PREFIX: stores.prefix,
      DATABASE_URL: stores.databaseUrl,
      ROUTING_CONFIG: routingConfig(remote.url, 'rp-echo', options.localLimits),
      ...ROUTING_TIMINGS,
      ...options.config,
    }),
  );
  const worker = options.workerConcurrency === 0 ? undefined : await startEchoWorker(stores.prefix, { concurrency: options.workerConcurrency ?? 4 });
  if (options.awaitHealthy !== false) await eventually(async () => (await gateway.request('GET', '/v2/echo/health')).body.remote?.status === 'healthy');
  return {
    stores,
    remote,
    gateway,
    worker,
    async close() {
      await worker?.close();
      await gateway.close();
      await remote.stop();
      await stores.cleanup();
    },
  };
}

describe('jobs routed to a remote RunPod endpoint', () => {
  let site: RemoteSite;
  let remote: FakeRunPod;
  let gateway: GatewayUnderTest;

  beforeAll(async () => {
    site = await startRemoteSite();
    ({ remote, gateway } = site);
  });

  afterEach(async () => {
    remote.clearFaults();
    remote.behaviour = echoBack;
    await eventually(async () => (await gateway.request('GET', '/v2/echo/health')).body.remote?.status === 'healthy');
  });

  afterAll(() => site.close());

  /** Submits a job and waits until the remote holds it: answers both ids. */
  const submitRemotely = async (body: Record<string, unknown>) => {
    const before = remote.jobIds().length;
    const { id } = (await gateway.request('POST', '/v2/echo/run', { ...body, prefer_backend: 'remote' })).body;
    const remoteId = await eventually(async () => remote.jobIds().length > before && remote.jobIds().at(-1));
    return { id: id as string, remoteId };
  };

  it('runs a job on the remote under its Switchyard id, mirroring progress, chunks, the end, the webhook and the record', async () => {
    remote.behaviour = (input) => ({
      runMs: 300,
      progress: [{ afterMs: 0, value: { step: 1 } }],
      chunks: [
        { afterMs: 20, output: 'first' },
        { afterMs: 40, output: 'second' },
      ],
      end: { outcome: 'COMPLETED', output: { echo: input } },
    });
    const hooks = await WebhookReceiver.start();
    try {
      const submitted = await gateway.request('POST', '/v2/echo/run', { input: { word: 'hello' }, prefer_backend: 'remote', webhook: hooks.url });
      expect(submitted.status).toBe(200);
      const id: string = submitted.body.id;
      await eventually(async () => remote.jobIds().length > 0);
      expect(remote.jobIds()).not.toContain(id);

      const progress = await eventually(async () => {
        const status = (await gateway.request('GET', `/v2/echo/status/${id}`)).body;
        return status.status === 'IN_PROGRESS' && status.output?.step === 1 && status;
      });
      expect(progress.backend).toBe('remote');

      const done = await gateway.request('GET', `/v2/echo/status-sync/${id}?wait=10000`);
      expect(done.body).toMatchObject({ id, status: 'COMPLETED', output: { echo: { word: 'hello' } }, backend: 'remote' });
      const stream = await gateway.request('GET', `/v2/echo/stream/${id}`);
      expect(stream.body.stream).toEqual([{ output: 'first' }, { output: 'second' }]);

      const [run] = remote.requestsOf('run');
      expect(run.authorization).toBe(`Bearer ${REMOTE_KEY}`);
      expect(run.body).toMatchObject({ input: { word: 'hello' }, policy: { executionTimeout: 600_000 } });

      const row = await eventually(async () => {
        const found = await gateway.database.prisma.job.findUnique({ where: { id } });
        return found?.status === 'COMPLETED' && found;
      });
      expect(row).toMatchObject({ backend: 'remote', routeNote: null, output: { echo: { word: 'hello' } } });
      const hook = await eventually(async () => hooks.received[0]);
      expect(JSON.parse(hook.body)).toMatchObject({ id, status: 'COMPLETED', output: { echo: { word: 'hello' } } });
    } finally {
      await hooks.close();
    }
  });

  it('sends an input held as a blob to the remote as its value', async () => {
    const big = 'x'.repeat(300_000);
    const done = await gateway.request('POST', '/v2/echo/runsync', { input: { big }, prefer_backend: 'remote' });
    expect(done.body).toMatchObject({ status: 'COMPLETED', backend: 'remote' });
    expect(done.body.output.echo.big).toBe(big);
    expect((remote.requestsOf('run').at(-1)!.body as { input: { big: string } }).input.big).toBe(big);
  });

  it('forwards a cancel to the remote', async () => {
    remote.behaviour = () => ({ end: { outcome: 'HANG' } });
    const { id, remoteId } = await submitRemotely({ input: { hang: true } });

    expect((await gateway.request('POST', `/v2/echo/cancel/${id}`)).body).toEqual({ id, status: 'CANCELLED' });
    await eventually(async () => remote.requestsOf('cancel', remoteId).length === 1);
    await eventually(async () => remote.statusOf(remoteId) === 'CANCELLED');
    expect((await gateway.request('GET', `/v2/echo/status/${id}`)).body.status).toBe('CANCELLED');
  });

  it('forwards the execution timeout to the remote as a cancel', async () => {
    remote.behaviour = () => ({ end: { outcome: 'HANG' } });
    const { id, remoteId } = await submitRemotely({ input: { slow: true }, policy: { executionTimeout: 1_000 } });
    const done = await gateway.request('GET', `/v2/echo/status-sync/${id}?wait=10000`);
    expect(done.body.status).toBe('TIMED_OUT');
    await eventually(async () => remote.statusOf(remoteId) === 'CANCELLED');
  });

  it('records a remote failure as the job’s own', async () => {
    remote.behaviour = () => ({ end: { outcome: 'FAILED', error: 'CUDA out of memory' } });
    const done = await gateway.request('POST', '/v2/echo/runsync', { input: { big: true }, prefer_backend: 'remote' });
    expect(done.body.status).toBe('FAILED');
    expect(done.body.error).toContain('CUDA out of memory');
  });

  it('retries a failed remote job as a new remote job', async () => {
    let runs = 0;
    remote.behaviour = (input) => (++runs === 1 ? { end: { outcome: 'FAILED', error: 'flaky' } } : echoBack(input));
    const failed = await gateway.request('POST', '/v2/echo/runsync', { input: { again: 1 }, prefer_backend: 'remote' });
    expect(failed.body.status).toBe('FAILED');
    expect((await gateway.request('POST', `/v2/echo/retry/${failed.body.id}`)).body).toEqual({ id: failed.body.id, status: 'IN_QUEUE' });
    const done = await gateway.request('GET', `/v2/echo/status-sync/${failed.body.id}?wait=10000`);
    expect(done.body).toMatchObject({ status: 'COMPLETED', backend: 'remote', output: { echo: { again: 1 } } });
    expect(runs).toBe(2);
  });

  it('retries a remote that answers 429, and it runs the job', async () => {
    const runsBefore = remote.requestsOf('run').length;
    remote.injectFault({ kind: 'http', status: 429, retryAfter: '0' }, { times: 2, calls: ['run'] });
    const done = await gateway.request('POST', '/v2/echo/runsync', { input: { retried: 1 }, prefer_backend: 'remote' });
    expect(done.body).toMatchObject({ status: 'COMPLETED', backend: 'remote', output: { echo: { retried: 1 } } });
    expect(remote.requestsOf('run').length - runsBefore).toBe(3);
  });

  it('fails a job over to the local queue when the remote loses it before streaming, and says why', async () => {
    remote.behaviour = () => ({ runMs: 60_000, end: { outcome: 'HANG' } });
    const { id, remoteId } = await submitRemotely({ input: { lost: 1 } });
    remote.forgetJob(remoteId);

    const done = await gateway.request('GET', `/v2/echo/status-sync/${id}?wait=10000`);
    expect(done.body).toMatchObject({ status: 'COMPLETED', backend: 'local', output: { echo: { lost: 1 } } });
    expect(done.body.routeNote).toMatch(/^failed over from remote: Lost remote job .* \(vanished/);
  });

  it('fails a job clearly when the remote is lost after chunks were mirrored', async () => {
    remote.behaviour = () => ({ runMs: 60_000, chunks: [{ afterMs: 0, output: 'partial' }], end: { outcome: 'HANG' } });
    const { id } = (await gateway.request('POST', '/v2/echo/run', { input: { streamed: 1 }, prefer_backend: 'remote' })).body;
    await eventually(async () => (await gateway.request('GET', `/v2/echo/stream/${id}`)).body.stream?.length === 1);
    await remote.goDown();
    try {
      const done = await gateway.request('GET', `/v2/echo/status-sync/${id}?wait=10000`);
      expect(done.body.status).toBe('FAILED');
      expect(done.body.error).toMatch(/Lost remote job .*unreachable.*chunks were already streamed/);
    } finally {
      await remote.comeBack();
    }
  });
});

describe('a remote that answers badly', () => {
  let site: RemoteSite;
  let remote: FakeRunPod;
  let gateway: GatewayUnderTest;

  beforeAll(async () => {
    // A circuit that never opens here, so each case meets the remote itself.
    site = await startRemoteSite({ config: { REMOTE_CIRCUIT_FAILURES: '1000' } });
    ({ remote, gateway } = site);
  });

  afterEach(() => remote.clearFaults());

  afterAll(() => site.close());

  it.each([
    ['garbage', { kind: 'garbage' } as const, /RunPod run .*: /],
    ['a redirect', { kind: 'redirect', location: 'http://127.0.0.1:1/elsewhere' } as const, /redirect/i],
  ])('fails a job over to local when the remote answers %s to its submission', async (_name, fault, cause) => {
    remote.injectFault(fault, { calls: ['run'] });
    const done = await gateway.request('POST', '/v2/echo/runsync', { input: { refused: 1 }, prefer_backend: 'remote' });
    expect(done.body).toMatchObject({ status: 'COMPLETED', backend: 'local', output: { echo: { refused: 1 } } });
    expect(done.body.routeNote).toMatch(/^failed over from remote: The remote .* never accepted the job \(it refused the job\)/);
    expect(done.body.routeNote).toMatch(cause);
  });

  it('gives up on a submission that hangs after the call timeout, and retries it', async () => {
    remote.injectFault({ kind: 'hang' }, { calls: ['run'], times: 1 });
    const started = Date.now();
    const done = await gateway.request('POST', '/v2/echo/runsync', { input: { hung: 1 }, prefer_backend: 'remote' });
    expect(done.body).toMatchObject({ status: 'COMPLETED', backend: 'remote' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
  });
});

describe('a remote that keeps failing', () => {
  let site: RemoteSite;
  let remote: FakeRunPod;
  let gateway: GatewayUnderTest;

  beforeAll(async () => {
    site = await startRemoteSite();
    ({ remote, gateway } = site);
  });

  afterAll(() => site.close());

  it('opens its circuit: the job fails over, and the next ones fall back with the reason', async () => {
    remote.injectFault({ kind: 'http', status: 503, retryAfter: '0' }, { calls: ['run'] });
    const failedOver = await gateway.request('POST', '/v2/echo/runsync', { input: { outage: 1 }, prefer_backend: 'remote' });
    expect(failedOver.body).toMatchObject({ status: 'COMPLETED', backend: 'local' });
    expect(failedOver.body.routeNote).toMatch(/^failed over from remote: The remote .* never accepted the job/);

    await eventually(async () => (await gateway.request('GET', '/v2/echo/health')).body.remote.circuit === 'open');
    const fellBack = await gateway.request('POST', '/v2/echo/runsync', { input: { outage: 2 }, prefer_backend: 'remote' });
    expect(fellBack.body).toMatchObject({ status: 'COMPLETED', backend: 'local', routeNote: 'fell back from remote: circuit open' });
  });
});

describe('a remote backend at an internal address, under the default address policy', () => {
  let platform: RemoteSite;

  beforeAll(async () => {
    platform = await startRemoteSite({ config: { REMOTE_ALLOW_PRIVATE: 'false' }, awaitHealthy: false });
  });

  afterAll(() => platform.close());

  it('is reported unhealthy, never called, and jobs fall back to local with the reason', async () => {
    const health = await eventually(async () => {
      const remote = (await platform.gateway.request('GET', '/v2/echo/health')).body.remote;
      return remote?.status === 'unhealthy' && remote;
    });
    expect(health.detail).toMatch(/refused|not allowed|private|loopback/i);
    const done = await platform.gateway.request('POST', '/v2/echo/runsync', { input: { inside: 1 }, prefer_backend: 'remote' });
    expect(done.body).toMatchObject({ status: 'COMPLETED', backend: 'local' });
    expect(done.body.routeNote).toMatch(/^fell back from remote: unhealthy: /);
    expect(platform.remote.requests).toEqual([]);
  });
});

describe('a remote whose first health probe has not answered yet', () => {
  let platform: RemoteSite;

  beforeAll(async () => {
    platform = await startRemoteSite({ workerConcurrency: 0, awaitHealthy: false, firstHealthDelayMs: 1_000 });
  });

  afterAll(() => platform.close());

  it('is judged on that probe, not refused for want of one: the job runs there', async () => {
    expect((await platform.gateway.request('GET', '/v2/echo/health')).body.remote.status).toBe('unknown');
    const done = await platform.gateway.request('POST', '/v2/echo/runsync?wait=10000', { input: { first: true } });
    expect(done.body).toMatchObject({ status: 'COMPLETED', backend: 'remote', routeNote: 'fell back from local: no live workers' });
  });
});

describe('a relay that stops mid-job', () => {
  let stores: Awaited<ReturnType<typeof createTestStores>>;
  let remote: FakeRunPod;

  beforeAll(async () => {
    stores = await createTestStores();
    remote = await FakeRunPod.start({
      apiKey: REMOTE_KEY,
      endpointId: 'rp-echo',
      behaviour: (input) => ({ runMs: 1_500, end: { outcome: 'COMPLETED', output: { echo: input } } }),
    });
  });

  afterAll(async () => {
    await remote.stop();
    await stores.cleanup();
  });

  it('hands its job to the next relay, which follows the same remote job to its end', async () => {
    const config = (roles: string) =>
      gatewayConfig({
        REDIS_PREFIX: stores.prefix,
        DATABASE_URL: stores.databaseUrl,
        ROUTING_CONFIG: routingConfig(remote.url, 'rp-echo'),
        ...ROUTING_TIMINGS,
        GATEWAY_ROLES: roles,
      });
    const first = await GatewayUnderTest.start(config('api,recorder,notifier,relay'));
    await eventually(async () => (await first.request('GET', '/v2/echo/health')).body.remote?.status === 'healthy');
    const { id } = (await first.request('POST', '/v2/echo/run', { input: { handed: 1 }, prefer_backend: 'remote' })).body;
    await eventually(async () => remote.jobIds().length === 1);
    const second = await GatewayUnderTest.start(config('api,recorder,relay'));
    try {
      await first.close();
      const done = await second.request('GET', `/v2/echo/status-sync/${id}?wait=15000`);
      expect(done.body).toMatchObject({ id, status: 'COMPLETED', backend: 'remote', output: { echo: { handed: 1 } } });
      expect(remote.requestsOf('run')).toHaveLength(1);
    } finally {
      await second.close();
    }
  });
});

describe('a remote backend that is another Switchyard gateway', () => {
  let remoteStores: Awaited<ReturnType<typeof createTestStores>>;
  let localStores: Awaited<ReturnType<typeof createTestStores>>;
  let remoteGateway: GatewayUnderTest;
  let gateway: GatewayUnderTest;
  let remoteWorker: INestMicroservice;

  beforeAll(async () => {
    process.env.ECHO_REMOTE_KEY = API_KEY;
    remoteStores = await createTestStores();
    localStores = await createTestStores();
    remoteGateway = await GatewayUnderTest.start(gatewayConfig({ REDIS_PREFIX: remoteStores.prefix, DATABASE_URL: remoteStores.databaseUrl }));
    remoteWorker = await startEchoWorker(remoteStores.prefix);
    // No local echo worker: the local queue has no live workers, so jobs overflow to the remote.
    gateway = await GatewayUnderTest.start(
      gatewayConfig({
        REDIS_PREFIX: localStores.prefix,
        DATABASE_URL: localStores.databaseUrl,
        ROUTING_CONFIG: routingConfig(remoteGateway.baseUrl, 'echo'),
        ...ROUTING_TIMINGS,
      }),
    );
    await eventually(async () => (await gateway.request('GET', '/v2/echo/health')).body.remote?.status === 'healthy');
  });

  afterAll(async () => {
    process.env.ECHO_REMOTE_KEY = REMOTE_KEY;
    await gateway.close();
    await remoteWorker.close();
    await remoteGateway.close();
    await remoteStores.cleanup();
    await localStores.cleanup();
  });

  it('sends jobs there while the local queue has no workers, mirroring its stream', async () => {
    const done = await gateway.request('POST', '/v2/echo/runsync', { input: { stream: ['a', 'b', 'c'], sleep_ms: 60 } });
    expect(done.body).toMatchObject({ status: 'COMPLETED', backend: 'remote', routeNote: 'fell back from local: no live workers' });
    expect(done.body.output.echo).toMatchObject({ stream: ['a', 'b', 'c'] });
    const stream = await gateway.request('GET', `/v2/echo/stream/${done.body.id}`);
    expect(stream.body.stream).toEqual([{ output: 'a' }, { output: 'b' }, { output: 'c' }]);

    const health = await gateway.request('GET', '/v2/echo/health');
    expect(health.body.remote).toMatchObject({ status: 'healthy', circuit: 'closed', maxConcurrency: 4 });
    const { idle, running } = health.body.remote.capacity.workers;
    expect(idle + running).toBe(1);
  });

  it('forwards a cancel to the other gateway, whose job is cancelled too', async () => {
    const { id } = (await gateway.request('POST', '/v2/echo/run', { input: { sleep_ms: 30_000 } })).body;
    await eventually(async () => (await gateway.request('GET', `/v2/echo/status/${id}`)).body.status === 'IN_PROGRESS');
    const remoteJob = await eventually(async () => {
      const rows = await remoteGateway.database.prisma.job.findMany({ where: { status: 'IN_PROGRESS' } });
      return rows[0];
    });
    await gateway.request('POST', `/v2/echo/cancel/${id}`);
    await eventually(async () => (await remoteGateway.request('GET', `/v2/echo/status/${remoteJob.id}`)).body.status === 'CANCELLED');
  });
});

describe('overflow from a saturated local queue', () => {
  let site: RemoteSite;
  let gateway: GatewayUnderTest;

  beforeAll(async () => {
    site = await startRemoteSite({ localLimits: { maxLocalSize: 'large', maxEstimatedWaitMs: 500 }, workerConcurrency: 1 });
    ({ gateway } = site);
  });

  afterAll(() => site.close());

  it('sends new jobs to the remote while the estimated local wait is over the limit, and back once it drains', async () => {
    // One job teaches the router the local execution time (announced with the worker's presence once it is idle again).
    expect((await gateway.request('POST', '/v2/echo/runsync', { input: { sleep_ms: 300 } })).body.backend).toBe('local');
    await new Promise((resolve) => setTimeout(resolve, 400));

    const burst = await Promise.all(Array.from({ length: 6 }, (_, i) => gateway.request('POST', '/v2/echo/run', { input: { sleep_ms: 300, i } })));
    const statuses = await Promise.all(burst.map(({ body }) => gateway.request('GET', `/v2/echo/status-sync/${body.id}?wait=20000`)));
    const backends = statuses.map(({ body }) => body.backend);
    expect(statuses.every(({ body }) => body.status === 'COMPLETED')).toBe(true);
    expect(backends).toContain('local');
    expect(backends).toContain('remote');
    const overflowed = statuses.find(({ body }) => body.backend === 'remote')!.body;
    expect(overflowed.routeNote).toMatch(/^fell back from local: estimated wait [\d.]+ s over the 0\.5 s limit$/);

    await eventually(async () => (await gateway.request('GET', '/v2/echo/health')).body.jobs.inQueue === 0, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await gateway.request('POST', '/v2/echo/runsync', { input: { after: 1 } })).body).toMatchObject({ status: 'COMPLETED', backend: 'local' });
  });
});
