import { randomBytes, randomUUID } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { createLogger, echoContract, JobStateStore, RedisKeys, type JobEnvelope } from '@switchyard/shared';
import { JobRunner, type JobHandler } from '../src/job-runner';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Waits for a condition, never a fixed time: on two shared cores, sleeps flake. */
async function until<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The job runner on a real BullMQ queue and worker and a real state store, as a worker process runs it. */
describe('JobRunner', () => {
  let redis: Redis;
  let prefix: string;
  let store: JobStateStore;
  let queue: Queue<JobEnvelope>;
  let worker: Worker<JobEnvelope> | undefined;
  let cancel: (jobId: string) => void;
  let runner: JobRunner;
  let workerConnection: Redis | undefined;

  beforeEach(() => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    prefix = `sy-runner-${randomBytes(4).toString('hex')}`;
    const keys = new RedisKeys(prefix).queue('echo');
    store = new JobStateStore(redis, keys);
    queue = new Queue<JobEnvelope>('echo', { connection: redis, prefix: keys.bullPrefix });
  });

  afterEach(async () => {
    await worker?.close();
    workerConnection?.disconnect();
    await queue.close();
    const leftovers = await redis.keys(`${prefix}*`);
    if (leftovers.length) await redis.del(...leftovers);
    redis.disconnect();
  });

  function serve(handler: JobHandler): void {
    runner = new JobRunner(echoContract, handler, store, 'test-worker', createLogger('test-runner', 'fatal'), {
      errorTracebacks: false,
      abortGraceMs: 2_000,
      maxLostRuns: 2,
    });
    worker = new Worker<JobEnvelope>('echo', (job: Job<JobEnvelope>, token?: string, signal?: AbortSignal) => runner.run(job, token, signal), {
      connection: (workerConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null })),
      prefix: new RedisKeys(prefix).queue('echo').bullPrefix,
    });
    cancel = (jobId) => worker!.cancelJob(jobId, 'cancelled');
  }

  async function submit(input: Record<string, unknown>, executionTimeout = 60_000): Promise<string> {
    const id = randomUUID();
    const now = Date.now();
    await store.queue({
      id,
      endpointId: 'echo',
      projectId: 'default',
      queue: 'echo',
      createdAt: now,
      expiresAt: now + 60_000,
      retentionMs: 60_000,
      executionTimeout,
      lowPriority: false,
      input,
    });
    await queue.add('echo', { endpointId: 'echo', input, policy: { executionTimeout, ttl: 60_000, lowPriority: false }, createdAt: now }, { jobId: id });
    return id;
  }

  const ended = (id: string) =>
    until(async () => ((view) => (view && ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT'].includes(view.status) ? view : undefined))(await store.get(id)));

  it('records the output of a handler that returns, checked against the contract', async () => {
    serve(async (input) => ({ echo: input }));
    const view = await ended(await submit({ n: 1 }));
    expect(view).toMatchObject({ status: 'COMPLETED', attempts: 1, workerId: 'test-worker' });
    expect(JSON.parse(view.output!)).toEqual({ echo: { n: 1 } });
  });

  it('fails a job whose handler throws, or whose output breaks the contract, with RunPod’s error and no traceback', async () => {
    serve(async (input) => {
      if (input && (input as { kind?: string }).kind === 'throw') throw new TypeError('bad things at /srv/app/x.js');
      return { not: 'the contract' };
    });
    const thrown = await ended(await submit({ kind: 'throw' }));
    expect(thrown.status).toBe('FAILED');
    expect(JSON.parse(thrown.error!)).toEqual({ error_type: 'TypeError', error_message: 'bad things at x.js' });
    const invalid = await ended(await submit({ kind: 'invalid' }));
    expect(JSON.parse(invalid.error!)).toMatchObject({ error_type: 'ZodError' });
  });

  it('keeps a cancel that wins the race against a completion: the late output is not recorded', async () => {
    let finish!: () => void;
    serve(async (input) => {
      await new Promise<void>((resolve) => (finish = resolve));
      return { echo: input };
    });
    const id = await submit({ n: 2 });
    await until(async () => (await store.get(id))?.status === 'IN_PROGRESS');
    expect((await store.cancel(id)).applied).toBe(true);
    cancel(id);
    finish();
    await until(async () => (await queue.getJobCounts('active')).active === 0);
    const view = await store.get(id);
    expect(view).toMatchObject({ status: 'CANCELLED' });
    expect(view!.output).toBeUndefined();
  });

  it('times a job out at its executionTimeout even when its handler completes just after', async () => {
    serve(async (input, context) => {
      await new Promise((resolve) => context.signal.addEventListener('abort', resolve, { once: true }));
      return { echo: input };
    });
    const view = await ended(await submit({ n: 3 }, 1_000));
    expect(view).toMatchObject({ status: 'TIMED_OUT', error: 'Job exceeded its execution timeout of 1000 ms' });
    expect(view.output).toBeUndefined();
  });

  it('skips a job delivered again after it ended, and one cancelled while it was queued', async () => {
    let runs = 0;
    serve(async (input) => {
      runs += 1;
      return { echo: input };
    });
    const id = await submit({ n: 4 });
    const first = await ended(id);
    // A second delivery of the same job (BullMQ redelivers after a stall): its state is final, so it is not run twice.
    await runner.run(
      (await queue.getJob(id)) ??
        ({
          id,
          data: { endpointId: 'echo', input: { n: 4 }, policy: { executionTimeout: 60_000, ttl: 60_000, lowPriority: false }, createdAt: Date.now() },
        } as Job<JobEnvelope>),
    );
    expect(runs).toBe(1);
    expect((await store.get(id))!.seq).toBe(first.seq);

    await worker!.pause();
    const queued = await submit({ n: 5 });
    expect((await store.cancel(queued)).applied).toBe(true);
    await worker!.resume();
    await until(async () => {
      const counts = await queue.getJobCounts('wait', 'active');
      return counts.wait === 0 && counts.active === 0;
    });
    expect(runs).toBe(1);
    expect((await store.get(queued))!.status).toBe('CANCELLED');
  });
});
