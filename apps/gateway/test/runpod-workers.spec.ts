import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { INestMicroservice } from '@nestjs/common';
import { ApiKeyManager } from '../src/auth/api-key-manager';
import { BullMq } from '../src/infra/bullmq';
import { eventually, startEchoWorker, startTestPlatform, type TestPlatform } from './support/platform';

const WORKER_SCRIPT = join(__dirname, 'support', 'runpod_worker.py');
/** Switchyard's own worker app, as `npm run build` leaves it: in RunPod mode it is what the deployer runs on RunPod. */
const SWITCHYARD_WORKER = join(__dirname, '../../detector-worker/dist/index.js');
/** Jobs one external worker may hold at once on the echo endpoint in these tests. */
const JOBS_PER_WORKER = 2;

let platform: TestPlatform;
let workerKey: string;
const workers: ChildProcess[] = [];

/** An endpoint of the operator's own (EXTERNAL_ENDPOINTS): only external workers serve it, with RunPod's free-form input and output. */
const OWN_ENDPOINT = 'my-image';
/** Another, whose /health no other test's workers show up in. */
const COUNTED_ENDPOINT = 'counted-image';
/** One that takes a single external worker at a time. */
const CAPPED_ENDPOINT = 'capped-image';

interface WorkerOptions {
  endpoint?: string;
  /** Where the worker sends its calls: the gateway, or a proxy in front of it. */
  baseUrl?: string;
  env?: Record<string, string>;
}

/** RunPod's environment for a serverless worker, pointing at the gateway under test (or a proxy in front of it). */
function runPodEnvironment(workerId: string, { endpoint = 'echo', baseUrl = platform.gateway.baseUrl }: WorkerOptions): Record<string, string> {
  const base = `${baseUrl}/v2/workers/${endpoint}`;
  return {
    RUNPOD_POD_ID: workerId,
    RUNPOD_ENDPOINT_ID: endpoint,
    RUNPOD_AI_API_KEY: workerKey,
    RUNPOD_WEBHOOK_GET_JOB: `${base}/job-take/$ID?gpu=test`,
    RUNPOD_WEBHOOK_POST_OUTPUT: `${base}/job-done/$RUNPOD_POD_ID/$ID?gpu=test`,
    RUNPOD_WEBHOOK_POST_STREAM: `${base}/job-stream/$RUNPOD_POD_ID/$ID?gpu=test`,
    RUNPOD_WEBHOOK_PING: `${base}/ping/$RUNPOD_POD_ID?gpu=test`,
    RUNPOD_PING_INTERVAL: '300',
  };
}

