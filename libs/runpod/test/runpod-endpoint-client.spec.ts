import { AddressPolicy } from '@switchyard/outbound';
import {
  isRetryableRemoteError,
  RemoteDestinationRefusedError,
  RemoteHttpError,
  RemoteProtocolError,
  RemoteRedirectError,
  RemoteUnreachableError,
  RunPodEndpointClient,
} from '@switchyard/runpod';
import { FakeRunPod } from '@switchyard/testing';

const API_KEY = 'rpa_test_key_that_must_never_leak';
const ENDPOINT_ID = 'abc123';
const LOCAL = new AddressPolicy({ allowPrivate: true });

describe('RunPodEndpointClient', () => {
  let fake: FakeRunPod;
  let client: RunPodEndpointClient;

  beforeEach(async () => {
    fake = await FakeRunPod.start({ apiKey: API_KEY, endpointId: ENDPOINT_ID });
    client = new RunPodEndpointClient({ baseUrl: fake.url, endpointId: ENDPOINT_ID, apiKey: API_KEY, addressPolicy: LOCAL, timeoutMs: 5_000 });
  });

  afterEach(() => fake.stop());

  async function rejectionOf(work: Promise<unknown>): Promise<Error> {
    try {
      await work;
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected the call to fail');
  }

  it('submits with POST /run, the Bearer key and {input, policy}, and answers the remote id', async () => {
    const answer = await client.run({ text: 'hi' }, { executionTimeout: 60_000, ttl: 120_000 });

    expect(answer).toEqual({ id: expect.any(String), status: 'IN_QUEUE' });
    const [request] = fake.requestsOf('run');
    expect(request).toMatchObject({
      method: 'POST',
      path: `/v2/${ENDPOINT_ID}/run`,
      authorization: `Bearer ${API_KEY}`,
      body: { input: { text: 'hi' }, policy: { executionTimeout: 60_000, ttl: 120_000 } },
    });
  });

  it('reads status with its progress, drains stream chunks once, and cancels', async () => {
    fake.behaviour = () => ({
      runMs: 60_000,
      progress: [{ afterMs: 0, value: { step: 1 } }],
      chunks: [
        { afterMs: 0, output: 'a' },
        { afterMs: 0, output: 'b' },
      ],
    });
    const { id } = await client.run({});

    expect(await client.status(id)).toMatchObject({ id, status: 'IN_PROGRESS', delayTime: 0, output: { step: 1 } });
    expect(await client.stream(id)).toEqual({ status: 'IN_PROGRESS', stream: [{ output: 'a' }, { output: 'b' }] });
    expect(await client.stream(id)).toEqual({ status: 'IN_PROGRESS', stream: [] });
    expect(await client.cancel(id)).toEqual({ id, status: 'CANCELLED' });
    expect(await client.status(id)).toMatchObject({ status: 'CANCELLED' });
  });

  it('reads a completed job with its output and times', async () => {
    const { id } = await client.run({ n: 1 });

    expect(await client.status(id)).toEqual({ id, status: 'COMPLETED', delayTime: 0, executionTime: 0, output: { echo: { n: 1 } } });
  });

  it('reads health as job counts and workers', async () => {
    fake.workers = { idle: 2, running: 3 };
    await client.run({});

    expect(await client.health()).toEqual({ jobs: { completed: 1, failed: 0, inProgress: 0, inQueue: 0, retried: 0 }, workers: { idle: 2, running: 3 } });
  });

  it('builds URLs under /v2/{endpointId} of the base URL, also when the base URL already ends in /v2', async () => {
    const withV2 = new RunPodEndpointClient({ baseUrl: `${fake.url}/v2/`, endpointId: ENDPOINT_ID, apiKey: API_KEY, addressPolicy: LOCAL });

    await withV2.health();

    expect(fake.requests.map((request) => request.path)).toEqual([`/v2/${ENDPOINT_ID}/health`]);
    expect(withV2.remote).toBe(`${fake.url} endpoint ${ENDPOINT_ID}`);
  });

  it('turns a 401 into a RemoteHttpError that is not retryable and does not show the key', async () => {
    const wrongKey = new RunPodEndpointClient({ baseUrl: fake.url, endpointId: ENDPOINT_ID, apiKey: 'rpa_wrong', addressPolicy: LOCAL });

    const error = await rejectionOf(wrongKey.health());

    expect(error).toBeInstanceOf(RemoteHttpError);
    expect(error).toMatchObject({ status: 401, call: 'health' });
    expect(isRetryableRemoteError(error)).toBe(false);
    expect(error.message).not.toContain('rpa_wrong');
  });

  it('answers 404 for a job the remote does not know', async () => {
    const error = await rejectionOf(client.status('no-such-job'));

    expect(error).toMatchObject({ status: 404, call: 'status' });
  });

  it('removes the key from the excerpt of an answer that echoes it', async () => {
    fake.injectFault({ kind: 'http', status: 500, body: `{"error": "bad header Bearer ${API_KEY}"}` });

    const error = await rejectionOf(client.health());

    expect(error).toBeInstanceOf(RemoteHttpError);
    expect(error.message).toContain('[redacted]');
    expect(error.message).not.toContain(API_KEY);
    expect(JSON.stringify(error)).not.toContain(API_KEY);
  });

  it('reads Retry-After in seconds and as an HTTP date on 429 and 503, both retryable', async () => {
    fake.injectFault({ kind: 'http', status: 429, retryAfter: '2' }, { times: 1 });
    const inTenSeconds = new Date(Math.ceil(Date.now() / 1000) * 1000 + 10_000).toUTCString();
    fake.injectFault({ kind: 'http', status: 503, retryAfter: inTenSeconds }, { times: 1 });

    const limited = await rejectionOf(client.run({}));
    const unavailable = await rejectionOf(client.run({}));

    expect(limited).toMatchObject({ status: 429, retryAfterMs: 2000 });
    expect((unavailable as RemoteHttpError).status).toBe(503);
    expect((unavailable as RemoteHttpError).retryAfterMs).toBeGreaterThan(8000);
    expect((unavailable as RemoteHttpError).retryAfterMs).toBeLessThanOrEqual(11_000);
    expect([limited, unavailable].map(isRetryableRemoteError)).toEqual([true, true]);
  });

  it.each([
    ['an HTML page', { kind: 'garbage' as const }, /content-type "text\/html", expected JSON/],
    ['JSON that does not parse', { kind: 'garbage' as const, contentType: 'application/json', body: '{"id": ' }, /the body is not JSON/],
    ['the wrong shape', { kind: 'garbage' as const, contentType: 'application/json', body: '{"id": "x", "status": "DONE"}' }, /unexpected shape: status:/],
  ])('turns %s into a RemoteProtocolError naming what was wrong', async (_name, fault, problem) => {
    fake.injectFault(fault);

    const error = await rejectionOf(client.run({}));

    expect(error).toBeInstanceOf(RemoteProtocolError);
    expect((error as RemoteProtocolError).problem).toMatch(problem);
    expect(isRetryableRemoteError(error)).toBe(false);
  });

  it('refuses an answer over the size limit as a protocol error', async () => {
    const small = new RunPodEndpointClient({ baseUrl: fake.url, endpointId: ENDPOINT_ID, apiKey: API_KEY, addressPolicy: LOCAL, maxResponseBytes: 64 });
    fake.behaviour = () => ({ end: { outcome: 'COMPLETED', output: 'x'.repeat(1000) } });
    const { id } = await client.run({});

    const error = await rejectionOf(small.status(id));

    expect(error).toBeInstanceOf(RemoteProtocolError);
    expect(error.message).toMatch(/exceeds the limit of 64 bytes/);
  });

  it('gives up on a remote that never answers after its timeout, as unreachable', async () => {
    fake.injectFault({ kind: 'hang' });
    const started = Date.now();

    const error = await rejectionOf(client.health({ timeoutMs: 80 }));

    expect(error).toBeInstanceOf(RemoteUnreachableError);
    expect((error as RemoteUnreachableError).timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(isRetryableRemoteError(error)).toBe(true);
  });

  it('reports a remote that is down or drops the connection as unreachable', async () => {
    fake.injectFault({ kind: 'reset' }, { times: 1 });
    const reset = await rejectionOf(client.health());
    await fake.goDown();
    const down = await rejectionOf(client.health());

    for (const error of [reset, down]) {
      expect(error).toBeInstanceOf(RemoteUnreachableError);
      expect((error as RemoteUnreachableError).timedOut).toBe(false);
    }
  });

  it('refuses a redirect instead of following it, naming where it pointed without its query', async () => {
    fake.injectFault({ kind: 'redirect', location: `${fake.url}/elsewhere?token=secret`, status: 307 }, { times: 1 });

    const error = await rejectionOf(client.run({}));

    expect(error).toBeInstanceOf(RemoteRedirectError);
    expect(error).toMatchObject({ status: 307, location: `${fake.url}/elsewhere` });
    expect(error.message).not.toContain('secret');
    expect(fake.requests).toHaveLength(1);
    expect(isRetryableRemoteError(error)).toBe(false);
  });

  it('refuses an internal address under the default public-only policy, sending nothing', async () => {
    const publicOnly = new RunPodEndpointClient({ baseUrl: fake.url, endpointId: ENDPOINT_ID, apiKey: API_KEY });

    const error = await rejectionOf(publicOnly.run({}));

    expect(error).toBeInstanceOf(RemoteDestinationRefusedError);
    expect(error.message).toMatch(/127\.0\.0\.1 is loopback/);
    expect(fake.requests).toHaveLength(0);
    expect(isRetryableRemoteError(error)).toBe(false);
  });
});
