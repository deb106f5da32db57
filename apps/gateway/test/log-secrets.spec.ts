import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { deriveWebhookSecret } from '../src/auth/api-key-material';
import { API_KEY, createTestStores, eventually, TEST_REDIS_URL, TEST_SECRET_KEY } from './support/platform';
import { exited, spawnWorkerProcess } from './support/processes';

const GATEWAY_ENTRY = resolve(__dirname, '../dist/index.js');

function freePort(): Promise<number> {
  return new Promise((resolvePort) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** The gateway and a worker in their own processes (built by `npm run build`), every log line captured. */
describe('log lines of a real run', () => {
  let stores: Awaited<ReturnType<typeof createTestStores>>;
  let gateway: ChildProcess;
  let worker: ChildProcess;
  let output = '';
  let baseUrl = '';

  beforeAll(async () => {
    stores = await createTestStores();
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    gateway = spawn(process.execPath, [GATEWAY_ENTRY], {
      env: {
        ...process.env,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_PREFIX: stores.prefix,
        DATABASE_URL: stores.databaseUrl,
        SWITCHYARD_API_KEY: API_KEY,
        SWITCHYARD_SECRET_KEY: TEST_SECRET_KEY,
        WEBHOOK_ALLOW_PRIVATE: 'true',
        WEBHOOK_RETRY_SCALE: '0.001',
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'trace',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    gateway.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    gateway.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(async () => output.includes('"gateway listening"'), 30_000);
    worker = await spawnWorkerProcess(stores.prefix, { LOG_LEVEL: 'trace' });
    worker.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  }, 60_000);

  afterAll(async () => {
    worker?.kill('SIGTERM');
    gateway?.kill('SIGTERM');
    await Promise.all([worker && exited(worker), gateway && exited(gateway)]);
    await stores.cleanup();
  });

  const request = async (method: string, path: string, body?: unknown, authorization = `Bearer ${API_KEY}`) => {
    const response = await fetch(baseUrl + path, {
      method,
      headers: { authorization, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, body: (await response.json()) as any };
  };

  it('holds no key, secret or base64 body', async () => {
    const image = 'data:image/png;base64,' + 'iVBORw0KGgoAAAANSUhEUg'.repeat(400);
    const rawBase64 = 'QmFzZTY0UGF5bG9hZA'.repeat(100);
    const webhookSecret = deriveWebhookSecret(API_KEY);
    // A job whose input carries base64 and secret-named fields, one that fails quoting the key, a
    // webhook that is refused (logged attempts), a wrong key and a created key.
    const done = await request('POST', '/v2/echo/runsync?wait=20000', { input: { image, rawBase64, password: 'hunter2-password' } });
    expect(done.body.status).toBe('COMPLETED');
    const created = await request('POST', '/admin/keys', { name: 'logged' });
    expect(created.status).toBe(201);
    // A handler error quoting a key and a base64 run, as a careless model might.
    const failed = await request('POST', '/v2/echo/runsync?wait=20000', {
      input: { fail: `bad key ${created.body.key} ${rawBase64.slice(0, 400)}` },
      webhook: `${baseUrl}/nowhere`,
    });
    expect(failed.body.status).toBe('FAILED');
    expect((await request('GET', '/v2/echo/health', undefined, 'Bearer sy_wrongwrongwrongwrongwrong')).status).toBe(401);
    await eventually(async () => output.includes('"webhook attempt"'), 20_000);

    expect(output).toContain('"gateway listening"');
    for (const secret of [
      API_KEY,
      webhookSecret,
      created.body.key,
      created.body.webhookSecret,
      'iVBORw0KGgoAAAANSUhEUg',
      'QmFzZTY0UGF5bG9hZA',
      'hunter2-password',
      TEST_SECRET_KEY,
    ]) {
      expect(output.includes(secret) ? secret : 'absent').toBe('absent');
    }
  });
});
