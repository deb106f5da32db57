import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { newEchoJob } from '@switchyard/testing';
import { connectRedis, JobStateStore, JobStateStores, RedisKeys, type NewJob, type QueueKeys } from '../src';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * The one place that builds the store under test: when its constructor or key layout changes,
 * only this changes.
 */
function buildStore(redis: Redis, prefix: string, clock?: () => number) {
  const keys = new RedisKeys(prefix).queue('test');
  return { store: new JobStateStore(redis, keys, clock), keys };
}

/** The transition script against a real Redis: every move allowed and refused, races, redeliveries. */
describe('JobStateStore', () => {
  let redis: Redis;
  let prefix: string;
  let store: JobStateStore;
  let keys: QueueKeys;

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });

  beforeEach(() => {
    prefix = `sy-store-${randomBytes(4).toString('hex')}`;
    ({ store, keys } = buildStore(redis, prefix));
  });

  afterEach(async () => {
    const leftovers = await redis.keys(`${prefix}*`);
    if (leftovers.length) await redis.del(...leftovers);
  });

  afterAll(() => redis.quit());

  async function queued(overrides: Partial<NewJob> = {}): Promise<string> {
    const job = newEchoJob(overrides);
    expect(await store.queue(job)).toMatchObject({ applied: true, seq: 1, status: 'IN_QUEUE' });
    return job.id;
  }

  async function started(): Promise<string> {
    const id = await queued();
    expect(await store.start(id, 'worker-1')).toMatchObject({ applied: true, status: 'IN_PROGRESS' });
    return id;
  }

  async function ended(kind: 'complete' | 'fail' | 'timeOut' | 'cancel'): Promise<string> {
    const id = await started();
    const result = kind === 'complete' ? await store.complete(id, { ok: true }) : kind === 'cancel' ? await store.cancel(id) : await store[kind](id, 'why');
    expect(result.applied).toBe(true);
    return id;
  }

  const eventsOf = async (jobId: string) =>
    (await redis.xrange(keys.events, '-', '+'))
      .map(([, fields]) => Object.fromEntries(fields.flatMap((_, i) => (i % 2 ? [] : [[fields[i], fields[i + 1]]]))))
      .filter((entry) => entry.ev_job === jobId);

  describe('allowed transitions', () => {
    it('queued: a new job is IN_QUEUE, listed as awaiting its queue entry, its event carrying the input and the project', async () => {
      const id = await queued({ projectId: 'alpha' });
      expect(await store.get(id)).toMatchObject({ id, status: 'IN_QUEUE', projectId: 'alpha', attempts: 0, seq: 1 });
      expect(await store.awaitingEnqueue(Date.now() + 1, 10)).toEqual([id]);
      const [event] = await eventsOf(id);
      expect(event).toMatchObject({ ev_type: 'queued', ev_seq: '1', ev_payload: JSON.stringify({ hello: 'world' }), projectId: 'alpha' });
    });

    it('started: IN_PROGRESS, one attempt, no longer awaiting its queue entry', async () => {
      const id = await started();
      expect(await store.get(id)).toMatchObject({ status: 'IN_PROGRESS', attempts: 1, workerId: 'worker-1' });
      expect(await store.awaitingEnqueue(Date.now() + 1, 10)).toEqual([]);
    });

    it('started again while in progress: the run before lost its worker', async () => {
      const id = await started();
      expect(await store.start(id, 'worker-2')).toMatchObject({ applied: true, lostRuns: 1 });
      expect(await store.get(id)).toMatchObject({ attempts: 2, workerId: 'worker-2' });
    });

    it('progress and stream while in progress; chunks drain once', async () => {
      const id = await started();
      expect((await store.progress(id, { percent: 50 })).applied).toBe(true);
      expect((await store.appendChunk(id, 'a')).applied).toBe(true);
      expect((await store.appendChunk(id, 'b')).applied).toBe(true);
      expect(await store.drainChunks(id)).toEqual(['a', 'b']);
      expect(await store.drainChunks(id)).toEqual([]);
    });

    it.each([
      ['complete', 'COMPLETED'],
      ['fail', 'FAILED'],
      ['timeOut', 'TIMED_OUT'],
      ['cancel', 'CANCELLED'],
    ] as const)('%s: a running job ends %s and counts in its project and endpoint', async (kind, status) => {
      const id = await ended(kind);
      expect(await store.get(id)).toMatchObject({ status });
      expect((await store.finishedCounts('default', 'echo'))[status]).toBe(1);
      expect((await store.finishedCounts('other', 'echo'))[status]).toBe(0);
      // A final job's view lives for its retention, not its TTL.
      expect(await redis.pttl(keys.jobView(id))).toBeLessThanOrEqual(60_000);
    });

    it.each(['cancel', 'fail'] as const)('%s: a queued job may end before it starts', async (kind) => {
      const id = await queued();
      expect((kind === 'cancel' ? await store.cancel(id) : await store.fail(id, 'lost')).applied).toBe(true);
      expect(await store.awaitingEnqueue(Date.now() + 1, 10)).toEqual([]);
    });

    it.each(['fail', 'timeOut'] as const)('retried: after %s, back to IN_QUEUE with the last run forgotten', async (kind) => {
      const id = await ended(kind);
      await store.appendChunk(id, 'never drained');
      expect(await store.retry(id)).toMatchObject({ applied: true, status: 'IN_QUEUE' });
      const view = await store.get(id);
      expect(view).toMatchObject({ status: 'IN_QUEUE' });
      expect(view).not.toHaveProperty('error');
      expect(view).not.toHaveProperty('workerId');
      expect((await store.finishedCounts('default', 'echo')).RETRIED).toBe(1);
    });

    it('requeued: a refused running job waits again, its attempt given back', async () => {
      const id = await started();
      expect(await store.requeue(id, 'batch queue full', 1000)).toMatchObject({ applied: true, status: 'IN_QUEUE' });
      expect(await store.get(id)).toMatchObject({ status: 'IN_QUEUE', attempts: 0 });
      expect(await store.get(id)).not.toHaveProperty('workerId');
    });
  });

  describe('refused transitions', () => {
    it('refuses every change to a job that does not exist', async () => {
      const id = randomUUID();
      for (const result of [
        await store.start(id, 'w'),
        await store.progress(id, 1),
        await store.appendChunk(id, 1),
        await store.complete(id, 1),
        await store.fail(id, 'x'),
        await store.timeOut(id, 'x'),
        await store.cancel(id),
        await store.retry(id),
        await store.requeue(id, 'x', 1),
      ]) {
        expect(result).toEqual({ applied: false, status: 'MISSING' });
      }
      expect(await redis.exists(keys.jobView(id))).toBe(0);
    });

    it('refuses queueing the same id twice', async () => {
      const job = newEchoJob();
      await store.queue(job);
      expect(await store.queue({ ...job, input: { other: true } })).toEqual({ applied: false, status: 'IN_QUEUE' });
      expect((await eventsOf(job.id)).length).toBe(1);
    });

    it('refuses progress, stream, retry and requeue of a queued job', async () => {
      const id = await queued();
      expect(await store.progress(id, 1)).toEqual({ applied: false, status: 'IN_QUEUE' });
      expect(await store.appendChunk(id, 1)).toEqual({ applied: false, status: 'IN_QUEUE' });
      expect(await store.retry(id)).toEqual({ applied: false, status: 'IN_QUEUE' });
      expect(await store.requeue(id, 'x', 1)).toEqual({ applied: false, status: 'IN_QUEUE' });
    });

    it('refuses retrying a running job', async () => {
      const id = await started();
      expect(await store.retry(id)).toEqual({ applied: false, status: 'IN_PROGRESS' });
    });

    it.each([
      ['complete', 'COMPLETED'],
      ['fail', 'FAILED'],
      ['timeOut', 'TIMED_OUT'],
      ['cancel', 'CANCELLED'],
    ] as const)('keeps %s final: every later change but a permitted retry is refused', async (kind, status) => {
      const id = await ended(kind);
      const seqBefore = (await store.get(id))!.seq;
      for (const result of [
        await store.start(id, 'late'),
        await store.progress(id, 1),
        await store.appendChunk(id, 1),
        await store.complete(id, 'late'),
        await store.fail(id, 'late'),
        await store.timeOut(id, 'late'),
        await store.cancel(id),
        await store.requeue(id, 'x', 1),
      ]) {
        expect(result).toEqual({ applied: false, status });
      }
      if (status === 'COMPLETED' || status === 'CANCELLED') expect(await store.retry(id)).toEqual({ applied: false, status });
      expect((await store.get(id))!.seq).toBe(seqBefore);
      expect((await store.finishedCounts('default', 'echo'))[status]).toBe(1);
    });
  });

  describe('races', () => {
    it('cancel against complete: exactly one wins, and the other is refused with the winner', async () => {
      for (let round = 0; round < 20; round++) {
        const id = await started();
        const [cancelled, completed] = await Promise.all([store.cancel(id), store.complete(id, { round })]);
        expect([cancelled.applied, completed.applied].filter(Boolean)).toHaveLength(1);
        const final = (await store.get(id))!.status;
        expect(final).toBe(cancelled.applied ? 'CANCELLED' : 'COMPLETED');
        expect(cancelled.applied ? completed : cancelled).toEqual({ applied: false, status: final });
      }
      const counts = await store.finishedCounts('default', 'echo');
      expect(counts.CANCELLED + counts.COMPLETED).toBe(20);
    });

    it('timeout against complete: exactly one wins; a result after the timeout is dropped', async () => {
      for (let round = 0; round < 20; round++) {
        const id = await started();
        const [timedOut, completed] = await Promise.all([store.timeOut(id, 'execution timeout'), store.complete(id, { round })]);
        expect([timedOut.applied, completed.applied].filter(Boolean)).toHaveLength(1);
        const view = (await store.get(id))!;
        if (timedOut.applied) expect(view).not.toHaveProperty('output');
        else expect(view).not.toHaveProperty('error');
      }
    });
  });

  describe('delivery', () => {
    it('a duplicate completion is refused and writes no second event', async () => {
      const id = await started();
      expect((await store.complete(id, { n: 1 })).applied).toBe(true);
      expect(await store.complete(id, { n: 2 })).toEqual({ applied: false, status: 'COMPLETED' });
      expect(JSON.parse((await store.get(id))!.output!)).toEqual({ n: 1 });
      expect((await eventsOf(id)).map((event) => event.ev_type)).toEqual(['queued', 'started', 'completed']);
    });

    it('out of order: an end before the start keeps the end; the late start is refused', async () => {
      const id = await queued();
      expect((await store.complete(id, { early: true })).applied).toBe(true);
      expect(await store.start(id, 'late-worker')).toEqual({ applied: false, status: 'COMPLETED' });
      expect(await store.progress(id, 1)).toEqual({ applied: false, status: 'COMPLETED' });
      expect(await store.get(id)).not.toHaveProperty('workerId');
    });

    it('numbers every applied event in order, each carrying the whole view', async () => {
      const id = await started();
      await store.progress(id, 1);
      await store.appendChunk(id, 'x');
      await store.complete(id, 'done');
      const events = await eventsOf(id);
      expect(events.map((event) => Number(event.ev_seq))).toEqual([1, 2, 3, 4, 5]);
      expect(events.at(-1)).toMatchObject({ ev_type: 'completed', status: 'COMPLETED', id, endpointId: 'echo' });
    });
  });

  describe('watchers', () => {
    const typesIn = async (stream: string) => (await redis.xrange(stream, '-', '+')).map(([, fields]) => fields[fields.indexOf('ev_type') + 1]);

    it('a watcher registered with the queued transition hears the end only, with the whole view', async () => {
      const job = newEchoJob();
      const stream = keys.wakeStream('gateway-a');
      await store.queue(job, { stream, mode: 'end' });
      await store.start(job.id, 'worker-1');
      await store.progress(job.id, 0.5);
      await store.complete(job.id, { ok: true });

      const entries = await redis.xrange(stream, '-', '+');
      expect(await typesIn(stream)).toEqual(['completed']);
      expect(entries[0][1]).toEqual(expect.arrayContaining(['status', 'COMPLETED', 'output', '{"ok":true}']));
      // An ended job wakes no one again.
      expect(await redis.exists(keys.jobWatchers(job.id))).toBe(0);
    });

    it('a follower hears every event from its registration on; a refusal reaches an end watcher too', async () => {
      const id = await started();
      const follower = keys.wakeStream('gateway-f');
      const waiter = keys.wakeStream('gateway-w');
      expect(await store.watch(id, { stream: follower, mode: 'all' })).toBe(true);
      expect(await store.watch(id, { stream: waiter, mode: 'end' })).toBe(true);
      await store.progress(id, 1);
      await store.requeue(id, 'no room', 1000);
      await store.start(id, 'worker-2');
      await store.fail(id, 'broken');

      expect(await typesIn(follower)).toEqual(['progress', 'requeued', 'started', 'failed']);
      expect(await typesIn(waiter)).toEqual(['requeued', 'failed']);
    });

    it('never lowers a follower to an end watcher when the same gateway also waits', async () => {
      const id = await started();
      const stream = keys.wakeStream('gateway-both');
      await store.watch(id, { stream, mode: 'all' });
      await store.watch(id, { stream, mode: 'end' });
      await store.progress(id, 1);

      expect(await typesIn(stream)).toEqual(['progress']);
    });

    it('refuses to watch a job that is missing or has ended, leaving nothing behind', async () => {
      const id = await ended('complete');
      const stream = keys.wakeStream('gateway-late');

      expect(await store.watch(id, { stream, mode: 'end' })).toBe(false);
      expect(await store.watch(randomUUID(), { stream, mode: 'end' })).toBe(false);
      expect(await redis.exists(keys.jobWatchers(id))).toBe(0);
    });

    it('keeps the watchers no longer than the job itself', async () => {
      const id = await queued();
      await store.watch(id, { stream: keys.wakeStream('gateway-ttl'), mode: 'end' });

      expect(await redis.pexpiretime(keys.jobWatchers(id))).toBe(await redis.pexpiretime(keys.jobView(id)));
    });
  });

  it("makes a queue's store on first use while the client's pipeline is open, losing no reply", async () => {
    const client = connectRedis(REDIS_URL, 'request-path', 'store-spec');
    await new Promise((resolve) => client.once('ready', resolve));
    try {
      const stores = new JobStateStores(client, new RedisKeys(prefix));
      // Issued in one tick: the read opens the auto-pipeline that the first transition joins.
      const [, queued] = await Promise.all([client.get(`${prefix}:anything`), stores.of('late').queue(newEchoJob({ queue: 'late' }))]);

      expect(queued).toMatchObject({ applied: true, status: 'IN_QUEUE' });
    } finally {
      client.disconnect();
    }
  });
});
