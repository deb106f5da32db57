import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { INestMicroservice } from '@nestjs/common';
import { readinessSecretFor } from '@switchyard/deployments';
import { signWebhook, verifyWebhook } from '@switchyard/outbound';
import { deployerContract, type DeploymentStatus } from '@switchyard/shared';
import { FakeHuggingFaceHub, FakeRunPodCloud, type FakeCloudEndpoint } from '@switchyard/testing';
import { createTestStores, eventually, gatewayConfig, GatewayUnderTest, startWorkerApp, TEST_REDIS_URL } from './support/platform';
import { loadDeployerConfig } from '../../deployer/src/config';
import { DeployerModule } from '../../deployer/src/deployer.module';
import { ApiKeysService } from '../src/auth/api-keys.service';
import { openEventStream, readUntilClosed } from './support/server-sent-events';
import { WebhookReceiver } from './support/webhook-receiver';
import { exited } from './support/processes';

const REPO_ROOT = resolve(__dirname, '../../..');
const TINY_MODELS = resolve(REPO_ROOT, 'models/tiny');
const DEPLOYER_ENTRY = resolve(REPO_ROOT, 'apps/deployer/dist/index.js');
const MODEL = 'sentence-transformers/all-MiniLM-L6-v2';
const GATED_MODEL = 'openai/clip-vit-base-patch32';
/** Known to the Hub by its metadata only: 200 B BF16 parameters, 400 GB of weights, more than any GPU holds. */
const GIANT_MODEL = 'giants/text-to-image-200b';
const RUNPOD_KEY = `rpa_${randomBytes(16).toString('hex')}`;
const HF_TOKEN = `hf_${randomBytes(16).toString('hex')}`;
const JOB_SECRETS_KEY = randomBytes(32).toString('base64');

/** How the fake cloud "starts" an endpoint's worker: our worker app in RunPod mode, or nothing (to script a worker's reports by hand). */
type WorkerStart = 'spawn' | 'none';

