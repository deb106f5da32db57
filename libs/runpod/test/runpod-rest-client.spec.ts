import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AddressPolicy } from '@switchyard/outbound';
import {
  type EndpointSpec,
  isCapacityError,
  rateLimitWaitMs,
  RunPodApiError,
  RunPodAuthError,
  RunPodDestinationRefusedError,
  type RunPodProblem,
  RunPodRateLimitedError,
  RunPodRestClient,
  type RunPodRestClientOptions,
  RunPodUnavailableError,
  RunPodUnexpectedAnswerError,
} from '@switchyard/runpod';
import { FakeRunPodCloud } from '@switchyard/testing';

const API_KEY = 'rpa_rest_key_that_must_never_leak';
const LOCAL = new AddressPolicy({ allowPrivate: true });

const QUEUE_ENDPOINT: EndpointSpec = {
  name: 'sdxl-ada24',
  type: 'QUEUE',
  image: 'ghcr.io/switchyard/worker:1.4.0',
  gpu: { pools: ['ADA_24'] },
  workers: { min: 0, max: 2, idleTimeout: 30 },
  scaling: { type: 'QUEUE_DELAY', queueDelay: 4 },
  flashboot: 'FLASHBOOT',
  timeout: 600_000,
};

async function rejectionOf(work: Promise<unknown>): Promise<Error> {
  try {
    await work;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('RunPodRestClient', () => {
  let cloud: FakeRunPodCloud;
  let waits: number[];

  function clientOf(options: Partial<RunPodRestClientOptions> = {}): RunPodRestClient {
    return new RunPodRestClient({
      apiKey: API_KEY,
      baseUrl: cloud.restBaseUrl,
      addressPolicy: LOCAL,
      timeoutMs: 2_000,
      sleep: async (ms) => {
        waits.push(ms);
      },
      ...options,
    });
  }

  beforeEach(async () => {
    waits = [];
    cloud = await FakeRunPodCloud.start({
      apiKeys: [API_KEY],
      gpus: [
        {
          id: 'NVIDIA GeForce RTX 4090',
          name: 'RTX 4090',
          pool: 'ADA_24',
          memoryGb: 24,
          price: { secure: 0.69, community: 0.34, serverless: 1.1 },
          stock: 'HIGH',
        },
        { id: 'NVIDIA H200', name: 'H200 SXM', pool: 'HOPPER_141', memoryGb: 141, price: { secure: 3.59, community: 3.59, serverless: 5.58 }, stock: 'NONE' },
        { id: 'NVIDIA GeForce RTX 5090', name: 'RTX 5090', pool: null, memoryGb: 32, price: { secure: 0.94, community: 0.69 }, stock: 'HIGH' },
      ],
    });
  });

  afterEach(() => cloud.close());

  describe('the GPU catalogue', () => {
    it('lists GPU types with their pool, memory and serverless price per hour, without stock when not asked', async () => {
      const gpus = await clientOf().listGpuTypes();

      expect(gpus).toEqual([
        { id: 'NVIDIA GeForce RTX 4090', displayName: 'RTX 4090', pool: 'ADA_24', memoryGb: 24, serverlessPricePerHourUsd: 1.1 },
        { id: 'NVIDIA H200', displayName: 'H200 SXM', pool: 'HOPPER_141', memoryGb: 141, serverlessPricePerHourUsd: 5.58 },
        { id: 'NVIDIA GeForce RTX 5090', displayName: 'RTX 5090', memoryGb: 32 },
      ]);
      expect(cloud.requests[0]).toMatchObject({ method: 'GET', path: '/v2/catalog/gpus', query: {}, authorization: `Bearer ${API_KEY}` });
    });

    it('asks for serverless availability and reads NONE as unavailable', async () => {
      const gpus = await clientOf().listGpuTypes({ availability: true });

      expect(cloud.requests[0].query).toEqual({ include: 'AVAILABILITY', product: 'SERVERLESS' });
      expect(gpus.map(({ id, available, stockStatus }) => ({ id, available, stockStatus }))).toEqual([
        { id: 'NVIDIA GeForce RTX 4090', available: true, stockStatus: 'HIGH' },
        { id: 'NVIDIA H200', available: false, stockStatus: 'NONE' },
        { id: 'NVIDIA GeForce RTX 5090', available: true, stockStatus: 'HIGH' },
      ]);
    });

    it('stops at once when its signal aborts', async () => {
      const controller = new AbortController();
      controller.abort(new Error('shutting down'));

      await expect(clientOf().listGpuTypes({ signal: controller.signal })).rejects.toThrow('shutting down');
      expect(cloud.requests).toHaveLength(0);
    });
  });

  describe('templates and endpoints', () => {
    it('creates a serverless template and an endpoint on it, reads, scales and deletes them', async () => {
      const client = clientOf();
      const template = await client.createTemplate({
        name: 'switchyard-sdxl',
        image: 'ghcr.io/switchyard/worker:1.4.0',
        env: { MODEL_ID: 'sdxl-base-1.0' },
        disk: 30,
        serverless: true,
        startSsh: false,
        startJupyter: false,
      });
      expect(template).toMatchObject({ id: expect.stringMatching(/^[a-z0-9]+$/), serverless: true, disk: 30, env: { MODEL_ID: 'sdxl-base-1.0' } });

      const { image: _image, ...onTemplate } = QUEUE_ENDPOINT;
      const created = await client.createEndpoint({ ...onTemplate, templateId: template.id, env: { LOG_LEVEL: 'debug' } });
      expect(created).toMatchObject({
        name: 'sdxl-ada24',
        image: 'ghcr.io/switchyard/worker:1.4.0',
        env: { MODEL_ID: 'sdxl-base-1.0', LOG_LEVEL: 'debug' },
        gpu: { pools: ['ADA_24'], count: 1, allowedCudaVersions: [], minCudaVersion: null },
        workers: { min: 0, max: 2, idleTimeout: 30 },
        flashboot: 'FLASHBOOT',
        requestUrls: { runSync: `${cloud.url}/v2/${created.id}/runsync`, health: `${cloud.url}/v2/${created.id}/health` },
      });
      expect(cloud.requests.at(-1)?.body).toEqual({ ...onTemplate, templateId: template.id, env: { LOG_LEVEL: 'debug' } });

      expect(await client.getEndpoint(created.id)).toEqual(created);
      const scaled = await client.updateEndpoint(created.id, { workers: { min: 1, max: 4 } });
      expect(scaled.workers).toEqual({ min: 1, max: 4, idleTimeout: 30 });
      expect(cloud.requests.at(-1)).toMatchObject({ method: 'PATCH', path: `/v2/serverless/${created.id}`, body: { workers: { min: 1, max: 4 } } });
      expect(await client.endpointWorkers(created.id)).toEqual({
        running: 0,
        idle: 0,
        initializing: 0,
        throttled: 0,
        unhealthy: 0,
        total: 0,
        workers: [],
        endpointVersion: 1,
      });
      expect((await client.listEndpoints()).map((endpoint) => endpoint.id)).toEqual([created.id]);

      await client.deleteEndpoint(created.id);
      expect(await client.getEndpoint(created.id)).toBeUndefined();
      expect(cloud.templates()).toEqual([]);
      await client.deleteEndpoint(created.id);
      await client.deleteTemplate(template.id);
    });

    it('passes on RunPod problem documents: status, title, detail, validation errors, and its wording as the message', async () => {
      const snakeCase = { ...QUEUE_ENDPOINT, workers: { min: 0, max: 2, idle_timeout: 30 } } as unknown as EndpointSpec;

      const error = await rejectionOf(clientOf().createEndpoint(snakeCase));

      expect(error).toBeInstanceOf(RunPodApiError);
      expect(error).toMatchObject({
        operation: 'createEndpoint',
        status: 422,
        problem: { title: 'Unprocessable Entity', status: 422, detail: 'Request validation failed.', errors: [expect.stringContaining("'idle_timeout'")] },
      });
      expect(error.message).toMatch(/^Request validation failed\. \(.*idle_timeout/);
      expect(isCapacityError(error)).toBe(false);
      expect(cloud.requests).toHaveLength(1);
    });

    it('answers a 401 with RunPodAuthError, without retrying', async () => {
      const error = await rejectionOf(clientOf({ apiKey: 'rpa_wrong_key' }).getEndpoint('abc'));

      expect(error).toBeInstanceOf(RunPodAuthError);
      expect(error).toMatchObject({ status: 401, message: 'invalid bearer token' });
      expect(cloud.requests).toHaveLength(1);
    });
  });

  describe('retries', () => {
    it('waits out a 429 for as long as its RateLimit header says, then succeeds', async () => {
      cloud.injectFault({ status: 429, retryAfterSeconds: 7, times: 1 });

      const gpus = await clientOf().listGpuTypes();

      expect(gpus).toHaveLength(3);
      expect(waits).toEqual([7_000]);
      expect(cloud.requests.map((request) => request.fault)).toEqual(['http', undefined]);
    });

    it('retries a create refused with 429, since RunPod did not process it', async () => {
      cloud.injectFault({ status: 429, retryAfterSeconds: 2, paths: /^\/v2\/serverless$/, times: 2 });

      const created = await clientOf().createEndpoint(QUEUE_ENDPOINT);

      expect(cloud.endpoints().map((endpoint) => endpoint.id)).toEqual([created.id]);
      expect(waits).toEqual([2_000, 2_000]);
    });

    it('gives up on a 429 that lasts, with the wait RunPod asked for', async () => {
      cloud.injectFault({ status: 429, retryAfterSeconds: 3 });

      const error = await rejectionOf(clientOf({ maxAttempts: 3 }).getEndpoint('abc'));

      expect(error).toBeInstanceOf(RunPodRateLimitedError);
      expect(error).toMatchObject({ status: 429, retryAfterMs: 3_000, message: 'rate limit exceeded for the minute window' });
      expect(cloud.requests).toHaveLength(3);
    });

    it('does not sit through a rate-limit wait longer than a minute', async () => {
      cloud.injectFault({ status: 429, retryAfterSeconds: 3600 });

      const error = await rejectionOf(clientOf().listGpuTypes());

      expect(error).toMatchObject({ retryAfterMs: 3_600_000 });
      expect(waits).toEqual([]);
    });

    it('retries 5xx answers with growing jittered waits, then succeeds', async () => {
      cloud.injectFault({ status: 500, times: 2 });

      await clientOf().listGpuTypes();

      expect(cloud.requests).toHaveLength(3);
      expect(waits).toHaveLength(2);
      expect(waits[0]).toBeGreaterThanOrEqual(250);
      expect(waits[0]).toBeLessThanOrEqual(500);
      expect(waits[1]).toBeGreaterThanOrEqual(500);
      expect(waits[1]).toBeLessThanOrEqual(1_000);
    });

    it('reports RunPod unavailable once the 5xx answers outlast the attempts', async () => {
      cloud.injectFault({ status: 502 });

      const error = await rejectionOf(clientOf().deleteEndpoint('abc'));

      expect(error).toBeInstanceOf(RunPodUnavailableError);
      expect(error).toMatchObject({ attempts: 4, status: 502 });
      expect(cloud.requests).toHaveLength(4);
    });

    it('retries a read that timed out', async () => {
      cloud.hang(/^\/v2\/serverless\/abc$/);

      const error = await rejectionOf(clientOf({ timeoutMs: 150, maxAttempts: 2 }).getEndpoint('abc'));

      expect(error).toBeInstanceOf(RunPodUnavailableError);
      expect(error).toMatchObject({ attempts: 2, status: undefined });
      expect(error.message).toContain('did not complete within 150 ms');
      expect(cloud.requests).toHaveLength(2);
    });

    it('never retries a create that timed out or met a 500: RunPod may have made the endpoint', async () => {
      cloud.hang(/^\/v2\/serverless$/);
      const timedOut = await rejectionOf(clientOf({ timeoutMs: 150 }).createEndpoint(QUEUE_ENDPOINT));
      cloud.clearFaults();
      cloud.injectFault({ status: 500, paths: /^\/v2\/templates$/ });
      const failed = await rejectionOf(clientOf().createTemplate({ name: 't', image: 'busybox' }));

      expect(timedOut).toMatchObject({ name: 'RunPodUnavailableError', attempts: 1 });
      expect(failed).toMatchObject({ name: 'RunPodUnavailableError', attempts: 1, status: 500 });
      expect(cloud.requests.map((request) => request.path)).toEqual(['/v2/serverless', '/v2/templates']);
    });

    it('retries a create refused with 503 and one whose connection never opened', async () => {
      cloud.injectFault({ status: 503, paths: /^\/v2\/templates$/, times: 1 });
      await clientOf().createTemplate({ name: 't', image: 'busybox' });
      expect(cloud.requests).toHaveLength(2);

      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as AddressInfo;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const refused = await rejectionOf(clientOf({ baseUrl: `http://127.0.0.1:${port}/v2`, maxAttempts: 3 }).createEndpoint(QUEUE_ENDPOINT));
      expect(refused).toMatchObject({ name: 'RunPodUnavailableError', attempts: 3 });
    });
  });

  describe('capacity errors', () => {
    it('recognises RunPod refusing a create for lack of stock', async () => {
      cloud.failCreateEndpoint({ pools: ['ADA_24'] });

      const error = await rejectionOf(clientOf().createEndpoint(QUEUE_ENDPOINT));

      expect(error).toMatchObject({ status: 400 });
      expect(isCapacityError(error)).toBe(true);
      expect(cloud.requests).toHaveLength(1);
    });

    it.each<[string, number, RunPodProblem, boolean]>([
      ['a 400 whose detail says the GPUs are unavailable', 400, { detail: 'Requested GPUs are currently unavailable' }, true],
      ['"no GPU" in the title', 400, { title: 'No GPU Available' }, true],
      ['"out of stock"', 409, { detail: 'ADA_24 is out of stock' }, true],
      ['"resources exhausted"', 400, { detail: 'Resources exhausted in all data centers' }, true],
      ['an insufficient balance, which no pool will fix', 402, { detail: 'Insufficient balance' }, false],
      ['a validation failure', 422, { detail: 'Request validation failed.' }, false],
      ['a rule violation', 400, { detail: 'gpu.pools: unknown serverless GPU pool "X"' }, false],
    ])('%s', (_name, status, problem, expected) => {
      const wording = problem.detail ?? problem.title ?? '';
      expect(isCapacityError(new RunPodApiError('createEndpoint', status, problem, wording))).toBe(expected);
    });

    it('never counts auth, rate-limit or non-RunPod errors', () => {
      expect(isCapacityError(new RunPodAuthError('createEndpoint', 403, { detail: 'pool unavailable to this key' }, 'pool unavailable to this key'))).toBe(
        false,
      );
      expect(isCapacityError(new RunPodRateLimitedError('createEndpoint', {}, 'insufficient quota', 1000))).toBe(false);
      expect(isCapacityError(new Error('no capacity'))).toBe(false);
    });
  });

  describe('servers that are not quite RunPod', () => {
    let server: Server;
    let serverUrl: string;

    // Answers by the first path segment: `echo` and `legacy` echo the Authorization header in a problem or `{error}` body.
    beforeEach(async () => {
      server = createServer((request, response) => {
        const said = `you sent ${request.headers.authorization}`;
        const [, kind] = (request.url ?? '/').split('/');
        if (kind === 'legacy') {
          response.writeHead(400, { 'Content-Type': 'application/json' });
          response.end(JSON.stringify({ error: said }));
        } else if (kind === 'echo') {
          response.writeHead(500, { 'Content-Type': 'application/problem+json' });
          response.end(JSON.stringify({ title: said, status: 500, detail: said }));
        } else if (kind === 'redirect') {
          response.writeHead(302, { Location: 'https://elsewhere.example/v2/serverless' });
          response.end();
        } else {
          response.writeHead(200, { 'Content-Type': 'application/json' });
          response.end(JSON.stringify({ endpoints: 'none' }));
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('keeps the key out of every error, legacy {error} bodies included', async () => {
      const legacy = await rejectionOf(clientOf({ baseUrl: `${serverUrl}/legacy/v2` }).getEndpoint('abc'));
      const problem = await rejectionOf(clientOf({ baseUrl: `${serverUrl}/echo/v2`, maxAttempts: 2 }).getEndpoint('abc'));

      expect(legacy).toMatchObject({ status: 400, message: 'you sent Bearer [redacted]', problem: { detail: 'you sent Bearer [redacted]' } });
      expect(problem).toBeInstanceOf(RunPodUnavailableError);
      for (const error of [legacy, problem]) expect(JSON.stringify({ ...error, message: error.message })).not.toContain(API_KEY);
    });

    it('neither follows redirects nor accepts answers of another shape', async () => {
      const redirected = await rejectionOf(clientOf({ baseUrl: `${serverUrl}/redirect/v2` }).listEndpoints());
      const misshapen = await rejectionOf(clientOf({ baseUrl: `${serverUrl}/v2` }).listEndpoints());

      expect(redirected).toBeInstanceOf(RunPodUnexpectedAnswerError);
      expect(redirected.message).toContain('redirected (HTTP 302)');
      expect(misshapen).toBeInstanceOf(RunPodUnexpectedAnswerError);
      expect(misshapen.message).toContain('endpoints');
    });

    it('refuses private addresses under the default policy, sending nothing', async () => {
      const client = new RunPodRestClient({ apiKey: API_KEY, baseUrl: cloud.restBaseUrl });

      await expect(client.listEndpoints()).rejects.toBeInstanceOf(RunPodDestinationRefusedError);
      expect(cloud.requests).toHaveLength(0);
    });
  });
});

describe('rateLimitWaitMs', () => {
  it('takes the latest reset among exhausted windows of the structured RateLimit header', () => {
    expect(rateLimitWaitMs({ ratelimit: '"minute";r=0;t=12, "hour";r=0;t=1812, "day";r=49500;t=45012' })).toBe(1_812_000);
    expect(rateLimitWaitMs({ ratelimit: '"minute";r=3;t=12' })).toBeUndefined();
  });

  it('reads the earlier dictionary form and the separate headers', () => {
    expect(rateLimitWaitMs({ ratelimit: 'limit=100, remaining=0, reset=9' })).toBe(9_000);
    expect(rateLimitWaitMs({ 'ratelimit-remaining': '0', 'ratelimit-reset': '4' })).toBe(4_000);
  });

  it('honours Retry-After in seconds or as a date, whichever of the hints is later', () => {
    const now = Date.UTC(2026, 11, 2, 1, 0, 0);
    expect(rateLimitWaitMs({ 'retry-after': '5', ratelimit: '"minute";r=0;t=2' }, now)).toBe(5_000);
    expect(rateLimitWaitMs({ 'retry-after': 'Wed, 02 Dec 2026 01:00:30 GMT' }, now)).toBe(30_000);
    expect(rateLimitWaitMs({})).toBeUndefined();
  });
});
