import { FakeServerlessQueue, startFakeServerlessEndpoint } from '@switchyard/testing';

type Endpoint = Awaited<ReturnType<typeof startFakeServerlessEndpoint>>;

const USER_KEY = 'user-key';
const WORKER_KEY = 'worker-key';

/** A clock the test moves by hand, so times and lost workers do not depend on how fast the test runs. */
function manualClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

async function startEndpoint(clock = manualClock(), options: { pingIntervalMs?: number } = {}) {
  const endpoint = await startFakeServerlessEndpoint({
    endpointId: 'ep1',
    userKeys: [USER_KEY],
    workerKey: WORKER_KEY,
    now: clock.now,
    longPollMs: 50,
    ...options,
  });
  return { endpoint, clock };
}

/** A worker speaking the protocol with plain fetch, from the environment the queue gives it. */
function workerOf(endpoint: Endpoint, workerId: string) {
  const environment = endpoint.queue.workerEnvironment(endpoint.url, workerId);
  const jobUrl = (template: string, jobId: string) => template.replace('$RUNPOD_POD_ID', workerId).replace('$ID', jobId);
  const post = (url: string, body: unknown) =>
    fetch(url, { method: 'POST', headers: { Authorization: WORKER_KEY, 'Content-Type': 'application/x-www-form-urlencoded' }, body: JSON.stringify(body) });
  return {
    environment,
    async take(jobInProgress = false): Promise<{ status: number; job?: { id: string; input: unknown } }> {
      const response = await fetch(`${environment.RUNPOD_WEBHOOK_GET_JOB!.replace('$ID', workerId)}&job_in_progress=${jobInProgress ? 1 : 0}`, {
        headers: { Authorization: WORKER_KEY },
      });
      return { status: response.status, job: response.status === 200 ? ((await response.json()) as { id: string; input: unknown }) : undefined };
    },
    done: (jobId: string, body: unknown) => post(`${jobUrl(environment.RUNPOD_WEBHOOK_POST_OUTPUT!, jobId)}&isStream=false`, body),
    stream: (jobId: string, chunk: unknown) => post(jobUrl(environment.RUNPOD_WEBHOOK_POST_STREAM!, jobId), { output: chunk }),
    ping: (jobIds: string[]) =>
      fetch(`${environment.RUNPOD_WEBHOOK_PING!.replace('$RUNPOD_POD_ID', workerId)}&job_id=${jobIds.join(',')}`, { headers: { Authorization: WORKER_KEY } }),
    async stops(): Promise<{ status: number; body?: unknown }> {
      const response = await fetch(environment.RUNPOD_WEBHOOK_GET_JOB!.replace('$ID', workerId).replace('/job-take/', '/job-stop/'), {
        headers: { Authorization: WORKER_KEY },
      });
      return { status: response.status, body: response.status === 200 ? await response.json() : undefined };
    },
  };
}

