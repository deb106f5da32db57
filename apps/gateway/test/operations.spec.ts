import { API_KEY, eventually, GatewayUnderTest, startTestPlatform, type TestPlatform } from './support/platform';

describe('operations endpoints', () => {
  let platform: TestPlatform;
  let gateway: GatewayUnderTest;

  beforeAll(async () => {
    platform = await startTestPlatform();
    gateway = platform.gateway;
  });

  afterAll(() => platform.close());

  it('answers liveness and readiness without a key, with the details only for an admin key', async () => {
    expect(await (await fetch(`${gateway.baseUrl}/health`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${gateway.baseUrl}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    const detailed = await gateway.request('GET', '/ready');
    expect(detailed.body).toEqual({ status: 'ready', redis: 'ok', database: 'ok', recorder: 'ok' });
  });

  it('exports Prometheus metrics with queue depths and job latencies', async () => {
    await gateway.request('POST', '/v2/echo/runsync', { input: {} });
    expect((await fetch(`${gateway.baseUrl}/metrics`)).status).toBe(401);
    // The recorder counts the job's execution once it records the job's end.
    const text = await eventually(async () => {
      const scraped = (await gateway.request('GET', '/metrics')).body as string;
      return /switchyard_job_execution_seconds_count\{endpoint="echo",status="COMPLETED"\} [1-9]/.test(scraped) && scraped;
    });
    expect(text).toMatch(/switchyard_queue_jobs\{queue="echo",state="wait"\} \d+/);
    expect(text).toMatch(/switchyard_job_execution_seconds_count\{endpoint="echo",status="COMPLETED"\} [1-9]/);
    expect(text).toMatch(/switchyard_job_delay_seconds_bucket/);
    expect(text).toMatch(/switchyard_http_request_duration_seconds_count\{method="POST",route="\/v2\/:endpointId\/runsync",status="200"\} [1-9]/);
  });

  it('serves the OpenAPI document and its UI', async () => {
    const document = (await (await fetch(`${gateway.baseUrl}/docs-json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/v2/{endpointId}/run', '/v2/{endpointId}/runsync', '/v2/{endpointId}/status/{id}']));
    expect((await fetch(`${gateway.baseUrl}/docs`)).status).toBe(200);
  });

  it('serves the queue dashboard only with an admin key (bearer, or basic for browsers)', async () => {
    expect((await fetch(`${gateway.baseUrl}/dashboard`)).status).toBe(401);
    expect((await fetch(`${gateway.baseUrl}/dashboard`, { headers: { authorization: `Bearer ${API_KEY}` } })).status).toBe(200);
    const basic = Buffer.from(`admin:${API_KEY}`).toString('base64');
    expect((await fetch(`${gateway.baseUrl}/dashboard/api/queues`, { headers: { authorization: `Basic ${basic}` } })).status).toBe(200);
  });
});
