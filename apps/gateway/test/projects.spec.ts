import { RedisKeys } from '@switchyard/shared';
import { randomUUID } from 'node:crypto';
import { Controller, Get } from '@nestjs/common';
import { ApiKeyManager } from '../src/auth/api-key-manager';
import { EmbedderWorkerUnderTest, eventually, gatewayConfig, GatewayUnderTest, startTestPlatform, type TestPlatform } from './support/platform';

/** A controller as a newcomer might add it: no access declared on it or its route. */
@Controller('undeclared')
class UndeclaredController {
  @Get()
  secret() {
    return { secret: 'nobody should read this without an admin key' };
  }
}

type Caller = { key: string };
const bearer = (caller: Caller) => ({ authorization: `Bearer ${caller.key}` });

/**
 * Two projects and the three kinds of key (read_write, read_only, restricted) against each other's
 * jobs, on every /v2 call and /v1/embeddings: every refusal, and every call that is allowed.
 */
describe('projects and key permissions', () => {
  let platform: TestPlatform;
  let gateway: GatewayUnderTest;
  let worker: EmbedderWorkerUnderTest | undefined;
  let manager: ApiKeyManager;
  let alpha: { rw: Caller; ro: Caller; restricted: Caller };
  let beta: { rw: Caller };

  const call = (caller: Caller, method: string, path: string, body?: unknown) => gateway.request(method, path, body, bearer(caller));
  const runsync = (caller: Caller, input: Record<string, unknown>) => call(caller, 'POST', '/v2/echo/runsync?wait=20000', { input });

  beforeAll(async () => {
    platform = await startTestPlatform({ echoWorker: false, config: { RATE_LIMIT_MULTIPLIER: '100' } });
    gateway = platform.gateway;
    // Serves the embedder's queue and the echo queue.
    worker = await EmbedderWorkerUnderTest.start(platform.stores.prefix);
    manager = gateway.app.get(ApiKeyManager);
    await manager.createProject('alpha');
    await manager.createProject('beta');
    alpha = {
      rw: await manager.create({ name: 'alpha-rw', projectId: 'alpha' }),
      ro: await manager.create({ name: 'alpha-ro', projectId: 'alpha', permission: 'read_only' }),
      restricted: await manager.create({ name: 'alpha-echo', projectId: 'alpha', permission: 'restricted', endpoints: ['echo'] }),
    };
    beta = { rw: await manager.create({ name: 'beta-rw', projectId: 'beta' }) };
  }, 120_000);

  afterAll(async () => {
    await worker?.close();
    await platform.close();
  });

  /** What an id that never existed answers, with the id swapped for `id`: the bar for other projects' jobs. */
  async function unknownJobAnswer(caller: Caller, method: string, route: string, id: string) {
    const unknown = randomUUID();
    const response = await call(caller, method, `/v2/echo/${route}/${unknown}`);
    return { status: response.status, body: JSON.parse(JSON.stringify(response.body).replaceAll(unknown, id)) };
  }

  it("answers another project's jobs exactly like unknown ids, on every job call", async () => {
    const done = await runsync(alpha.rw, { tag: 'alpha' });
    expect(done.body.status).toBe('COMPLETED');
    const failed = await runsync(alpha.rw, { fail: 'on purpose' });
    expect(failed.body.status).toBe('FAILED');
    const calls: [string, string, string][] = [
      ['GET', 'status', done.body.id],
      ['GET', 'status-sync', done.body.id],
      ['GET', 'stream', done.body.id],
      ['POST', 'cancel', done.body.id],
      ['POST', 'retry', failed.body.id],
    ];
    for (const [method, route, id] of calls) {
      const expected = await unknownJobAnswer(beta.rw, method, route, id);
      expect(expected.status).toBe(404);
      const answer = await call(beta.rw, method, `/v2/echo/${route}/${id}`);
      expect({ status: answer.status, body: answer.body }).toEqual(expected);
    }
    // Once the job lives only in Postgres, the answer is the same. Its own project's keys see it
    // there, once the recorder has written its end (the row may still say IN_QUEUE before), and retry it.
    await platform.stores.redis.del(new RedisKeys(platform.stores.prefix).queue('echo').jobView(done.body.id));
    await eventually(async () => (await call(alpha.ro, 'GET', `/v2/echo/status/${done.body.id}`)).body.status === 'COMPLETED');
    expect((await call(beta.rw, 'GET', `/v2/echo/status/${done.body.id}`)).body).toEqual((await unknownJobAnswer(beta.rw, 'GET', 'status', done.body.id)).body);
    expect((await call(alpha.rw, 'POST', `/v2/echo/retry/${failed.body.id}`)).body).toEqual({ id: failed.body.id, status: 'IN_QUEUE' });
  });

  it('lets a read-only key read (status, status-sync, stream, health) and nothing else', async () => {
    const running = await call(alpha.rw, 'POST', '/v2/echo/run', { input: { sleep_ms: 60_000 } });
    const id = running.body.id as string;
    expect((await call(alpha.ro, 'GET', `/v2/echo/status/${id}`)).status).toBe(200);
    expect((await call(alpha.ro, 'GET', `/v2/echo/status-sync/${id}?wait=1000`)).status).toBe(200);
    expect((await call(alpha.ro, 'GET', `/v2/echo/stream/${id}`)).status).toBe(200);
    expect((await call(alpha.ro, 'GET', '/v2/echo/health')).status).toBe(200);
    for (const [method, path] of [
      ['POST', '/v2/echo/run'],
      ['POST', '/v2/echo/runsync'],
      ['POST', `/v2/echo/cancel/${id}`],
      ['POST', `/v2/echo/retry/${id}`],
      ['POST', '/v2/echo/purge-queue'],
    ]) {
      const refused = await call(alpha.ro, method, path, method === 'POST' && path.endsWith('run') ? { input: {} } : undefined);
      expect([path, refused.status, refused.body.code]).toEqual([path, 403, 'forbidden']);
    }
    // Another project's key cannot cancel it either; its own read-write key can.
    expect((await call(beta.rw, 'POST', `/v2/echo/cancel/${id}`)).status).toBe(404);
    expect((await call(alpha.rw, 'POST', `/v2/echo/cancel/${id}`)).body).toEqual({ id, status: 'CANCELLED' });
  });

  it('holds a restricted key to its endpoints, for reads and writes', async () => {
    const own = await runsync(alpha.restricted, { tag: 'restricted' });
    expect(own.body.status).toBe('COMPLETED');
    expect((await call(alpha.rw, 'GET', `/v2/echo/status/${own.body.id}`)).body.status).toBe('COMPLETED');
    expect((await call(alpha.restricted, 'GET', '/v2/echo/health')).status).toBe(200);
    for (const [method, path] of [
      ['POST', '/v2/embedder/run'],
      ['GET', '/v2/embedder/health'],
      ['POST', '/v2/embedder/purge-queue'],
    ]) {
      const refused = await call(alpha.restricted, method, path, method === 'POST' && path.endsWith('run') ? { input: { text: 'x' } } : undefined);
      expect([path, refused.status]).toEqual([path, 403]);
    }
    const embeddings = await call(alpha.restricted, 'POST', '/v1/embeddings', { model: 'all-MiniLM-L6-v2', input: 'x' });
    expect(embeddings.status).toBe(403);
    expect(embeddings.body).toMatchObject({ error: { message: expect.stringContaining('embedder') } });
  });

  it("runs /v1/embeddings in the caller's project, for read-write keys only", async () => {
    const request = { model: 'all-MiniLM-L6-v2', input: 'red leather shoes' };
    const embedded = await call(beta.rw, 'POST', '/v1/embeddings', request);
    expect(embedded.status).toBe(200);
    expect(embedded.body.data[0].embedding.length).toBeGreaterThan(0);
    expect((await call(alpha.rw, 'POST', '/v1/embeddings', request)).status).toBe(200);
    expect((await call(alpha.ro, 'POST', '/v1/embeddings', request)).status).toBe(403);
    expect((await call(alpha.ro, 'GET', '/v1/models')).status).toBe(200);
    const recorded = await eventually(async () => {
      const rows = await gateway.database.prisma.job.findMany({ where: { endpointId: 'embedder' }, select: { projectId: true } });
      return rows.length === 2 && rows;
    });
    expect(recorded.map((row) => row.projectId).sort()).toEqual(['alpha', 'beta']);
  });

  it("counts only the caller's project's jobs in /health, and purges only its own queued jobs", async () => {
    await worker!.close();
    worker = undefined;
    const alphaQueued = await Promise.all([1, 2].map(() => call(alpha.rw, 'POST', '/v2/echo/run', { input: {} })));
    const betaQueued = await Promise.all([1, 2, 3].map(() => call(beta.rw, 'POST', '/v2/echo/run', { input: {} })));
    await eventually(async () => (await call(alpha.rw, 'GET', '/v2/echo/health')).body.jobs.inQueue === 2);
    await eventually(async () => (await call(beta.rw, 'GET', '/v2/echo/health')).body.jobs.inQueue === 3);
    const betaHealth = (await call(beta.rw, 'GET', '/v2/echo/health')).body;
    const alphaHealth = (await call(alpha.rw, 'GET', '/v2/echo/health')).body;
    expect(betaHealth.jobs.completed).toBe(0);
    expect(alphaHealth.jobs.completed).toBeGreaterThanOrEqual(2);

    expect((await call(beta.rw, 'POST', '/v2/echo/purge-queue?allProjects=true')).status).toBe(403);
    expect((await call(beta.rw, 'POST', '/v2/echo/purge-queue')).body).toEqual({ removed: 3, status: 'completed' });
    for (const { body } of alphaQueued) expect((await call(alpha.rw, 'GET', `/v2/echo/status/${body.id}`)).body.status).toBe('IN_QUEUE');
    for (const { body } of betaQueued) expect((await call(beta.rw, 'GET', `/v2/echo/status/${body.id}`)).body.status).toBe('CANCELLED');
    // An admin key purges across projects.
    expect((await gateway.request('POST', '/v2/echo/purge-queue?allProjects=true')).body).toEqual({ removed: 2, status: 'completed' });
  });

  it('refuses non-admin keys on the dashboard, the admin API, metrics and readiness details', async () => {
    for (const caller of [alpha.rw, beta.rw, alpha.ro]) {
      expect((await call(caller, 'GET', '/dashboard')).status).toBe(403);
      const basic = Buffer.from(`user:${caller.key}`).toString('base64');
      expect((await gateway.request('GET', '/dashboard/api/queues', undefined, { authorization: `Basic ${basic}` })).status).toBe(403);
      expect((await call(caller, 'GET', '/admin/keys')).status).toBe(403);
      expect((await call(caller, 'POST', '/admin/keys', { name: 'escalate', admin: true })).status).toBe(403);
      expect((await call(caller, 'GET', '/admin/projects')).status).toBe(403);
      expect((await call(caller, 'DELETE', `/admin/keys/${beta.rw.key}`)).status).toBe(403);
      expect((await call(caller, 'GET', '/metrics')).status).toBe(403);
      expect((await call(caller, 'GET', '/ready')).body).toEqual({ status: 'ready' });
    }
    // The admin key manages keys over HTTP; listings never show a key or its hash.
    const created = await gateway.request('POST', '/admin/keys', { name: 'over-http', projectId: 'beta', permission: 'read_only' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ projectId: 'beta', permission: 'read_only', admin: false });
    const listed = await gateway.request('GET', '/admin/keys?projectId=beta');
    expect(listed.body.map((key: { name: string }) => key.name)).toEqual(['beta-rw', 'over-http']);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key);
    expect(JSON.stringify(listed.body)).not.toMatch(/hash|whsec_/);
    expect((await call(created.body, 'GET', '/v2/echo/health')).status).toBe(200);
    expect((await gateway.request('DELETE', `/admin/keys/${created.body.id}`)).body).toEqual({ id: created.body.id, revoked: true });
    expect((await call(created.body, 'GET', '/v2/echo/health')).status).toBe(401);
  });

  it('refuses a controller added without decorations unless the caller has an admin key', async () => {
    const extra = await GatewayUnderTest.start(gatewayConfig({ REDIS_PREFIX: platform.stores.prefix, DATABASE_URL: platform.stores.databaseUrl }), {
      extraControllers: [UndeclaredController],
    });
    try {
      const anonymous = await fetch(`${extra.baseUrl}/undeclared`);
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toMatchObject({ code: 'unauthorized' });
      expect((await extra.request('GET', '/undeclared', undefined, bearer(alpha.rw))).status).toBe(403);
      expect((await extra.request('GET', '/undeclared')).status).toBe(200);
    } finally {
      await extra.close();
    }
  });

  it('ignores a request that tries to raise its own permissions', async () => {
    const pretending = {
      'x-project-id': 'beta',
      'x-switchyard-project': 'beta',
      'x-switchyard-admin': 'true',
      'x-api-key-permission': 'read_write',
      'x-forwarded-for': '10.0.0.1',
    };
    expect((await gateway.request('POST', '/v2/echo/run', { input: {} }, { ...bearer(alpha.ro), ...pretending })).status).toBe(403);
    expect((await gateway.request('GET', '/admin/keys', undefined, { ...bearer(alpha.rw), ...pretending })).status).toBe(403);
    // Body fields naming a project, a key or admin rights are not part of the request: refused, nothing queued.
    const smuggled = await call(alpha.rw, 'POST', '/v2/echo/run', { input: {}, projectId: 'beta', admin: true, apiKeyId: beta.rw.key });
    expect(smuggled.status).toBe(400);
    // Inside the input they are the model's data: the job stays in the caller's project.
    const inInput = await call(alpha.rw, 'POST', '/v2/echo/run', { input: { projectId: 'beta', admin: true } });
    expect((await call(beta.rw, 'GET', `/v2/echo/status/${inInput.body.id}?projectId=beta`)).status).toBe(404);
    expect((await call(alpha.rw, 'GET', `/v2/echo/status/${inInput.body.id}`)).status).toBe(200);
    expect((await call(alpha.rw, 'POST', '/v2/echo/purge-queue?allProjects=true')).status).toBe(403);
  });
});
