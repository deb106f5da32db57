import { gatewayConfig, GatewayUnderTest, startTestPlatform, type TestPlatform } from './support/platform';

describe('bad input gets a clear 4xx JSON error and loses nothing', () => {
  let platform: TestPlatform;
  let gateway: GatewayUnderTest;

  beforeAll(async () => {
    platform = await startTestPlatform();
    gateway = platform.gateway;
  });

  afterAll(() => platform.close());

  it.each([
    ['a body that is not JSON', '{"input": {', 400, 'body'],
    ['a JSON array body', '[1,2]', 400, ''],
    ['a missing input', '{}', 400, 'input'],
    ['an input that is not an object', '{"input": "hello"}', 400, 'input'],
    ['an input field of the wrong type', '{"input": {"sleep_ms": "soon"}}', 400, 'input.sleep_ms'],
    ['an unknown top-level field', '{"input": {}, "inputs": {}}', 400, ''],
    ['a policy value out of range', '{"input": {}, "policy": {"executionTimeout": 5}}', 400, 'policy.executionTimeout'],
    ['a ttl out of range', '{"input": {}, "policy": {"ttl": 999999999999}}', 400, 'policy.ttl'],
    ['a policy field of the wrong type', '{"input": {}, "policy": {"lowPriority": "yes"}}', 400, 'policy.lowPriority'],
    ['a webhook that is not a string', '{"input": {}, "webhook": 42}', 400, 'webhook'],
    ['an s3Config missing its keys', '{"input": {}, "s3Config": {"bucketName": "b"}}', 400, 's3Config.accessId'],
  ])('refuses %s', async (_case, body, status, field) => {
    const response = await gateway.request('POST', '/v2/echo/run', body);
    expect(response.status).toBe(status);
    expect(response.body).toEqual(expect.objectContaining({ error: expect.any(String), code: expect.any(String) }));
    if (field) expect(response.body.field).toBe(field);
  });

  it('refuses a body over 10 MB on /run with 413, but takes it on /runsync (20 MB)', async () => {
    const body = JSON.stringify({ input: { blob: 'x'.repeat(11 * 1024 * 1024) } });
    const run = await gateway.request('POST', '/v2/echo/run', body);
    expect(run.status).toBe(413);
    expect(run.body).toMatchObject({ code: 'payload_too_large', field: 'body' });
    const runsync = await gateway.request('POST', '/v2/echo/runsync', body);
    expect(runsync.status).toBe(200);
    expect(runsync.body.status).toBe('COMPLETED');
    const tooLarge = await gateway.request('POST', '/v2/echo/runsync', JSON.stringify({ input: { blob: 'x'.repeat(21 * 1024 * 1024) } }));
    expect(tooLarge.status).toBe(413);
  });

  it('answers 404 for an unknown endpoint or job id', async () => {
    expect((await gateway.request('POST', '/v2/nope/run', { input: {} })).body).toMatchObject({ code: 'not_found', field: 'endpointId' });
    expect((await gateway.request('GET', '/v2/echo/status/6a1c6f4e-0000-4000-8000-000000000000')).body).toMatchObject({ code: 'not_found', field: 'id' });
    expect((await gateway.request('GET', '/v2/echo/stream/not-a-job')).status).toBe(404);
    expect((await gateway.request('POST', '/v2/echo/cancel/not-a-job')).status).toBe(404);
  });

  it('does not show one endpoint’s job under another endpoint id', async () => {
    const done = await gateway.request('POST', '/v2/echo/runsync', { input: {} });
    const other = await GatewayUnderTest.start(
      gatewayConfig({ REDIS_PREFIX: platform.stores.prefix, DATABASE_URL: platform.stores.databaseUrl, ENDPOINT_ALIASES: 'legacy-echo=echo' }),
    );
    try {
      expect((await other.request('GET', `/v2/legacy-echo/status/${done.body.id}`)).status).toBe(404);
      expect((await other.request('GET', `/v2/echo/status/${done.body.id}`)).status).toBe(200);
      expect((await other.request('POST', '/v2/legacy-echo/runsync', { input: { via: 'alias' } })).body.status).toBe('COMPLETED');
    } finally {
      await other.close();
    }
  });

  it('refuses to cancel a finished job and to retry a job that did not fail', async () => {
    const done = await gateway.request('POST', '/v2/echo/runsync', { input: {} });
    const cancel = await gateway.request('POST', `/v2/echo/cancel/${done.body.id}`);
    expect(cancel.status).toBe(409);
    expect(cancel.body.error).toContain('COMPLETED');
    const retry = await gateway.request('POST', `/v2/echo/retry/${done.body.id}`);
    expect(retry.status).toBe(409);
  });

  it.each(['999', '300001', 'soon'])('refuses ?wait=%s', async (wait) => {
    const response = await gateway.request('POST', `/v2/echo/runsync?wait=${wait}`, { input: {} });
    expect(response.status).toBe(400);
    expect(response.body.field).toBe('wait');
  });

  it('keeps serving and loses no job after a burst of bad requests', async () => {
    const bad = await Promise.all(Array.from({ length: 50 }, (_, i) => gateway.request('POST', '/v2/echo/run', i % 2 ? '{"input":' : '{"input": 1}')));
    expect(bad.every((response) => response.status === 400)).toBe(true);
    const good = await Promise.all(Array.from({ length: 20 }, (_, i) => gateway.request('POST', '/v2/echo/runsync', { input: { i } })));
    expect(good.map((response) => response.body.output?.echo.i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});
