import type { INestMicroservice } from '@nestjs/common';
import { createLogger, echoContract } from '@switchyard/shared';
import { startFakeServerlessEndpoint } from '@switchyard/testing';
import { createWorkerMicroservice } from '../src/bootstrap-worker';
import { EchoModule } from '../src/echo.controller';
import { RunPodJobServer } from '../src/runpod/runpod-job-server';
import { RunPodWorkerProtocol, runPodEnvironmentSchema } from '../src/runpod/runpod-worker-protocol';

type Endpoint = Awaited<ReturnType<typeof startFakeServerlessEndpoint>>;
type JobStatus = { id: string; status: string; output?: unknown; error?: string };

const ENDPOINT_ID = 'ep-echo';
const USER_KEY = 'user-key';
const WORKER_KEY = 'worker-key';
const WORKER_ID = 'pod-1';
const logger = createLogger('runpod-worker-test', 'fatal');

/** Waits for a condition, never a fixed time: on two shared cores, sleeps flake. */
async function until<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The echo worker on the RunPod transport against a fake endpoint, called by clients with plain fetch. */
describe('RunPodJobServer', () => {
  let endpoint: Endpoint;
  let app: INestMicroservice | undefined;

  beforeEach(async () => {
    endpoint = await startFakeServerlessEndpoint({
      endpointId: ENDPOINT_ID,
      userKeys: [USER_KEY],
      workerKey: WORKER_KEY,
      pingIntervalMs: 200,
      longPollMs: 200,
    });
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await endpoint.close();
  });

  async function startWorker(concurrency = 1): Promise<void> {
    const environment = runPodEnvironmentSchema.parse(endpoint.queue.workerEnvironment(endpoint.url, WORKER_ID));
    const protocol = new RunPodWorkerProtocol(environment, { logger, retryDelaysMs: [10, 10] });
    const server = new RunPodJobServer({ protocol, contract: echoContract, concurrency, logger, runner: { abortGraceMs: 500 } });
    app = await createWorkerMicroservice(EchoModule, server, false);
    await app.listen();
  }

  async function call(method: string, path: string, body?: unknown): Promise<any> {
    const response = await fetch(`${endpoint.url}/v2/${ENDPOINT_ID}/${path}`, {
      method,
      headers: { Authorization: `Bearer ${USER_KEY}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return response.json();
  }

  const submit = async (input: unknown, extra: Record<string, unknown> = {}): Promise<string> =>
    ((await call('POST', 'run', { input, ...extra })) as JobStatus).id;
  const status = (jobId: string): Promise<JobStatus> => call('GET', `status/${jobId}`);
  const untilStatus = (jobId: string, wanted: string) => until(async () => ((await status(jobId)).status === wanted ? status(jobId) : undefined));
  const donePostsOf = (jobId: string) => endpoint.queue.requestsOf('job-done').filter((request) => request.subpath.endsWith(`/${jobId}`));

  it('completes a /run job with the echo handler’s output', async () => {
    await startWorker();
    const jobId = await submit({ hello: 'world' });

    expect(await untilStatus(jobId, 'COMPLETED')).toMatchObject({ id: jobId, status: 'COMPLETED', workerId: WORKER_ID, output: { echo: { hello: 'world' } } });
  });

  it('answers /runsync with the completed job', async () => {
    await startWorker();

    expect(await call('POST', 'runsync?wait=10000', { input: { n: 1 } })).toMatchObject({ status: 'COMPLETED', output: { echo: { n: 1 } } });
  });

  it('fails a job whose input the contract refuses, with the contract’s message in RunPod’s error shape', async () => {
    await startWorker();
    const jobId = await submit({ sleep_ms: 'soon' });
    const failed = await untilStatus(jobId, 'FAILED');

    const error = JSON.parse(failed.error!) as Record<string, string>;
    expect(Object.keys(error).sort()).toEqual(['error_message', 'error_type']);
    expect(error.error_message).toMatch(/sleep_ms/);
    expect(error.error_message).toMatch(/expected number/);
  });

  it('fails a job whose handler throws, with RunPod’s {error_type, error_message}', async () => {
    await startWorker();
    const jobId = await submit({ fail: 'the model broke' });

    expect(JSON.parse((await untilStatus(jobId, 'FAILED')).error!)).toEqual({ error_type: 'Error', error_message: 'the model broke' });
  });

  it('sends a handler’s progress as progress updates and its chunks to the stream', async () => {
    await startWorker();
    const jobId = await submit({ progress: [{ step: 1 }], stream: ['a', 'b', 'c'], sleep_ms: 300 });
    const chunks: unknown[] = [];
    await until(async () => {
      const drained = (await call('GET', `stream/${jobId}`)) as { status: string; stream: { output: unknown }[] };
      chunks.push(...drained.stream.map((chunk) => chunk.output));
      return drained.status === 'COMPLETED';
    });

    expect(chunks).toEqual(['a', 'b', 'c']);
    const bodies = donePostsOf(jobId).map((request) => JSON.parse(request.body) as unknown);
    expect(bodies[0]).toEqual({ status: 'IN_PROGRESS', output: { step: 1 } });
    expect(bodies.at(-1)).toMatchObject({ output: { echo: { stream: ['a', 'b', 'c'] } } });
    expect(donePostsOf(jobId).at(-1)!.query.get('isStream')).toBe('true');
  });

  it('speaks the protocol as runpod-python: raw key, job_in_progress, form-typed JSON posts, pings naming the running job', async () => {
    await startWorker();
    const jobId = await submit({ sleep_ms: 600 });
    await untilStatus(jobId, 'COMPLETED');

    const takes = endpoint.queue.requestsOf('job-take');
    expect(takes.every((take) => take.authorization === WORKER_KEY && ['0', '1'].includes(take.query.get('job_in_progress')!))).toBe(true);
    expect(takes.every((take) => take.query.get('gpu') !== null)).toBe(true);
    expect(donePostsOf(jobId)).toEqual([
      expect.objectContaining({
        method: 'POST',
        subpath: `job-done/${WORKER_ID}/${jobId}`,
        contentType: 'application/x-www-form-urlencoded',
        authorization: WORKER_KEY,
      }),
    ]);
    expect(donePostsOf(jobId)[0]!.query.get('isStream')).toBe('false');
    const pings = endpoint.queue.requestsOf('ping');
    expect(pings.some((ping) => ping.query.get('job_id') === jobId)).toBe(true);
    expect(pings.every((ping) => ping.authorization === WORKER_KEY && ping.subpath === `ping/${WORKER_ID}`)).toBe(true);
  });

  it('runs as many jobs at once as its concurrency, taking them in a batch', async () => {
    await startWorker(2);
    const jobIds = [await submit({ sleep_ms: 800 }), await submit({ sleep_ms: 800 })];

    await until(async () => ((await call('GET', 'health')) as { jobs: { inProgress: number } }).jobs.inProgress === 2);
    await Promise.all(jobIds.map((jobId) => untilStatus(jobId, 'COMPLETED')));
    expect(endpoint.queue.requestsOf('job-take-batch').some((take) => take.query.get('batch_size') === '2')).toBe(true);
  });

  it('aborts the handler of a job cancelled while it runs, and posts nothing for it', async () => {
    await startWorker();
    const cancelled = await submit({ sleep_ms: 30_000 });
    await untilStatus(cancelled, 'IN_PROGRESS');
    await call('POST', `cancel/${cancelled}`);
    const next = await submit({ after: 'cancel' });

    await untilStatus(next, 'COMPLETED');
    expect((await status(cancelled)).status).toBe('CANCELLED');
    expect(donePostsOf(cancelled)).toEqual([]);
  });

  it('frees its slot when RunPod times a job out', async () => {
    await startWorker();
    const timedOut = await submit({ sleep_ms: 30_000 }, { policy: { executionTimeout: 300 } });
    await untilStatus(timedOut, 'TIMED_OUT');
    const next = await submit({ after: 'timeout' });

    await untilStatus(next, 'COMPLETED');
  });

  it('on close, stops taking jobs and finishes the running one first', async () => {
    await startWorker();
    const running = await submit({ sleep_ms: 500 });
    await untilStatus(running, 'IN_PROGRESS');

    await app!.close();
    app = undefined;
    const takesAfterClose = endpoint.queue.requestsOf('job-take').length;
    const waiting = await submit({ after: 'close' });

    expect((await status(running)).status).toBe('COMPLETED');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(endpoint.queue.requestsOf('job-take')).toHaveLength(takesAfterClose);
    expect((await status(waiting)).status).toBe('IN_QUEUE');
  });
});