/** A runpod-python-like worker process with RunPod's environment pointing at the gateway under test. */
function startRunPodWorker(workerId: string, options: WorkerOptions = {}): ChildProcess {
  const worker = spawn('python3', [WORKER_SCRIPT], {
    env: { PATH: process.env.PATH, ...runPodEnvironment(workerId, options), TEST_BACKOFF_SCALE: '0.05', ...options.env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  workers.push(worker);
  return worker;
}

function stopWorkers(): void {
  for (const worker of workers.splice(0)) worker.kill('SIGKILL');
}

/** A call to the gateway as a worker: the raw key in Authorization, as runpod-python sends it. */
async function asWorker(method: string, path: string, body?: unknown, key = workerKey, endpoint = 'echo') {
  const response = await fetch(`${platform.gateway.baseUrl}/v2/workers/${endpoint}${path}`, {
    method,
    headers: { authorization: key, ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function submit(input: Record<string, unknown>, policy?: Record<string, unknown>, endpoint = 'echo'): Promise<string> {
  const { status, body } = await platform.gateway.request('POST', `/v2/${endpoint}/run`, { input, ...(policy && { policy }) });
  expect(status).toBe(200);
  return body.id;
}

async function statusOf(jobId: string, endpoint = 'echo') {
  return (await platform.gateway.request('GET', `/v2/${endpoint}/status/${jobId}`)).body;
}

function finished(jobId: string, timeoutMs = 15_000, endpoint = 'echo') {
  return eventually(async () => {
    const status = await statusOf(jobId, endpoint);
    return ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT'].includes(status.status) && status;
  }, timeoutMs);
}

/** The chunks of a job's stream as `/stream` hands them out, read until the job ends. */
async function streamed(jobId: string, endpoint: string): Promise<unknown[]> {
  const chunks: unknown[] = [];
  await eventually(async () => {
    const { body } = await platform.gateway.request('GET', `/v2/${endpoint}/stream/${jobId}`);
    chunks.push(...(body.stream ?? []).map((item: { output: unknown }) => item.output));
    return body.status === 'COMPLETED';
  }, 15_000);
  return chunks;
}

interface ProxiedCall {
  method: string;
  path: string;
  /** The gateway's answer, once it came; never for a lost post. */
  answered?: number;
}

/**
 * A proxy in front of the gateway that fails the worker's first post to each path `fault` picks
 * with a 5xx: `answer-lost` forwards it first (the gateway acts on it, the worker hears a 502),
 * `post-lost` does not (a 503, the gateway never sees it). It records every call it receives.
 */
async function faultyProxy(fault: (call: ProxiedCall) => 'answer-lost' | 'post-lost' | undefined) {
  const calls: ProxiedCall[] = [];
  const faulted = new Set<string>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const call: ProxiedCall = { method: request.method!, path: request.url!.split('?')[0] };
      calls.push(call);
      const kind = faulted.has(call.path) ? undefined : fault(call);
      if (kind) faulted.add(call.path);
      if (kind === 'post-lost') return void response.writeHead(503).end();
      const headers: Record<string, string> = { authorization: request.headers.authorization ?? '' };
      if (request.headers['content-type']) headers['content-type'] = request.headers['content-type'];
      fetch(`${platform.gateway.baseUrl}${request.url}`, { method: request.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined })
        .then(async (answer) => {
          const text = await answer.text();
          call.answered = answer.status;
          if (kind === 'answer-lost') response.writeHead(502).end();
          else response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' }).end(text);
        })
        .catch(() => response.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, close: () => new Promise((resolve) => server.close(resolve)) };
}

beforeAll(async () => {
  platform = await startTestPlatform({
    echoWorker: false,
    config: {
      WORKER_PROTOCOL_ENDPOINTS: `echo=${JOBS_PER_WORKER},${OWN_ENDPOINT}=1,${COUNTED_ENDPOINT}=1,${CAPPED_ENDPOINT}=1`,
      WORKER_PROTOCOL_MAX_WORKERS: `${CAPPED_ENDPOINT}=1`,
      EXTERNAL_ENDPOINTS: `${OWN_ENDPOINT},${COUNTED_ENDPOINT},${CAPPED_ENDPOINT}`,
      WORKER_PROTOCOL_LOCK_MS: '1500',
      WORKER_PROTOCOL_TAKE_WAIT_MS: '300',
    },
  });
  const manager = new ApiKeyManager(platform.gateway.database);
  workerKey = (await manager.create({ name: 'gpu pool', scope: 'worker', endpoints: ['echo', OWN_ENDPOINT, COUNTED_ENDPOINT, CAPPED_ENDPOINT] })).key;
});

afterEach(stopWorkers);

afterAll(async () => {
  await platform.close();
});

describe('external RunPod workers on the worker protocol', () => {
  it('run a job queued on /run and answer /runsync, as a native worker would', async () => {
    startRunPodWorker('worker-run');
    const jobId = await submit({ prompt: 'hello' });
    const status = await finished(jobId);
    expect(status).toMatchObject({ status: 'COMPLETED', output: { echo: { prompt: 'hello' } }, workerId: 'worker-run' });

    const sync = await platform.gateway.request('POST', '/v2/echo/runsync', { input: { prompt: 'again' } });
    expect(sync.body).toMatchObject({ status: 'COMPLETED', output: { echo: { prompt: 'again' } } });
  });

  it("deliver the job's webhook, as for a native worker's job", async () => {
    const deliveries: unknown[] = [];
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        deliveries.push(JSON.parse(body));
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      startRunPodWorker('worker-webhook');
      const { port } = receiver.address() as AddressInfo;
      const { body } = await platform.gateway.request('POST', '/v2/echo/run', { input: { hooked: true }, webhook: `http://127.0.0.1:${port}/hook` });
      const [delivery] = await eventually(async () => deliveries.length > 0 && deliveries, 15_000);
      expect(delivery).toMatchObject({ id: body.id, status: 'COMPLETED', output: { echo: { hooked: true } } });
    } finally {
      receiver.close();
    }
  });

  it("stream a generator handler's chunks on an endpoint of the operator's own, its output [] or the aggregate, as on RunPod", async () => {
    startRunPodWorker('worker-stream', { endpoint: OWN_ENDPOINT });
    const jobId = await submit({ stream: ['a', 'b', 'c'] }, undefined, OWN_ENDPOINT);
    expect(await streamed(jobId, OWN_ENDPOINT)).toEqual(['a', 'b', 'c']);
    expect(await statusOf(jobId, OWN_ENDPOINT)).toMatchObject({ status: 'COMPLETED', output: [] });
    stopWorkers();

    startRunPodWorker('worker-aggregate', { endpoint: OWN_ENDPOINT, env: { RETURN_AGGREGATE_STREAM: '1' } });
    const aggregated = await submit({ stream: [{ token: 'x' }, { token: 'y' }] }, undefined, OWN_ENDPOINT);
    expect(await streamed(aggregated, OWN_ENDPOINT)).toEqual([{ token: 'x' }, { token: 'y' }]);
    expect((await statusOf(aggregated, OWN_ENDPOINT)).output).toEqual([{ token: 'x' }, { token: 'y' }]);
  });

  it("take any output on an endpoint of the operator's own, its workers counted in its /health alone", async () => {
    const health = async () => (await platform.gateway.request('GET', `/v2/${COUNTED_ENDPOINT}/health`)).body;
    expect((await health()).workers).toEqual({ idle: 0, running: 0 });
    startRunPodWorker('worker-own', { endpoint: COUNTED_ENDPOINT });
    const freeForm = await finished(await submit({ bad_output: true }, undefined, COUNTED_ENDPOINT), 15_000, COUNTED_ENDPOINT);
    expect(freeForm).toMatchObject({ status: 'COMPLETED', output: 'not an echo', workerId: 'worker-own' });
    expect(await health()).toMatchObject({ workers: { idle: 1, running: 0 }, jobs: { completed: 1 } });
  });

  it("retry posts on 5xx as the SDK does: a lost answer's duplicate and a lost post's retry change the job once", async () => {
    const proxy = await faultyProxy(({ method, path }) => {
      if (method !== 'POST') return undefined;
      return path.includes('/job-done/') ? 'answer-lost' : path.includes('/job-stream/') ? 'post-lost' : undefined;
    });
    try {
      startRunPodWorker('worker-flaky-network', { endpoint: OWN_ENDPOINT, baseUrl: proxy.baseUrl, env: { RETURN_AGGREGATE_STREAM: '1' } });
      const jobId = await submit({ stream: ['one', 'two'] }, undefined, OWN_ENDPOINT);
      expect(await streamed(jobId, OWN_ENDPOINT)).toEqual(['one', 'two']);
      const status = await finished(jobId, 15_000, OWN_ENDPOINT);
      expect(status).toMatchObject({ status: 'COMPLETED', output: ['one', 'two'] });
      const posts = (kind: string) => proxy.calls.filter(({ method, path }) => method === 'POST' && path.includes(`/${kind}/worker-flaky-network/${jobId}`));
      expect(posts('job-stream').map(({ answered }) => answered)).toEqual([undefined, 200, 200]);
      // The worker retries the post whose answer was lost: the gateway takes the duplicate without a change.
      await eventually(async () => posts('job-done').length === 2 && posts('job-done')[1].answered !== undefined);
      expect(posts('job-done').map(({ answered }) => answered)).toEqual([200, 200]);
      const recorded = (type: string) => platform.gateway.database.prisma.jobEvent.count({ where: { jobId, type } });
      await eventually(async () => (await recorded('completed')) === 1);
      expect(await recorded('stream')).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  it("fail a job with the handler's error, and one whose output breaks the endpoint's contract", async () => {
    startRunPodWorker('worker-fail');
    const raised = await finished(await submit({ fail: 'the model broke' }));
    expect(raised.status).toBe('FAILED');
    expect(JSON.stringify(raised.error)).toContain('the model broke');

    const badOutput = await finished(await submit({ bad_output: true }));
    expect(badOutput.status).toBe('FAILED');
    expect(JSON.stringify(badOutput.error)).toMatch(/expected object/i);
  });

  it('hand the job of a worker killed mid-job to another, which completes it', async () => {
    const doomed = startRunPodWorker('worker-doomed');
    const jobId = await submit({ hang_on_worker: 'worker-doomed' });
    await eventually(async () => (await statusOf(jobId)).workerId === 'worker-doomed');
    doomed.kill('SIGKILL');
    startRunPodWorker('worker-rescuer');
    const status = await finished(jobId, 20_000);
    expect(status).toMatchObject({ status: 'COMPLETED', workerId: 'worker-rescuer', output: { echo: { hang_on_worker: 'worker-doomed' } } });
  });

  it('cancel and time out held jobs at once, tell the worker on job-stop and ignore its late results', async () => {
    startRunPodWorker('worker-slow');
    const cancelled = await submit({ sleep_ms: 1_500 });
    await eventually(async () => (await statusOf(cancelled)).status === 'IN_PROGRESS');
    expect((await platform.gateway.request('POST', `/v2/echo/cancel/${cancelled}`)).status).toBe(200);
    const stop = await eventually(async () => (await asWorker('GET', '/job-stop/worker-slow')).body);
    expect(stop).toEqual({ jobsToStop: [cancelled] });

    const timedOut = await submit({ sleep_ms: 2_500 }, { executionTimeout: 1_000 });
    expect((await finished(timedOut)).status).toBe('TIMED_OUT');
    // The worker posts both outputs once its sleeps end: neither changes the job.
    await eventually(async () => (await asWorker('GET', '/job-stop/worker-slow')).body, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await statusOf(cancelled)).status).toBe('CANCELLED');
    expect((await statusOf(timedOut)).status).toBe('TIMED_OUT');
  });

  it("include Switchyard's own workers in RunPod mode (the deployer's image), which take the jobs of another Switchyard", async () => {
    const worker = spawn(process.execPath, [SWITCHYARD_WORKER], {
      env: {
        ...process.env,
        ...runPodEnvironment('switchyard-in-runpod-mode', {}),
        WORKER_MODE: 'runpod',
        WORKER_QUEUES: 'echo',
        // In RunPod mode the worker needs no Redis: nothing listens here.
        REDIS_URL: 'redis://127.0.0.1:1',
        HEALTH_PORT: '0',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    workers.push(worker);
    const jobId = await submit({ stream: ['x', 'y'], greeting: 'from the other side' });
    expect(await streamed(jobId, 'echo')).toEqual(['x', 'y']);
    expect(await statusOf(jobId)).toMatchObject({
      status: 'COMPLETED',
      workerId: 'switchyard-in-runpod-mode',
      output: { echo: { greeting: 'from the other side' } },
    });
  });

  it('share one queue with native workers', async () => {
    const native: INestMicroservice = await startEchoWorker(platform.stores.prefix, { concurrency: 1, workerId: 'native-worker' });
    try {
      startRunPodWorker('worker-shared');
      const jobIds = await Promise.all(Array.from({ length: 6 }, (_, index) => submit({ index, sleep_ms: 300 })));
      const statuses = await Promise.all(jobIds.map((jobId) => finished(jobId)));
      expect(statuses.every((status) => status.status === 'COMPLETED')).toBe(true);
      expect(new Set(statuses.map((status) => status.workerId))).toEqual(new Set(['native-worker', 'worker-shared']));
      const health = await platform.gateway.request('GET', '/v2/echo/health');
      expect(health.status).toBe(200);
    } finally {
      await native.close();
    }
  });
});

describe('the worker protocol, call by call', () => {
  it("answers 204 when no job waits, RunPod's job body when one does, then takes its progress and output", async () => {
    expect((await asWorker('GET', '/job-take/manual?job_in_progress=0')).status).toBe(204);
    const jobId = await submit({ manual: true });
    const taken = await asWorker('GET', '/job-take/manual?job_in_progress=0');
    expect(taken).toEqual({ status: 200, body: { id: jobId, input: { manual: true } } });
    expect((await asWorker('POST', `/job-done/manual/${jobId}`, { status: 'IN_PROGRESS', output: { percent: 40 } })).status).toBe(200);
    expect(await statusOf(jobId)).toMatchObject({ status: 'IN_PROGRESS', output: { percent: 40 }, workerId: 'manual' });
    expect((await asWorker('POST', `/job-done/manual/${jobId}`, { output: { echo: { manual: true } } })).status).toBe(200);
    expect((await finished(jobId)).output).toEqual({ echo: { manual: true } });
  });

  it('takes batches up to the jobs a worker may hold, then refuses more with 429', async () => {
    const jobIds = await Promise.all([1, 2, 3].map((index) => submit({ index })));
    const batch = await asWorker('GET', '/job-take-batch/batcher?batch_size=3&job_in_progress=0');
    expect(batch.status).toBe(200);
    expect(batch.body).toHaveLength(JOBS_PER_WORKER);
    const refused = await asWorker('GET', '/job-take/batcher?job_in_progress=1');
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatch(/already holds 2 jobs/);
    for (const job of batch.body as { id: string; input: unknown }[])
      expect((await asWorker('POST', `/job-done/batcher/${job.id}`, { output: { echo: job.input } })).status).toBe(200);
    const last = await asWorker('GET', '/job-take/batcher?job_in_progress=0');
    expect(last.status).toBe(200);
    await asWorker('POST', `/job-done/batcher/${last.body.id}`, { output: { echo: last.body.input } });
    expect(new Set([...batch.body.map((job: { id: string }) => job.id), last.body.id])).toEqual(new Set(jobIds));
  });

  it('refuses workers past WORKER_PROTOCOL_MAX_WORKERS, and renews a lock on progress posts', async () => {
    expect((await asWorker('GET', '/ping/first', undefined, workerKey, CAPPED_ENDPOINT)).status).toBe(200);
    const refused = await asWorker('GET', '/job-take/second?job_in_progress=0', undefined, workerKey, CAPPED_ENDPOINT);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'too_many_workers' });
    expect((await asWorker('GET', '/ping/second', undefined, workerKey, CAPPED_ENDPOINT)).status).toBe(429);

    // The admitted worker reports progress only, never pinging, past its lock's duration: the job stays its own.
    const jobId = await submit({ slow: true }, undefined, CAPPED_ENDPOINT);
    expect((await asWorker('GET', '/job-take/first?job_in_progress=0', undefined, workerKey, CAPPED_ENDPOINT)).body.id).toBe(jobId);
    const queueEntry = (await platform.gateway.app.get(BullMq).queue(`ext-${CAPPED_ENDPOINT}`).getJob(jobId))!;
    for (let step = 0; step < 6; step += 1) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await queueEntry.getState()).toBe('active');
      expect((await asWorker('POST', `/job-done/first/${jobId}`, { status: 'IN_PROGRESS', output: { step } }, workerKey, CAPPED_ENDPOINT)).status).toBe(200);
    }
    expect((await asWorker('POST', `/job-done/first/${jobId}`, { output: 'done' }, workerKey, CAPPED_ENDPOINT)).status).toBe(200);
    expect(await finished(jobId, 5_000, CAPPED_ENDPOINT)).toMatchObject({ status: 'COMPLETED', output: 'done', workerId: 'first' });
  });

  it('refuses a second take of one worker while its first is under way', async () => {
    const [first, second] = await Promise.all([asWorker('GET', '/job-take/flooder?job_in_progress=0'), asWorker('GET', '/job-take/flooder?job_in_progress=0')]);
    expect([first.status, second.status].sort()).toEqual([204, 429]);
    expect([first.body, second.body].find(Boolean).error).toMatch(/one take at a time/);
    expect((await asWorker('GET', '/job-take/flooder?job_in_progress=0')).status).toBe(204);
  });

  it('takes duplicate and late posts without a change, and refuses posts for jobs the worker does not hold', async () => {
    const jobId = await submit({ duplicate: true });
    expect((await asWorker('GET', '/job-take/poster?job_in_progress=0')).body.id).toBe(jobId);
    expect((await asWorker('POST', `/job-done/poster/${jobId}`, { output: { echo: { first: true } } })).status).toBe(200);
    expect((await asWorker('POST', `/job-done/poster/${jobId}`, { output: { echo: { second: true } } })).status).toBe(200);
    expect((await finished(jobId)).output).toEqual({ echo: { first: true } });

    const unheld = await submit({ unheld: true });
    const refused = await asWorker('POST', `/job-done/poster/${unheld}`, { output: { echo: {} } });
    expect(refused.status).toBe(404);
    expect((await asWorker('POST', '/job-stream/poster/no-such-job', { output: 'x' })).status).toBe(404);
    expect((await asWorker('POST', `/job-done/poster/${jobId}`, 'not json')).status).toBe(400);
    const oversized = await asWorker('POST', `/job-done/poster/${unheld}`, { output: { echo: { text: 'x'.repeat(21 * 1024 * 1024) } } });
    expect(oversized.status).toBe(413);
    await asWorker('GET', '/job-take/poster?job_in_progress=0').then(({ body }) => asWorker('POST', `/job-done/poster/${body.id}`, { output: { echo: {} } }));
  });

  it('refuses worker keys on the public API, and public keys, missing keys and other endpoints on the protocol', async () => {
    const onPublicApi = await platform.gateway.request('POST', '/v2/echo/run', { input: {} }, { authorization: `Bearer ${workerKey}` });
    expect(onPublicApi.status).toBe(403);
    expect(onPublicApi.body.error).toMatch(/worker key/);
    expect((await platform.gateway.request('GET', '/v2/echo/health', undefined, { authorization: `Bearer ${workerKey}` })).status).toBe(403);

    const publicKey = (await platform.gateway.request('POST', '/admin/keys', { name: 'public' })).body.key as string;
    const withPublicKey = await asWorker('GET', '/job-take/intruder?job_in_progress=0', undefined, publicKey);
    expect(withPublicKey.status).toBe(403);
    expect(withPublicKey.body.error).toMatch(/needs a worker key/);
    expect((await asWorker('GET', '/job-take/intruder?job_in_progress=0', undefined, '')).status).toBe(401);
    // A bearer worker key is accepted too.
    expect((await asWorker('GET', '/ping/intruder', undefined, `Bearer ${workerKey}`)).status).toBe(200);

    const overAdminApi = await platform.gateway.request('POST', '/admin/keys', { name: 'pool', scope: 'worker', endpoints: ['echo'] });
    expect(overAdminApi.body).toMatchObject({ scope: 'worker', permission: 'restricted', endpoints: ['echo'], admin: false });
    expect((await asWorker('GET', '/ping/admin-made', undefined, overAdminApi.body.key)).status).toBe(200);
    const withoutEndpoints = await platform.gateway.request('POST', '/admin/keys', { name: 'pool', scope: 'worker' });
    expect(withoutEndpoints.status).toBe(400);
    expect(JSON.stringify(withoutEndpoints.body)).toMatch(/worker keys need the endpoints/);

    const embedderKey = (await new ApiKeyManager(platform.gateway.database).create({ name: 'other', scope: 'worker', endpoints: ['embedder'] })).key;
    const otherEndpoint = await fetch(`${platform.gateway.baseUrl}/v2/workers/embedder/job-take/intruder`, { headers: { authorization: embedderKey } });
    expect(otherEndpoint.status).toBe(404);
  });
});
