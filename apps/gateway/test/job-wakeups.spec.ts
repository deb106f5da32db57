import { RedisKeys } from '@switchyard/shared';
import { API_KEY, eventually, gatewayConfig, GatewayUnderTest, startTestPlatform, type TestPlatform } from './support/platform';

/** Gateways hear the events of the jobs they wait on, through wake streams of their own, and no others. */
describe('job wake-ups', () => {
  let platform: TestPlatform;
  let other: GatewayUnderTest;
  const echo = () => new RedisKeys(platform.stores.prefix).queue('echo');
  const wakeStreams = async () => platform.stores.redis.keys(echo().wakeStream('*'));

  beforeAll(async () => {
    platform = await startTestPlatform();
    other = await GatewayUnderTest.start(
      gatewayConfig({ REDIS_PREFIX: platform.stores.prefix, DATABASE_URL: platform.stores.databaseUrl, GATEWAY_ROLES: 'api' }),
    );
  });

  afterAll(async () => {
    await other.close();
    await platform.close();
  });

  it("wakes a runsync with its job's end only, and tells no gateway about jobs nobody waits on", async () => {
    const before = await wakeStreams();
    const queued = await platform.gateway.request('POST', '/v2/echo/run', { input: { n: 1 } });
    await eventually(async () => (await platform.gateway.request('GET', `/v2/echo/status/${queued.body.id}`)).body.status === 'COMPLETED');
    expect(await wakeStreams()).toEqual(before);

    const answered = await platform.gateway.request('POST', '/v2/echo/runsync', { input: { n: 2 } });

    expect(answered.body).toMatchObject({ status: 'COMPLETED', output: { echo: { n: 2 } } });
    const [stream] = await wakeStreams();
    const entries = await platform.stores.redis.xrange(stream, '-', '+');
    expect(entries.filter(([, fields]) => fields.includes(answered.body.id)).map(([, fields]) => fields[fields.indexOf('ev_type') + 1])).toEqual(['completed']);
  });

  it('wakes a status wait on another gateway than the one the job was queued on', async () => {
    const queued = await platform.gateway.request('POST', '/v2/echo/run', { input: { sleep_ms: 600 } });
    const waiting = other.request('GET', `/v2/echo/status-sync/${queued.body.id}?wait=10000`);

    expect((await waiting).body).toMatchObject({ id: queued.body.id, status: 'COMPLETED' });
    // The job has ended: nobody is registered to hear it any more.
    expect(await platform.stores.redis.exists(echo().jobWatchers(queued.body.id))).toBe(0);
  });

  it('hands a follower every event from when it came, and a waiter on another gateway only the end', async () => {
    const queued = await other.request('POST', '/v2/echo/run', { input: { sleep_ms: 800, progress: [0.25, 0.5] } });
    const id = queued.body.id;
    const waited = other.request('GET', `/v2/echo/status-sync/${id}?wait=10000`);
    const feed = await fetch(`${platform.gateway.baseUrl}/v2/echo/stream/${id}`, {
      headers: { authorization: `Bearer ${API_KEY}`, accept: 'text/event-stream' },
    });
    expect(feed.status).toBe(200);
    await feed.text(); // the feed closes once the job has ended
    expect((await waited).body.status).toBe('COMPLETED');

    const heard = await Promise.all(
      (await wakeStreams()).map(async (stream) =>
        (await platform.stores.redis.xrange(stream, '-', '+'))
          .filter(([, fields]) => fields.includes(id))
          .map(([, fields]) => fields[fields.indexOf('ev_type') + 1]),
      ),
    );
    const ofThisJob = heard.filter((types) => types.length > 0);
    expect(ofThisJob).toHaveLength(2);
    expect(ofThisJob).toContainEqual(['completed']);
    expect(ofThisJob.find((types) => types.length > 1)).toEqual(expect.arrayContaining(['progress', 'completed']));
  });
});