describe('deployments: Hugging Face models on RunPod serverless running Switchyard workers', () => {
  let stores: Awaited<ReturnType<typeof createTestStores>>;
  let hub: FakeHuggingFaceHub;
  let cloud: FakeRunPodCloud;
  let gateway: GatewayUnderTest;
  let receiver: WebhookReceiver;
  let deployer: INestMicroservice | undefined;
  let workerStart: WorkerStart = 'spawn';
  const workers: ChildProcess[] = [];
  const workerOutput: string[] = [];

  /** The worker app the endpoint's start command names, run as RunPod runs a container: with the endpoint's environment. */
  function startWorker(endpoint: FakeCloudEndpoint): void {
    if (workerStart === 'none') return;
    const args = String(endpoint.createBody.args ?? '');
    const entry = /^node (apps\/[a-z-]+\/dist\/index\.js)$/.exec(args)?.[1];
    if (!entry) throw new Error(`the endpoint's start command is not a worker app: "${args}"`);
    const child = spawn(process.execPath, [resolve(REPO_ROOT, entry)], {
      env: {
        PATH: process.env.PATH,
        ...endpoint.workerEnvironment(`worker-${randomBytes(3).toString('hex')}`),
        MODEL_DIR: TINY_MODELS,
        HF_HUB_OFFLINE: 'true',
        HEALTH_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const index = workerOutput.push('') - 1;
    child.stdout!.on('data', (chunk: Buffer) => (workerOutput[index] += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (workerOutput[index] += chunk.toString()));
    workers.push(child);
  }

  const deployerEnvironment = () => ({
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: stores.prefix,
    JOB_SECRETS_KEY,
    RUNPOD_REST_URL: cloud.restBaseUrl,
    RUNPOD_JOB_API_URL: cloud.url,
    RUNPOD_ALLOW_PRIVATE: 'true',
    HF_ENDPOINT: hub.url,
    DEPLOYER_CALLBACK_URL: gateway.baseUrl,
    DEPLOYER_READY_POLL_MS: '200',
    DEPLOYER_READY_TIMEOUT_MS: '60000',
    DEPLOYER_HEALTH_CHECK_WAIT_MS: '5000',
  });

  const startDeployer = (options: { stalledIntervalMs?: number } = {}) =>
    startWorkerApp(DeployerModule.register(loadDeployerConfig(deployerEnvironment())), [deployerContract], stores.prefix, options);

  beforeAll(async () => {
    stores = await createTestStores();
    hub = await FakeHuggingFaceHub.start({
      reposDir: TINY_MODELS,
      repoSettings: {
        [MODEL]: { pipelineTag: 'sentence-similarity', library: 'sentence-transformers' },
        [GATED_MODEL]: { gated: 'manual', pipelineTag: 'zero-shot-image-classification', grantedTokens: [HF_TOKEN] },
        [GIANT_MODEL]: { pipelineTag: 'text-to-image', library: 'diffusers', safetensorsParameters: { BF16: 200e9 } },
      },
    });
    cloud = await FakeRunPodCloud.start({ apiKeys: [RUNPOD_KEY], onEndpointCreated: startWorker });
    receiver = await WebhookReceiver.start();
    gateway = await GatewayUnderTest.start(
      gatewayConfig({
        REDIS_PREFIX: stores.prefix,
        DATABASE_URL: stores.databaseUrl,
        JOB_SECRETS_KEY,
        RUNPOD_REST_URL: cloud.restBaseUrl,
        RUNPOD_JOB_API_URL: cloud.url,
        RUNPOD_ALLOW_PRIVATE: 'true',
        HF_ENDPOINT: hub.url,
        // The router hears of a deployment that becomes ready, or starts its delete, from its announcement: never from the periodic read.
        DEPLOYMENT_BACKENDS_REFRESH_MS: '3600000',
        REMOTE_HEALTH_INTERVAL_MS: '200',
        ROUTING_SAMPLE_MS: '100',
      }),
    );
    deployer = await startDeployer();
  }, 60_000);

  afterAll(async () => {
    for (const worker of workers) worker.kill('SIGKILL');
    await deployer?.close();
    await gateway?.close();
    await Promise.all([cloud?.close(), hub?.close(), receiver?.close()]);
    await stores?.cleanup();
  });

  afterEach(() => {
    workerStart = 'spawn';
    cloud.clearFaults();
  });

  const deploy = (body: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    gateway.request('POST', '/v1/deployments', { hf_model_id: MODEL, user_runpod_key: RUNPOD_KEY, ...body }, headers);

  /** What a deployed worker posts to its readiness callback, signed as the deployer's workers sign it. */
  function reportFromWorker(id: string, report: { status: string; message?: string }): Promise<Response> {
    const body = JSON.stringify(report);
    const headers = signWebhook({
      id: `report-${randomBytes(4).toString('hex')}`,
      timestamp: Math.floor(Date.now() / 1000),
      body,
      secrets: readinessSecretFor(Buffer.from(JOB_SECRETS_KEY, 'base64'), id),
    });
    return fetch(`${gateway.baseUrl}/v1/deployments/${id}/ready`, { method: 'POST', headers: { ...headers, 'content-type': 'text/plain' }, body });
  }

  async function untilStatus(id: string, statuses: readonly DeploymentStatus[], timeoutMs = 60_000) {
    return eventually(
      async () => {
        const { body } = await gateway.request('GET', `/v1/deployments/${id}`);
        return statuses.includes(body.status) && body;
      },
      timeoutMs,
      100,
    );
  }

  describe('a full deployment', () => {
    let deploymentId: string;
    let ready: any;

    beforeAll(async () => {
      const accepted = await deploy({ user_webhook_url: receiver.url, gpu_tier: 'A10' });
      expect(accepted.status).toBe(202);
      deploymentId = accepted.body.deployment_id;
      ready = await untilStatus(deploymentId, ['ready', 'failed']);
    }, 90_000);

    it('answers 202 with the seed’s fields and a dep_YYYY_<8 hex> id', async () => {
      expect(deploymentId).toMatch(new RegExp(`^dep_${new Date().getUTCFullYear()}_[0-9a-f]{8}$`));
      expect(ready).toMatchObject({ status: 'ready', model_id: MODEL, endpoint: 'embedder', cache_scope: 'off', gpu_tier: 'A10' });
      expect(ready.endpoint_url).toBe(`${cloud.url}/v2/${ready.runpod_endpoint_id}/run`);
      expect(ready.phase_durations).toEqual(
        expect.objectContaining({
          validating: expect.any(Number),
          selecting_gpu: expect.any(Number),
          creating_endpoint: expect.any(Number),
          loading_model: expect.any(Number),
        }),
      );
      expect(ready.ready_at).not.toBeNull();
    });

    it('creates the endpoint with RunPod’s camelCase fields, Switchyard’s worker image and only what the worker needs', () => {
      const endpoint = cloud.endpoints().find((candidate) => candidate.id === ready.runpod_endpoint_id)!;
      expect(endpoint.createBody).toMatchObject({
        name: `switchyard-${deploymentId}`,
        type: 'QUEUE',
        args: 'node apps/embedder/dist/index.js',
        gpu: { pools: [ready.gpu_pool] },
        workers: { min: 0, max: 3, idleTimeout: 120 },
        scaling: { type: 'QUEUE_DELAY', queueDelay: 4 },
        flashboot: 'FLASHBOOT',
        timeout: 600_000,
      });
      // gpu_tier A10 is the AMPERE_24 pool.
      expect(ready.gpu_pool).toBe('AMPERE_24');
      const env = endpoint.createBody.env as Record<string, string>;
      expect(env).toMatchObject({ WORKER_MODE: 'runpod', WORKER_QUEUES: 'embedder', EMBEDDER_MINILM_REPO: MODEL, SWITCHYARD_DEPLOYMENT_ID: deploymentId });
      expect(JSON.stringify(env)).not.toContain(RUNPOD_KEY);
      expect(Object.keys(env)).not.toEqual(expect.arrayContaining(['REDIS_URL', 'JOB_SECRETS_KEY', 'DATABASE_URL']));
    });

    it('signs the seed’s deployment_ready webhook with the owner’s secret', async () => {
      const delivery = await eventually(async () => receiver.received.find((hook) => hook.body.includes(deploymentId)));
      const body = JSON.parse(delivery.body);
      expect(body).toMatchObject({
        event: 'deployment_ready',
        deployment_id: deploymentId,
        status: 'ready',
        endpoint_url: ready.endpoint_url,
        runpod_endpoint_id: ready.runpod_endpoint_id,
        model_id: MODEL,
        usage_example: {
          method: 'POST',
          url: ready.endpoint_url,
          headers: { Authorization: 'Bearer YOUR_RUNPOD_API_KEY' },
          body: { input: { text: expect.any(String) } },
        },
      });
      expect(body.duration_seconds).toBeGreaterThan(0);
      const secret = (await gateway.app.get(ApiKeysService).webhookSecretFor(undefined))!;
      expect(() => verifyWebhook({ headers: delivery.headers, body: delivery.body, secrets: secret })).not.toThrow();
    });

    it('serves jobs through the deployment’s endpoint_url with RunPod’s job API', async () => {
      const response = await fetch(ready.endpoint_url.replace(/\/run$/, '/runsync'), {
        method: 'POST',
        headers: { authorization: `Bearer ${RUNPOD_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ input: { text: 'hello from RunPod' } }),
      });
      const answer = (await response.json()) as { status: string; output: { model: string; dimensions: number; vector: number[] } };
      expect(answer.status).toBe('COMPLETED');
      expect(answer.output).toMatchObject({ model: expect.stringContaining('MiniLM'), dimensions: expect.any(Number) });
      expect(answer.output.vector).toHaveLength(answer.output.dimensions);
    });

    it('streams its statuses and logs as server-sent events', async () => {
      const statuses = await readUntilClosed(await openEventStream({ gateway }, `/v1/deployments/${deploymentId}/stream`));
      expect(statuses.map((event) => event.event)).toEqual(statuses.map(() => 'status'));
      expect(statuses.map((event) => event.data.status)).toEqual(['validating', 'selecting_gpu', 'creating_endpoint', 'loading_model', 'ready']);
      const logs = await readUntilClosed(await openEventStream({ gateway }, `/v1/deployments/${deploymentId}/logs/stream`));
      expect(logs.map((event) => event.data.message)).toEqual(expect.arrayContaining([expect.stringMatching(/^Created endpoint /), 'Health check passed']));
    });

    it('lists the project’s deployments, with the GPUs and the cost', async () => {
      const { body: list } = await gateway.request('GET', '/v1/deployments');
      expect(list.deployments.map((entry: { deployment_id: string }) => entry.deployment_id)).toContain(deploymentId);
      const { body: cost } = await gateway.request('GET', `/v1/deployments/${deploymentId}/cost`);
      expect(cost).toMatchObject({ deployment_id: deploymentId, price_per_hour_usd: ready.price_per_hour_usd, maxHourlyUsd: ready.price_per_hour_usd * 3 });
      const { body: gpus } = await gateway.request('GET', '/v1/deployments/gpus?min_vram_gb=40', undefined, { 'x-runpod-api-key': RUNPOD_KEY });
      expect(gpus.source).toBe('catalog');
      expect(gpus.candidates.every((candidate: { memoryGb: number }) => candidate.memoryGb >= 40)).toBe(true);
      const prices = gpus.candidates.map((candidate: { pricePerHourUsd: number }) => candidate.pricePerHourUsd);
      expect(prices).toEqual([...prices].sort((a, b) => a - b));
    });

    it('overflows the project’s embedder jobs to the deployment when no local worker can take them', async () => {
      // No local embedder worker runs in this test: local refuses for want of workers, and the deployment serves.
      const { body } = await gateway.request('POST', '/v2/embedder/runsync?wait=30000', { input: { text: 'routed to RunPod' } });
      expect(body.status).toBe('COMPLETED');
      expect(body.output.dimensions).toBeGreaterThan(0);
      const row = await gateway.database.prisma.job.findUnique({ where: { id: body.id } });
      expect(row).toMatchObject({
        backend: `deployment:${deploymentId}`,
        routeNote: expect.stringMatching(`^overflow to deployment ${deploymentId}, as local: `),
      });
    });

    it('keeps every secret sealed: never in the database, the job record, the answers or the endpoint', async () => {
      const tables = await gateway.database.prisma.$queryRawUnsafe<{ dump: string }[]>(
        `SELECT (SELECT coalesce(json_agg(d), '[]')::text FROM deployments d) || (SELECT coalesce(json_agg(j), '[]')::text FROM jobs j) || (SELECT coalesce(json_agg(e), '[]')::text FROM job_events e) AS dump`,
      );
      expect(tables[0].dump).toContain(deploymentId);
      expect(tables[0].dump).not.toContain(RUNPOD_KEY);
      const { body } = await gateway.request('GET', `/v1/deployments/${deploymentId}`);
      expect(JSON.stringify(body)).not.toContain(RUNPOD_KEY);
      expect(workerOutput.join('')).not.toContain(RUNPOD_KEY);
    });

    it('deletes: scales to zero, deletes the endpoint, leaves the router; a second delete is 404', async () => {
      expect((await gateway.request('DELETE', `/v1/deployments/${deploymentId}`)).status).toBe(204);
      await untilStatus(deploymentId, ['deleted']);
      const endpoint = cloud.endpoints().find((candidate) => candidate.id === ready.runpod_endpoint_id)!;
      expect(endpoint.deleted).toBe(true);
      const patch = cloud.requests.find((request) => request.method === 'PATCH' && request.path.endsWith(endpoint.id));
      expect(patch?.body).toMatchObject({ workers: { min: 0, max: 0 } });
      const again = await gateway.request('DELETE', `/v1/deployments/${deploymentId}`);
      expect(again.status).toBe(404);
      expect(again.body).toMatchObject({ error: 'DEPLOYMENT_NOT_FOUND', details: { field: 'deployment_id' } });
    });
  });

  it('moves to the next GPU on RunPod’s capacity errors', async () => {
    cloud.failCreateEndpoint({ pools: ['AMPERE_16'], times: 1 });
    const accepted = await deploy();
    const ready = await untilStatus(accepted.body.deployment_id, ['ready', 'failed']);
    expect(ready.status).toBe('ready');
    const creates = cloud.requests.filter(
      (request) => request.method === 'POST' && request.path === '/v2/serverless' && JSON.stringify(request.body).includes(accepted.body.deployment_id),
    );
    expect(creates.map((request) => (request.body as { gpu: { pools: string[] } }).gpu.pools[0])).toEqual(['AMPERE_16', ready.gpu_pool]);
    expect(ready.gpu_pool).not.toBe('AMPERE_16');
    await gateway.request('DELETE', `/v1/deployments/${accepted.body.deployment_id}`);
    await untilStatus(accepted.body.deployment_id, ['deleted']);
  }, 90_000);

  it('fails a deployment whose worker reports a failure, and deletes what it created', async () => {
    workerStart = 'none';
    const accepted = await deploy({ user_webhook_url: receiver.url });
    const id = accepted.body.deployment_id;
    await untilStatus(id, ['loading_model']);
    const report = await reportFromWorker(id, { status: 'failed', message: 'CUDA out of memory' });
    expect(report.status).toBe(204);
    const failed = await untilStatus(id, ['failed']);
    expect(failed.error).toContain('CUDA out of memory');
    expect(cloud.endpoints().find((endpoint) => endpoint.name === `switchyard-${id}`)?.deleted).toBe(true);
    const hook = await eventually(async () => receiver.received.find((delivery) => delivery.body.includes(id)));
    expect(JSON.parse(hook.body)).toMatchObject({ event: 'deployment_failed', deployment_id: id, status: 'failed' });
  }, 90_000);

  it('resolves the seed’s model_name to the Hub id of a known model', async () => {
    const accepted = await deploy({ hf_model_id: undefined, model_name: 'all-minilm-l6-v2', provider: 'huggingface' });
    expect(accepted).toMatchObject({ status: 202, body: { model_id: MODEL } });
    await untilStatus(accepted.body.deployment_id, ['ready', 'failed']);
    await gateway.request('DELETE', `/v1/deployments/${accepted.body.deployment_id}`);
    await untilStatus(accepted.body.deployment_id, ['deleted']);
  }, 90_000);

  it('becomes webhook_failed when the user’s webhook fails for good', async () => {
    const gone = await WebhookReceiver.start([410]);
    try {
      const accepted = await deploy({ user_webhook_url: gone.url });
      const failed = await untilStatus(accepted.body.deployment_id, ['webhook_failed']);
      expect(failed.endpoint_url).toBeTruthy();
      expect(gone.received).toHaveLength(1);
      await gateway.request('DELETE', `/v1/deployments/${accepted.body.deployment_id}`);
      await untilStatus(accepted.body.deployment_id, ['deleted']);
    } finally {
      await gone.close();
    }
  }, 90_000);

  it('gives the workers a private model cache under the project’s prefix, its keys sealed on the way', async () => {
    const secretAccessKey = `aws-secret-${randomBytes(8).toString('hex')}`;
    const accepted = await deploy({
      cache_scope: 'private',
      user_s3_url: 's3://team-models/switchyard',
      user_aws_access_key_id: 'AKIATEAM',
      user_aws_secret_access_key: secretAccessKey,
      user_aws_endpoint_url: 'https://r2.example.com',
    });
    expect(accepted.status).toBe(202);
    const id = accepted.body.deployment_id;
    const ready = await untilStatus(id, ['ready', 'failed']);
    const env = cloud.endpoints().find((endpoint) => endpoint.id === ready.runpod_endpoint_id)!.createBody.env as Record<string, string>;
    expect(env).toMatchObject({
      MODEL_S3_BUCKET: 'team-models',
      MODEL_S3_PREFIX: 'switchyard/default',
      S3_ENDPOINT: 'https://r2.example.com',
      AWS_ACCESS_KEY_ID: 'AKIATEAM',
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
    });
    const row = await gateway.database.prisma.deployment.findUnique({ where: { id } });
    const job = await gateway.database.prisma.job.findUnique({ where: { id: row!.jobId } });
    expect(JSON.stringify([row, job])).not.toContain(secretAccessKey);
    expect(job!.input).toMatchObject({ cache: { scope: 'private', bucket: 'team-models', prefix: 'switchyard/default' } });
    await gateway.request('DELETE', `/v1/deployments/${id}`);
    await untilStatus(id, ['deleted']);
  }, 90_000);

  it('refuses readiness callbacks that are not signed with the deployment’s secret', async () => {
    const body = JSON.stringify({ status: 'ready' });
    const headers = signWebhook({
      id: 'forged',
      timestamp: Math.floor(Date.now() / 1000),
      body,
      secrets: readinessSecretFor(randomBytes(32), 'dep_2026_00000000'),
    });
    const answer = await fetch(`${gateway.baseUrl}/v1/deployments/dep_2026_00000000/ready`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'text/plain' },
      body,
    });
    expect(answer.status).toBe(401);
  });

  /** The deployer app in its own process (built by `npm run build`), in place of the in-process one; its output is kept. */
  async function spawnDeployer(env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
    if (!existsSync(DEPLOYER_ENTRY)) throw new Error(`${DEPLOYER_ENTRY} is missing: run \`npm run build\` first`);
    await deployer?.close();
    deployer = undefined;
    const child = spawn(process.execPath, [DEPLOYER_ENTRY], { env: { ...process.env, ...deployerEnvironment(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return { child, output: () => output };
  }

  /** Waits for the deployment's status, failing at once should the deployer process die. */
  async function untilStatusWith(spawned: { child: ChildProcess; output: () => string }, id: string, status: DeploymentStatus) {
    await eventually(async () => {
      if (spawned.child.exitCode !== null) throw new Error(`the deployer exited with ${spawned.child.exitCode}: ${spawned.output()}`);
      return (await gateway.request('GET', `/v1/deployments/${id}`)).body.status === status;
    }, 30_000);
  }

  it('never logs a RunPod key or a Hugging Face token, even at debug level', async () => {
    workerStart = 'none';
    const spawned = await spawnDeployer({ LOG_LEVEL: 'debug' });
    try {
      const accepted = await deploy({ hf_model_id: GATED_MODEL, hf_token: HF_TOKEN });
      const id = accepted.body.deployment_id;
      await untilStatusWith(spawned, id, 'loading_model');
      await reportFromWorker(id, { status: 'failed', message: 'no GPU memory left' });
      await untilStatusWith(spawned, id, 'failed');
      // The deployment's own log lines arrive (its failure; the logger flushes every half second), and no secret is among them.
      await eventually(async () => spawned.output().includes('no GPU memory left'));
      expect(spawned.output()).not.toContain(RUNPOD_KEY);
      expect(spawned.output()).not.toContain(HF_TOKEN);
    } finally {
      spawned.child.kill('SIGKILL');
      deployer ??= await startDeployer();
    }
  }, 60_000);

  it('resumes a deployment whose deployer was killed mid-deployment, without a second endpoint', async () => {
    workerStart = 'none';
    const spawned = await spawnDeployer({ WORKER_STALLED_INTERVAL_MS: '1000', WORKER_LOCK_DURATION_MS: '1000', LOG_LEVEL: 'warn' });
    const child = spawned.child;
    try {
      const accepted = await deploy();
      const id = accepted.body.deployment_id;
      await untilStatusWith(spawned, id, 'loading_model');
      child.kill('SIGKILL');
      await exited(child);
      // The endpoint's worker comes up while no deployer watches; the next deployer finds the endpoint by name.
      workerStart = 'spawn';
      startWorker(cloud.endpoints().find((endpoint) => endpoint.name === `switchyard-${id}`)!);
      deployer = await startDeployer({ stalledIntervalMs: 1_000 });
      const ready = await untilStatus(id, ['ready', 'failed'], 60_000);
      expect(ready.status).toBe('ready');
      expect(cloud.endpoints().filter((endpoint) => endpoint.name === `switchyard-${id}`)).toHaveLength(1);
      await gateway.request('DELETE', `/v1/deployments/${id}`);
      await untilStatus(id, ['deleted']);
    } finally {
      child.kill('SIGKILL');
      deployer ??= await startDeployer();
    }
  }, 120_000);

  describe('bad input: the seed’s error shapes, and nothing created on RunPod', () => {
    let endpointsBefore: number;
    beforeEach(() => (endpointsBefore = cloud.endpoints().length));
    afterEach(() => expect(cloud.endpoints().length).toBe(endpointsBefore));

    it.each([
      [{ hf_model_id: 'nobody/no-such-model' }, 404, 'HF_MODEL_NOT_FOUND', 'hf_model_id'],
      [{ hf_model_id: GATED_MODEL }, 403, 'HF_MODEL_GATED', 'hf_token'],
      [{ user_runpod_key: 'rpa_wrong' }, 401, 'RUNPOD_UNAUTHORIZED', 'user_runpod_key'],
      [{ gpu_tier: 'TPU-v5' }, 400, 'INVALID_DEPLOYMENT_REQUEST', 'gpu_tier'],
      [{ hf_model_id: GIANT_MODEL }, 503, 'RUNPOD_INSUFFICIENT_GPU', undefined],
      [{ hf_model_id: undefined, model_name: 'no-such-name' }, 400, 'INVALID_DEPLOYMENT_REQUEST', 'model_name'],
      [{ hf_model_id: undefined, model_name: 'sd-turbo', provider: 'fal' }, 400, 'INVALID_DEPLOYMENT_REQUEST', 'provider'],
      [{ cache_scope: 'private' }, 400, 'INVALID_DEPLOYMENT_REQUEST', 'user_s3_url'],
      [{ cache_scope: 'shared' }, 400, 'INVALID_DEPLOYMENT_REQUEST', 'cache_scope'],
      [{ hf_model_id: undefined }, 400, 'INVALID_DEPLOYMENT_REQUEST', 'hf_model_id'],
      [{ user_runpod_key: undefined }, 400, 'INVALID_DEPLOYMENT_REQUEST', 'user_runpod_key'],
      [{ workers_max: 5 }, 400, 'INVALID_DEPLOYMENT_REQUEST', 'workers_max'],
    ])('%j → %i %s naming %s', async (fields, status, error, field) => {
      const answer = await deploy(fields);
      expect(answer.status).toBe(status);
      expect(answer.body).toMatchObject({ error, message: expect.any(String), details: field === undefined ? {} : { field } });
    });

    it('refuses webhook URLs at internal addresses, unless the platform allows them', async () => {
      const strict = await GatewayUnderTest.start(
        gatewayConfig({ REDIS_PREFIX: stores.prefix, DATABASE_URL: stores.databaseUrl, JOB_SECRETS_KEY, WEBHOOK_ALLOW_PRIVATE: 'false', GATEWAY_ROLES: 'api' }),
      );
      try {
        for (const url of ['http://127.0.0.1:9/hook', 'http://169.254.169.254/latest/meta-data', 'http://localhost/hook']) {
          const answer = await strict.request('POST', '/v1/deployments', { hf_model_id: MODEL, user_runpod_key: RUNPOD_KEY, user_webhook_url: url });
          expect(answer).toMatchObject({ status: 400, body: { error: 'INVALID_DEPLOYMENT_REQUEST', details: { field: 'user_webhook_url' } } });
        }
      } finally {
        await strict.close();
      }
    });

    it('takes the RunPod key from X-Runpod-Api-Key, as seed clients send it', async () => {
      const answer = await deploy({ user_runpod_key: undefined, hf_model_id: 'nobody/no-such-model' }, { 'x-runpod-api-key': RUNPOD_KEY });
      expect(answer.status).toBe(404);
    });

    it('gives a gated model to a token the Hub grants', async () => {
      const accepted = await deploy({ hf_model_id: GATED_MODEL, hf_token: HF_TOKEN });
      expect(accepted.status).toBe(202);
      await gateway.request('DELETE', `/v1/deployments/${accepted.body.deployment_id}`);
      await untilStatus(accepted.body.deployment_id, ['deleted']);
      endpointsBefore = cloud.endpoints().length;
    }, 90_000);

    it('answers 401 without a Switchyard key, and 404 for an unknown or another project’s deployment', async () => {
      const anonymous = await fetch(`${gateway.baseUrl}/v1/deployments`, { headers: {} });
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toMatchObject({ error: 'UNAUTHORIZED' });
      const unknown = await gateway.request('GET', '/v1/deployments/dep_2026_deadbeef');
      expect(unknown).toMatchObject({ status: 404, body: { error: 'DEPLOYMENT_NOT_FOUND' } });
      expect((await gateway.request('DELETE', '/v1/deployments/dep_2026_deadbeef')).status).toBe(404);
    });

    it('fails the deployment with RunPod’s answer when creating its endpoint keeps failing', async () => {
      cloud.injectFault({ status: 500, paths: /\/v2\/serverless$/ });
      const failing = await deploy();
      expect(failing.status).toBe(202);
      const failed = await untilStatus(failing.body.deployment_id, ['failed']);
      expect(failed.error).toMatch(/RunPod|500/);
    }, 60_000);
  });
});