async function callApi(endpoint: Endpoint, method: string, path: string, body?: unknown, key = USER_KEY): Promise<{ status: number; body: any }> {
  const response = await fetch(`${endpoint.url}/v2/ep1/${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

describe('FakeServerlessQueue', () => {
  let endpoint: Endpoint;
  let clock: ReturnType<typeof manualClock>;

  beforeEach(async () => {
    ({ endpoint, clock } = await startEndpoint());
  });
  afterEach(() => endpoint.close());

  it('hands a submitted job to a worker and answers its posted output on /status, with its delay and execution times', async () => {
    const worker = workerOf(endpoint, 'w1');
    const submitted = await callApi(endpoint, 'POST', 'run', { input: { prompt: 'hi' } });
    clock.advance(300);
    const taken = await worker.take();
    clock.advance(1200);
    await worker.done(taken.job!.id, { output: { text: 'hello' } });

    expect(submitted).toEqual({ status: 200, body: { id: expect.any(String), status: 'IN_QUEUE' } });
    expect(taken).toEqual({ status: 200, job: { id: submitted.body.id, input: { prompt: 'hi' } } });
    expect((await callApi(endpoint, 'GET', `status/${submitted.body.id}`)).body).toEqual({
      id: submitted.body.id,
      status: 'COMPLETED',
      delayTime: 300,
      executionTime: 1200,
      workerId: 'w1',
      output: { text: 'hello' },
    });
  });

  it('gives workers the environment RunPod does, with URLs of this endpoint that carry a query', () => {
    const environment = endpoint.queue.workerEnvironment('http://127.0.0.1:9', 'pod-7');

    expect(environment).toEqual({
      RUNPOD_WEBHOOK_GET_JOB: expect.stringMatching(/^http:\/\/127\.0\.0\.1:9\/v2\/ep1\/job-take\/\$ID\?/),
      RUNPOD_WEBHOOK_POST_OUTPUT: expect.stringMatching(/^http:\/\/127\.0\.0\.1:9\/v2\/ep1\/job-done\/\$RUNPOD_POD_ID\/\$ID\?/),
      RUNPOD_WEBHOOK_POST_STREAM: expect.stringMatching(/^http:\/\/127\.0\.0\.1:9\/v2\/ep1\/job-stream\/\$RUNPOD_POD_ID\/\$ID\?/),
      RUNPOD_WEBHOOK_PING: expect.stringMatching(/^http:\/\/127\.0\.0\.1:9\/v2\/ep1\/ping\/\$RUNPOD_POD_ID\?/),
      RUNPOD_PING_INTERVAL: '10000',
      RUNPOD_AI_API_KEY: WORKER_KEY,
      RUNPOD_POD_ID: 'pod-7',
      RUNPOD_ENDPOINT_ID: 'ep1',
    });
  });

  it('refuses a wrong user key, a Bearer worker key, and a user key on the worker protocol', async () => {
    const take = (authorization: string) => fetch(`${endpoint.url}/v2/ep1/job-take/w1?job_in_progress=0`, { headers: { Authorization: authorization } });

    expect((await callApi(endpoint, 'POST', 'run', { input: {} }, 'other-key')).status).toBe(401);
    expect((await take(`Bearer ${WORKER_KEY}`)).status).toBe(401);
    expect((await take(USER_KEY)).status).toBe(401);
    expect((await take(WORKER_KEY)).status).toBe(204);
  });

  it('answers 204 on a take with nothing queued, and hands jobs out oldest first, in batches when asked', async () => {
    const worker = workerOf(endpoint, 'w1');
    expect(await worker.take()).toEqual({ status: 204, job: undefined });
    const ids: string[] = [];
    for (const n of [1, 2, 3]) ids.push((await callApi(endpoint, 'POST', 'run', { input: { n } })).body.id);

    const first = await worker.take();
    const batch = await fetch(`${endpoint.url}/v2/ep1/job-take-batch/w2?job_in_progress=0&batch_size=5`, { headers: { Authorization: WORKER_KEY } });

    expect(first.job?.id).toBe(ids[0]);
    expect(((await batch.json()) as { id: string }[]).map((job) => job.id)).toEqual(ids.slice(1));
    expect(endpoint.queue.workers()).toEqual({ idle: 0, running: 2 });
  });

  it('holds a take open until a job is queued', async () => {
    const patient = await startFakeServerlessEndpoint({ endpointId: 'ep1', userKeys: [USER_KEY], workerKey: WORKER_KEY, longPollMs: 5_000 });
    try {
      const taking = workerOf(patient, 'w1').take();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const { body } = await callApi(patient, 'POST', 'run', { input: { late: true } });

      expect((await taking).job).toEqual({ id: body.id, input: { late: true } });
    } finally {
      await patient.close();
    }
  });

  it('answers runsync with the final status once the worker posts it, or with the job still queued after `wait`', async () => {
    const worker = workerOf(endpoint, 'w1');
    const running = callApi(endpoint, 'POST', 'runsync?wait=5000', { input: { x: 1 } });
    const taken = await worker.take();
    await worker.done(taken.job!.id, { output: { y: 2 } });
    const finished = await running;
    const started = Date.now();
    const waited = await callApi(endpoint, 'POST', 'runsync?wait=1000', { input: { x: 2 } });

    expect(finished.body).toMatchObject({ id: taken.job!.id, status: 'COMPLETED', output: { y: 2 } });
    expect(finished.body.id).toMatch(/^sync-/);
    expect(waited.body).toEqual({ id: expect.any(String), status: 'IN_QUEUE' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('shows the latest progress update as a running job’s output, and drains stream chunks per /stream call', async () => {
    const worker = workerOf(endpoint, 'w1');
    const { body } = await callApi(endpoint, 'POST', 'run', { input: {} });
    await worker.take();
    await worker.done(body.id, { status: 'IN_PROGRESS', output: { step: 3 } });
    await worker.stream(body.id, 'a');
    await worker.stream(body.id, 'b');
    const status = await callApi(endpoint, 'GET', `status/${body.id}`);
    const firstDrain = await callApi(endpoint, 'GET', `stream/${body.id}`);
    await worker.stream(body.id, 'c');
    const secondDrain = await callApi(endpoint, 'GET', `stream/${body.id}`);

    expect(status.body).toMatchObject({ status: 'IN_PROGRESS', output: { step: 3 } });
    expect(firstDrain.body).toEqual({ status: 'IN_PROGRESS', stream: [{ output: 'a' }, { output: 'b' }] });
    expect(secondDrain.body).toEqual({ status: 'IN_PROGRESS', stream: [{ output: 'c' }] });
    expect(endpoint.queue.requestsOf('job-stream')[0]).toMatchObject({ contentType: 'application/x-www-form-urlencoded', body: '{"output":"a"}' });
  });

  it('fails a job on an error post, retries it on request, and counts it in /health', async () => {
    const worker = workerOf(endpoint, 'w1');
    const { body } = await callApi(endpoint, 'POST', 'run', { input: {} });
    await worker.take();
    const error = JSON.stringify({ error_type: 'Error', error_message: 'boom' });
    await worker.done(body.id, { error });
    const failed = await callApi(endpoint, 'GET', `status/${body.id}`);
    const retried = await callApi(endpoint, 'POST', `retry/${body.id}`);
    const health = await callApi(endpoint, 'GET', 'health');

    expect(failed.body).toMatchObject({ status: 'FAILED', error });
    expect(retried.body).toEqual({ id: body.id, status: 'IN_QUEUE' });
    expect(health.body).toEqual({ jobs: { completed: 0, failed: 0, inProgress: 0, inQueue: 1, retried: 1 }, workers: { idle: 1, running: 0 } });
    expect((await callApi(endpoint, 'POST', `retry/${body.id}`)).status).toBe(400);
  });

  it('cancels a running job, names it to its worker on job-stop, and ignores the worker’s late output', async () => {
    const worker = workerOf(endpoint, 'w1');
    const { body } = await callApi(endpoint, 'POST', 'run', { input: {} });
    await worker.take();
    const cancelled = await callApi(endpoint, 'POST', `cancel/${body.id}`);
    const stops = await worker.stops();
    const latePost = await worker.done(body.id, { output: 'too late' });

    expect(cancelled.body).toEqual({ id: body.id, status: 'CANCELLED' });
    expect(stops).toEqual({ status: 200, body: { jobsToStop: [body.id] } });
    expect(latePost.status).toBe(200);
    expect((await callApi(endpoint, 'GET', `status/${body.id}`)).body).toMatchObject({ status: 'CANCELLED' });
    expect((await worker.stops()).status).toBe(204);
  });

  it('times out a job running past its policy’s executionTimeout', async () => {
    const worker = workerOf(endpoint, 'w1');
    const { body } = await callApi(endpoint, 'POST', 'run', { input: {}, policy: { executionTimeout: 5_000 } });
    await worker.take();
    await worker.ping([body.id]);
    clock.advance(4_000);
    const beforeTimeout = await callApi(endpoint, 'GET', `status/${body.id}`);
    clock.advance(1_000);

    expect(beforeTimeout.body.status).toBe('IN_PROGRESS');
    expect((await callApi(endpoint, 'GET', `status/${body.id}`)).body.status).toBe('TIMED_OUT');
    expect((await worker.stops()).body).toEqual({ jobsToStop: [body.id] });
  });

  it('keeps the job of a worker that pings, and queues again the job of one silent for three ping intervals', async () => {
    const lost = workerOf(endpoint, 'w1');
    const { body } = await callApi(endpoint, 'POST', 'run', { input: {} });
    await lost.take();
    clock.advance(25_000);
    await lost.ping([body.id]);
    clock.advance(25_000);
    const keptWhilePinging = await callApi(endpoint, 'GET', `status/${body.id}`);
    clock.advance(6_000);
    const requeued = await callApi(endpoint, 'GET', `status/${body.id}`);
    const next = await workerOf(endpoint, 'w2').take();
    await lost.done(body.id, { output: 'from the lost worker' });

    expect(keptWhilePinging.body).toMatchObject({ status: 'IN_PROGRESS', workerId: 'w1' });
    expect(requeued.body).toEqual({ id: body.id, status: 'IN_QUEUE' });
    expect(next.job?.id).toBe(body.id);
    expect((await callApi(endpoint, 'GET', `status/${body.id}`)).body).toMatchObject({ status: 'IN_PROGRESS', workerId: 'w2' });
  });

  it('forgets a job past its policy’s ttl, and an ended one after its result’s retention (30 min after /run)', async () => {
    const worker = workerOf(endpoint, 'w1');
    const { body: expiring } = await callApi(endpoint, 'POST', 'run', { input: {}, policy: { ttl: 60_000 } });
    const { body: ended } = await callApi(endpoint, 'POST', 'run', { input: {} });
    await worker.done((await worker.take()).job!.id, { output: 1 });
    await worker.done((await worker.take()).job!.id, { output: 2 });
    clock.advance(60_000);
    const afterTtl = [await callApi(endpoint, 'GET', `status/${expiring.id}`), await callApi(endpoint, 'GET', `status/${ended.id}`)];
    clock.advance(30 * 60_000);

    expect(afterTtl.map((answer) => answer.status)).toEqual([404, 200]);
    expect((await callApi(endpoint, 'GET', `status/${ended.id}`)).status).toBe(404);
  });

  it('purges queued jobs only', async () => {
    const { body: running } = await callApi(endpoint, 'POST', 'run', { input: {} });
    await workerOf(endpoint, 'w1').take();
    await callApi(endpoint, 'POST', 'run', { input: {} });
    await callApi(endpoint, 'POST', 'run', { input: {} });

    expect((await callApi(endpoint, 'POST', 'purge-queue')).body).toEqual({ removed: 2, status: 'completed' });
    expect((await callApi(endpoint, 'GET', `status/${running.id}`)).body.status).toBe('IN_PROGRESS');
  });

  it('answers 404 for unknown jobs and paths, and records what it answered', async () => {
    expect((await callApi(endpoint, 'GET', 'status/nope')).status).toBe(404);
    expect((await fetch(`${endpoint.url}/v2/ep1/elsewhere`)).status).toBe(404);
    expect(endpoint.queue.requests.map((request) => request.call)).toEqual(['status']);
  });

  it('ends a pending take on close', async () => {
    const queue = new FakeServerlessQueue({ endpointId: 'ep2', userKeys: [], workerKey: WORKER_KEY, longPollMs: 60_000 });
    const taking = queue.handle({ method: 'GET', subpath: 'job-take/w1', query: new URLSearchParams(), authorization: WORKER_KEY, body: '' });
    queue.close();

    await expect(taking).resolves.toEqual({ status: 204 });
  });
});
