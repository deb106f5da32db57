import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AddressPolicy } from '@switchyard/outbound';
import { type EndpointSpec, isCapacityError, RunPodApiError, RunPodEndpointClient, RunPodRestClient } from '@switchyard/runpod';
import { DEFAULT_FAKE_GPU_CATALOG, type FakeCloudEndpoint, FakeRunPodCloud, FakeServerlessQueue, OpenApiSchemaValidator } from '@switchyard/testing';

const API_KEY = 'rpa_cloud_user_key';
const LOCAL = new AddressPolicy({ allowPrivate: true });
const SPEC = JSON.parse(readFileSync(resolve(__dirname, '../spec/runpod-rest-v2.openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, { requestBody?: { content: { 'application/json': { examples: Record<string, { value: unknown }> } } } }>>;
};

const ENDPOINT: EndpointSpec = {
  name: 'embedder',
  type: 'QUEUE',
  image: 'ghcr.io/switchyard/worker:1.4.0',
  env: { MODEL_ID: 'clip-vit-b32' },
  gpu: { pools: ['AMPERE_16', 'AMPERE_24'] },
  workers: { min: 0, max: 3, idleTimeout: 60 },
  scaling: { type: 'QUEUE_DELAY', queueDelay: 2 },
};

async function rejectionOf(work: Promise<unknown>): Promise<Error> {
  try {
    await work;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('OpenApiSchemaValidator on RunPod REST v2', () => {
  const validator = new OpenApiSchemaValidator(SPEC);
  const examplesOf = (path: string, method: string) =>
    Object.values(SPEC.paths[path][method].requestBody!.content['application/json'].examples).map((example) => example.value);

  it('accepts every request example of the spec', () => {
    for (const example of examplesOf('/v2/serverless', 'post')) expect(validator.validate('#/components/schemas/CreateEndpointRequest', example)).toEqual([]);
    for (const example of examplesOf('/v2/serverless/{id}', 'patch'))
      expect(validator.validate('#/components/schemas/UpdateEndpointRequest', example)).toEqual([]);
  });

  it.each([
    ['a snake_case policy field', { ...ENDPOINT, workers_min: 0 }, "$: property 'workers_min' is not allowed"],
    ['a snake_case worker field', { ...ENDPOINT, workers: { min: 0, idle_timeout: 5 } }, "$.workers: additional property 'idle_timeout' is not allowed"],
    ['an unknown flashboot', { ...ENDPOINT, flashboot: 'ON' }, '$.flashboot: must be one of "OFF", "FLASHBOOT", "PRIORITY_FLASHBOOT", got "ON"'],
    [
      'an unknown scaler',
      { ...ENDPOINT, scaling: { type: 'GPU_UTIL', value: 1 } },
      '$.scaling.type: must be one of "QUEUE_DELAY", "REQUEST_COUNT", got "GPU_UTIL"',
    ],
    ['no name', { ...ENDPOINT, name: undefined }, "$: missing required property 'name'"],
    ['neither image nor template', { ...ENDPOINT, image: undefined }, "$: missing required property 'image'"],
    ['a load balancer scaling on queue delay', { ...ENDPOINT, type: 'LOAD_BALANCER' }, "$.scaling: additional property 'queueDelay' is not allowed"],
    [
      'a CUDA version that is not major.minor',
      { ...ENDPOINT, gpu: { pools: ['ADA_24'], minCudaVersion: '12' } },
      '$.gpu.minCudaVersion: must match ^\\d+\\.\\d+$, got "12"',
    ],
  ])('refuses %s', (_name, body, expected) => {
    expect(validator.validate('#/components/schemas/CreateEndpointRequest', JSON.parse(JSON.stringify(body)))).toContain(expected);
  });
});

describe('FakeRunPodCloud', () => {
  let cloud: FakeRunPodCloud;
  let client: RunPodRestClient;
  let created: FakeCloudEndpoint[];

  beforeEach(async () => {
    created = [];
    cloud = await FakeRunPodCloud.start({ apiKeys: [API_KEY], onEndpointCreated: (endpoint) => void created.push(endpoint) });
    client = new RunPodRestClient({ apiKey: API_KEY, baseUrl: cloud.restBaseUrl, addressPolicy: LOCAL, sleep: async () => {} });
  });

  afterEach(() => cloud.close());

  describe('endpoints and templates', () => {
    it('creates an endpoint from a template, keeping what the bodies carried, and hands it to onEndpointCreated', async () => {
      const template = await client.createTemplate({
        name: 'embedder',
        image: 'ghcr.io/switchyard/worker:1.4.0',
        env: { HF_HOME: '/cache' },
        serverless: true,
      });
      const { image: _image, ...withoutImage } = ENDPOINT;
      const endpoint = await client.createEndpoint({ ...withoutImage, templateId: template.id });

      expect(endpoint.id).toMatch(/^[a-z0-9]{8}$/);
      expect(endpoint).toMatchObject({ image: 'ghcr.io/switchyard/worker:1.4.0', env: { HF_HOME: '/cache', MODEL_ID: 'clip-vit-b32' } });
      expect(created).toHaveLength(1);
      const [fake] = created;
      expect(cloud.endpoints()).toEqual([fake]);
      expect(fake).toMatchObject({ id: endpoint.id, name: 'embedder', deleted: false, template: { id: template.id, env: { HF_HOME: '/cache' } } });
      expect(fake.createBody).toEqual({ ...withoutImage, templateId: template.id });
      expect(fake.queue).toBeInstanceOf(FakeServerlessQueue);
      expect(fake.workerEnvironment('w1')).toMatchObject({
        HF_HOME: '/cache',
        MODEL_ID: 'clip-vit-b32',
        RUNPOD_POD_ID: 'w1',
        RUNPOD_ENDPOINT_ID: endpoint.id,
        RUNPOD_WEBHOOK_GET_JOB: expect.stringMatching(new RegExp(`^${cloud.url}/v2/${endpoint.id}/job-take/\\$ID`)),
      });
    });

    it('patches workers, scaling and the GPU selection with PATCH semantics', async () => {
      const endpoint = await client.createEndpoint({ ...ENDPOINT, gpu: { pools: ['ADA_48_PRO'], excludedTypes: ['NVIDIA L40'] } });

      const rescaled = await client.updateEndpoint(endpoint.id, { workers: { max: 5 }, scaling: { type: 'REQUEST_COUNT', requestCount: 2 } });
      expect(rescaled.workers).toEqual({ min: 0, max: 5 });
      const moved = await client.updateEndpoint(endpoint.id, { gpu: { pools: ['ADA_48_PRO', 'AMPERE_48'] } });
      expect(moved.gpu).toEqual({ pools: ['ADA_48_PRO', 'AMPERE_48'], count: 1, allowedCudaVersions: [], minCudaVersion: null });
      expect(await client.getEndpoint(endpoint.id)).toEqual(moved);
    });

    it('deletes an endpoint with its bound template, and refuses to delete a template while an endpoint is bound to it', async () => {
      const template = await client.createTemplate({ name: 'bound', image: 'busybox', serverless: true });
      const endpoint = await client.createEndpoint({ ...ENDPOINT, templateId: template.id });

      const refusal = await rejectionOf(client.deleteTemplate(template.id));
      expect(refusal).toMatchObject({ status: 400, message: expect.stringContaining(`bound to serverless endpoint ${endpoint.id}`) });
      await client.deleteEndpoint(endpoint.id);

      expect(cloud.endpoints()[0].deleted).toBe(true);
      expect(cloud.templates()).toEqual([]);
      expect(await client.getEndpoint(endpoint.id)).toBeUndefined();
      expect(await client.listEndpoints()).toEqual([]);
    });

    it('refuses bodies the real API would refuse, naming the field', async () => {
      const snakeCase = await rejectionOf(client.createEndpoint({ ...ENDPOINT, workers: { min: 0, max: 1, idle_timeout: 5 } } as unknown as EndpointSpec));
      const unknownPool = await rejectionOf(client.createEndpoint({ ...ENDPOINT, gpu: { pools: ['ADA_25'] } }));
      const podTemplate = await client.createTemplate({ name: 'pod', image: 'busybox' });
      const notServerless = await rejectionOf(client.createEndpoint({ ...ENDPOINT, templateId: podTemplate.id }));
      const idleOnRequestCount = await rejectionOf(client.createEndpoint({ ...ENDPOINT, scaling: { type: 'REQUEST_COUNT', requestCount: 1 } }));

      expect(snakeCase).toMatchObject({ status: 422, problem: { errors: ["$.workers: additional property 'idle_timeout' is not allowed"] } });
      expect(unknownPool).toMatchObject({ status: 400, message: 'gpu.pools: unknown serverless GPU pool "ADA_25"' });
      expect(notServerless).toMatchObject({ status: 422, message: `template ${podTemplate.id} is not a serverless template` });
      expect(idleOnRequestCount).toMatchObject({ status: 400, message: expect.stringContaining('idleTimeout') });
      expect(cloud.endpoints()).toEqual([]);
    });

    it('answers unknown keys with a 401 problem document, and authenticated answers with RateLimit headers', async () => {
      const refused = await fetch(`${cloud.restBaseUrl}/serverless`, { headers: { authorization: 'Bearer someone-else' } });
      const served = await fetch(`${cloud.restBaseUrl}/serverless`, { headers: { authorization: `Bearer ${API_KEY}` } });

      expect(refused.status).toBe(401);
      expect(refused.headers.get('content-type')).toBe('application/problem+json');
      expect(await refused.json()).toEqual({ title: 'Unauthorized', status: 401, detail: 'invalid bearer token' });
      expect(await served.json()).toEqual({ endpoints: [] });
      expect(served.headers.get('ratelimit')).toMatch(/^"minute";r=\d+;t=\d+$/);
      expect(served.headers.get('ratelimit-policy')).toBe('"minute";q=1000;w=60');
    });
    it('answers a method a path does not take with 405 and Allow, and a body that is not a JSON object with 400', async () => {
      const headers = { authorization: `Bearer ${API_KEY}` };
      const wrongMethod = await fetch(`${cloud.restBaseUrl}/catalog/gpus`, { method: 'POST', headers, body: '{}' });
      const notJson = await fetch(`${cloud.restBaseUrl}/serverless`, { method: 'POST', headers, body: 'name=embedder' });

      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.get('allow')).toBe('GET');
      expect(notJson.status).toBe(400);
      expect(await notJson.json()).toMatchObject({ title: 'Bad Request', detail: 'request body is not a JSON object' });
    });
  });

  describe('the GPU catalogue', () => {
    it('covers every serverless pool by default, with a card outside them', async () => {
      const gpus = await client.listGpuTypes();

      const pools = new Set(gpus.map((gpu) => gpu.pool));
      for (const pool of ['AMPERE_16', 'AMPERE_24', 'ADA_24', 'AMPERE_48', 'ADA_48_PRO', 'AMPERE_80', 'ADA_80_PRO', 'HOPPER_141'])
        expect(pools).toContain(pool);
      expect(gpus.filter((gpu) => gpu.pool === undefined).every((gpu) => gpu.serverlessPricePerHourUsd === undefined)).toBe(true);
      expect(gpus).toHaveLength(DEFAULT_FAKE_GPU_CATALOG.length);
    });

    it('reports stock only when asked, and refuses include=AVAILABILITY without a product as RunPod does', async () => {
      const withStock = await client.listGpuTypes({ availability: true });
      const noProduct = await fetch(`${cloud.restBaseUrl}/catalog/gpus?include=AVAILABILITY`, { headers: { authorization: `Bearer ${API_KEY}` } });

      expect(withStock.map((gpu) => gpu.stockStatus)).toEqual(DEFAULT_FAKE_GPU_CATALOG.map((gpu) => gpu.stock));
      expect(noProduct.status).toBe(400);
      expect(await noProduct.json()).toMatchObject({ detail: expect.stringContaining('product is required') });
    });
  });

  describe('faults', () => {
    it('fails creates for lack of stock in the chosen pools only, as many times as told', async () => {
      cloud.failCreateEndpoint({ pools: ['AMPERE_16', 'AMPERE_24'], times: 2 });

      const noStock = await rejectionOf(client.createEndpoint(ENDPOINT));
      const wider = await client.createEndpoint({ ...ENDPOINT, gpu: { pools: ['AMPERE_24', 'ADA_24'] } });
      const narrower = await rejectionOf(client.createEndpoint({ ...ENDPOINT, gpu: { pools: ['AMPERE_24'] } }));
      const afterwards = await client.createEndpoint(ENDPOINT);

      expect(noStock).toBeInstanceOf(RunPodApiError);
      expect(noStock).toMatchObject({ status: 400 });
      expect(isCapacityError(noStock)).toBe(true);
      expect(isCapacityError(narrower)).toBe(true);
      expect(cloud.endpoints().map((endpoint) => endpoint.id)).toEqual([wider.id, afterwards.id]);
      expect(cloud.requests.map((request) => request.fault)).toEqual(['capacity', undefined, 'capacity', undefined]);
    });

    it('answers injected 429s with Retry-After and an exhausted RateLimit window, and 5xx as told', async () => {
      cloud.injectFault({ status: 429, retryAfterSeconds: 9, paths: /catalog/, times: 1 });
      cloud.injectFault({ status: 503, paths: /serverless/, times: 1 });
      const headers = { authorization: `Bearer ${API_KEY}` };

      const limited = await fetch(`${cloud.restBaseUrl}/catalog/gpus`, { headers });
      const unavailable = await fetch(`${cloud.restBaseUrl}/serverless`, { headers });
      const served = await fetch(`${cloud.restBaseUrl}/serverless`, { headers });

      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('9');
      expect(limited.headers.get('ratelimit')).toBe('"minute";r=0;t=9');
      expect(await limited.json()).toMatchObject({ status: 429, title: 'Too Many Requests' });
      expect(unavailable.status).toBe(503);
      expect(served.status).toBe(200);
    });

    it('delays and hangs the matching paths until cleared', async () => {
      cloud.delay(200, /catalog/);
      const started = Date.now();
      await client.listGpuTypes();
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);

      cloud.clearFaults();
      cloud.hang(/serverless/);
      const hanging = new RunPodRestClient({ apiKey: API_KEY, baseUrl: cloud.restBaseUrl, addressPolicy: LOCAL, timeoutMs: 150, maxAttempts: 1 });
      await expect(hanging.listEndpoints()).rejects.toMatchObject({ name: 'RunPodUnavailableError' });
      expect(cloud.requests.at(-1)?.fault).toBe('hang');
    });
  });

  describe("an endpoint's job API and worker protocol", () => {
    it('runs a job submitted with runsync on a worker speaking the worker protocol, and counts the worker', async () => {
      const endpoint = await client.createEndpoint(ENDPOINT);
      const jobs = new RunPodEndpointClient({ baseUrl: cloud.url, endpointId: endpoint.id, apiKey: API_KEY, addressPolicy: LOCAL });
      const environment = created[0].workerEnvironment('worker-1');

      const answer = jobs.runsync({ text: 'hello' }, { waitMs: 5_000 });
      const take = await fetch(`${environment.RUNPOD_WEBHOOK_GET_JOB.replace('$ID', 'worker-1')}&job_in_progress=0`, {
        headers: { authorization: environment.RUNPOD_AI_API_KEY },
      });
      const job = (await take.json()) as { id: string; input: unknown };
      expect(job.input).toEqual({ text: 'hello' });
      const doneUrl = environment.RUNPOD_WEBHOOK_POST_OUTPUT.replace('$RUNPOD_POD_ID', 'worker-1').replace('$ID', job.id);
      const done = await fetch(doneUrl, {
        method: 'POST',
        headers: { authorization: environment.RUNPOD_AI_API_KEY, 'content-type': 'application/x-www-form-urlencoded' },
        body: JSON.stringify({ output: { vector: [1, 0] } }),
      });

      expect(done.status).toBe(200);
      expect(await answer).toMatchObject({ id: job.id, status: 'COMPLETED', output: { vector: [1, 0] } });
      expect(await client.endpointWorkers(endpoint.id)).toMatchObject({
        idle: 1,
        running: 0,
        total: 1,
        workers: [{ status: 'IDLE', gpuTypeId: 'NVIDIA RTX A4000' }],
      });
    });

    it('answers runsync with the job still queued when no worker takes it in time, and stops serving a deleted endpoint', async () => {
      const endpoint = await client.createEndpoint(ENDPOINT);
      const jobs = new RunPodEndpointClient({ baseUrl: cloud.url, endpointId: endpoint.id, apiKey: API_KEY, addressPolicy: LOCAL });

      expect(await jobs.runsync({ text: 'late' }, { waitMs: 1_000 })).toMatchObject({ id: expect.any(String), status: 'IN_QUEUE' });
      expect(cloud.requests.at(-1)).toMatchObject({
        method: 'POST',
        path: `/v2/${endpoint.id}/runsync`,
        query: { wait: '1000' },
        body: { input: { text: 'late' } },
      });
      await client.deleteEndpoint(endpoint.id);
      await expect(jobs.health()).rejects.toMatchObject({ status: 404 });
    });
  });
});
