import { API_KEY, GatewayUnderTest, startTestPlatform, type TestPlatform } from './support/platform';

/** RunPod's own JavaScript client, pointed at Switchyard with its baseUrl option. */
describe('runpod-sdk against the gateway', () => {
  let platform: TestPlatform;
  let gateway: GatewayUnderTest;
  let endpoint: any;

  beforeAll(async () => {
    platform = await startTestPlatform();
    gateway = platform.gateway;
    const { default: runpodSdk } = await import('runpod-sdk');
    endpoint = runpodSdk(API_KEY, { baseUrl: `${gateway.baseUrl}/v2` }).endpoint('echo');
  });

  afterAll(() => platform.close());

  it('runs, polls status and status-sync', async () => {
    const run = await endpoint.run({ input: { prompt: 'sdk' } });
    expect(run.status).toBe('IN_QUEUE');
    const final = await endpoint.statusSync(run.id, 10_000);
    expect(final).toMatchObject({ status: 'COMPLETED', completed: true, succeeded: true, output: { echo: { prompt: 'sdk' } } });
    expect((await endpoint.status(run.id)).status).toBe('COMPLETED');
  });

  it('runs synchronously', async () => {
    const result = await endpoint.runSync({ input: { n: 2 } });
    expect(result).toMatchObject({ status: 'COMPLETED', output: { echo: { n: 2 } } });
  });

  it('streams a generator job’s chunks', async () => {
    const run = await endpoint.run({ input: { stream: [1, 2, 3], sleep_ms: 300 } });
    const chunks: unknown[] = [];
    for await (const chunk of endpoint.stream(run.id)) chunks.push(chunk.output);
    expect(chunks).toEqual([1, 2, 3]);
  });

  it('cancels, reports health and purges the queue', async () => {
    const run = await endpoint.run({ input: { sleep_ms: 3000 } });
    expect(await endpoint.cancel(run.id)).toEqual({ id: run.id, status: 'CANCELLED' });
    const health = await endpoint.health();
    expect(health.jobs).toEqual(expect.objectContaining({ completed: expect.any(Number), inQueue: expect.any(Number) }));
    expect(await endpoint.purgeQueue()).toEqual({ removed: 0, status: 'completed' });
  });
});
