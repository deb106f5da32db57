import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { startFakeServerlessEndpoint } from '@switchyard/testing';

/** The app as `npm run build` leaves it (the test script builds before it runs the tests). */
const WORKER_ENTRY = resolve(__dirname, '../dist/index.js');
const TINY_MODELS = resolve(__dirname, '../../../models/tiny');
const WORKER_KEY = 'rp-worker-key-that-must-never-be-logged';
/** Nothing listens there: in RunPod mode the worker must not need Redis. */
const UNREACHABLE_REDIS = 'redis://127.0.0.1:1';

type Endpoint = Awaited<ReturnType<typeof startFakeServerlessEndpoint>>;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as { port: number };
  await new Promise((closed) => server.close(closed));
  return port;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolveExit) => child.once('exit', (code) => resolveExit(code)));
}

/** The detector worker app in its own process, with the environment RunPod gives a serverless worker. */
function spawnWorker(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  if (!existsSync(WORKER_ENTRY)) throw new Error(`${WORKER_ENTRY} is missing: run \`npm run build\` first`);
  let output = '';
  const child = spawn(process.execPath, [WORKER_ENTRY], {
    env: {
      ...process.env,
      REDIS_URL: UNREACHABLE_REDIS,
      WORKER_MODE: 'runpod',
      WORKER_QUEUES: 'echo',
      LOG_LEVEL: 'debug',
      MODEL_DIR: TINY_MODELS,
      HF_HUB_OFFLINE: 'true',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

async function untilReady(worker: ReturnType<typeof spawnWorker>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!worker.output().includes('"worker ready"')) {
    if (worker.child.exitCode !== null) throw new Error(`worker exited with ${worker.child.exitCode}: ${worker.output()}`);
    if (Date.now() > deadline) throw new Error(`worker did not start: ${worker.output()}`);
    await new Promise((wait) => setTimeout(wait, 50));
  }
}

describe('the detector worker app with WORKER_MODE=runpod', () => {
  let endpoint: Endpoint;
  let worker: ReturnType<typeof spawnWorker> | undefined;

  beforeEach(async () => {
    endpoint = await startFakeServerlessEndpoint({
      endpointId: 'ep-child',
      userKeys: ['user-key'],
      workerKey: WORKER_KEY,
      pingIntervalMs: 500,
      longPollMs: 500,
    });
  });

  afterEach(async () => {
    if (worker && worker.child.exitCode === null && worker.child.signalCode === null) {
      worker.child.kill('SIGKILL');
      await exited(worker.child);
    }
    worker = undefined;
    await endpoint.close();
  });

  const call = async (method: string, path: string, body?: unknown): Promise<any> =>
    (
      await fetch(`${endpoint.url}/v2/ep-child/${path}`, {
        method,
        headers: { Authorization: 'Bearer user-key', 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    ).json();

  it('takes the endpoint’s jobs without Redis, serves /health, finishes its job on SIGTERM and never logs its key', async () => {
    const healthPort = await freePort();
    worker = spawnWorker({ ...endpoint.queue.workerEnvironment(endpoint.url, 'pod-child'), HEALTH_PORT: String(healthPort) });
    await untilReady(worker);

    const completed = await call('POST', 'runsync?wait=20000', { input: { hello: 'runpod' } });
    const health = await fetch(`http://127.0.0.1:${healthPort}/health`);
    const { id: running } = await call('POST', 'run', { input: { sleep_ms: 800 } });
    const deadline = Date.now() + 10_000;
    while ((await call('GET', `status/${running}`)).status !== 'IN_PROGRESS' && Date.now() < deadline) await new Promise((wait) => setTimeout(wait, 20));
    worker.child.kill('SIGTERM');
    await exited(worker.child);

    expect(completed).toMatchObject({ status: 'COMPLETED', workerId: 'pod-child', output: { echo: { hello: 'runpod' } } });
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ready: true, mode: 'runpod', queues: ['echo'] });
    expect(await call('GET', `status/${running}`)).toMatchObject({ status: 'COMPLETED', output: { echo: { sleep_ms: 800 } } });
    expect(worker.output()).not.toContain(WORKER_KEY);
  });

  it('refuses to start without RunPod’s environment, naming what is missing', async () => {
    worker = spawnWorker({});

    expect(await exited(worker.child)).toBe(1);
    expect(worker.output()).toMatch(/RUNPOD_WEBHOOK_GET_JOB/);
    expect(worker.output()).toMatch(/WORKER_MODE=runpod/);
  });
});
