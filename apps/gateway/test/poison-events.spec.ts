import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Client } from 'pg';
import { echoContract, RedisKeys } from '@switchyard/shared';
import { GatewayMetrics } from '../src/ops/gateway-metrics';
import {
  eventually,
  gatewayConfig,
  GatewayUnderTest,
  queueStateOnly,
  startEchoWorker,
  startTestPlatform,
  startWorkerApp,
  type TestPlatform,
} from './support/platform';
import { WebhookReceiver } from './support/webhook-receiver';

const runCli = promisify(execFile);
const ROOT = join(__dirname, '../../..');

/** A handler that puts text Postgres cannot store into its output, as a careless model handler might. */
@Controller()
class UnstorableOutputController {
  @MessagePattern(echoContract.queue)
  echo(@Payload() input: Record<string, unknown>) {
    return { echo: { ...input, decoded: 'a\u0000b' } };
  }
}

@Module({ controllers: [UnstorableOutputController] })
class UnstorableOutputModule {}

describe('no job event can stop recording', () => {
  let platform: TestPlatform;
  let gateway: GatewayUnderTest;
  let receiver: WebhookReceiver;
  let echoWorker: INestMicroservice;

  beforeAll(async () => {
    platform = await startTestPlatform({ echoWorker: false });
    gateway = platform.gateway;
    receiver = await WebhookReceiver.start();
    echoWorker = await startEchoWorker(platform.stores.prefix);
  });

  afterAll(async () => {
    await echoWorker.close();
    await receiver.close();
    await platform.close();
  });

  async function recordedStatus(jobId: string) {
    return (await gateway.database.prisma.job.findUnique({ where: { id: jobId } }))?.status;
  }

  async function expectAllRecordedAndWebhooked(jobIds: string[]) {
    await eventually(async () => (await Promise.all(jobIds.map(recordedStatus))).every((status) => status === 'COMPLETED'), 15_000);
    await eventually(async () => jobIds.every((id) => receiver.received.some((delivery) => JSON.parse(delivery.body).id === id)), 15_000);
  }

  it.each([
    ['U+0000', 'nul\u0000byte', 'input.note'],
    ['an unpaired high surrogate', 'half \ud83d', 'input.note'],
    ['an unpaired low surrogate in a key', { ['key\udc00']: 1 }, 'input.nested.key\udc00'],
  ])('refuses an input holding %s with a 400 naming the field', async (_case, value, field) => {
    const body = typeof value === 'string' ? { input: { note: value } } : { input: { nested: value } };
    const response = await gateway.request('POST', '/v2/echo/run', body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'invalid_request', field, limit: 'storableText' });
  });

  it('fails a job whose handler outputs text that cannot be stored, and records and webhooks every job after it', async () => {
    await echoWorker.close();
    const careless = await startWorkerApp(UnstorableOutputModule, [echoContract], platform.stores.prefix);
    try {
      const poisoned = await gateway.request('POST', '/v2/echo/runsync', { input: { n: 0 }, webhook: receiver.url });
      expect(poisoned.body.status).toBe('FAILED');
      expect(JSON.parse(poisoned.body.error)).toMatchObject({
        error_type: 'UnstorableValueError',
        error_message: expect.stringContaining('output.echo.decoded contains U+0000'),
      });
    } finally {
      await careless.close();
      echoWorker = await startEchoWorker(platform.stores.prefix);
    }
    const after = await Promise.all([1, 2, 3].map((n) => gateway.request('POST', '/v2/echo/run', { input: { n }, webhook: receiver.url })));
    await expectAllRecordedAndWebhooked(after.map((response) => response.body.id));
  });

  it('dead-letters an event Postgres refuses, marks its job FAILED and records every event after it', async () => {
    // A producer that skips the gateway's checks (an older or buggy one) writes the poison event.
    const poisonId = '0b8a1f3e-7c41-4d5e-9f00-2d6c1a3b4c5d';
    await queueStateOnly(platform.stores, poisonId, { text: 'poison\u0000' });
    const after = await Promise.all([4, 5, 6].map((n) => gateway.request('POST', '/v2/echo/run', { input: { n }, webhook: receiver.url })));
    await expectAllRecordedAndWebhooked(after.map((response) => response.body.id));

    const row = await eventually(async () => (await gateway.database.prisma.job.findUnique({ where: { id: poisonId } })) ?? undefined);
    expect(row.status).toBe('FAILED');
    expect(JSON.parse(row.error as string)).toMatchObject({ error_type: 'EventNotRecorded' });
    const deadLetters = await platform.stores.redis.xrange(new RedisKeys(platform.stores.prefix).queue('echo').deadEvents, '-', '+');
    expect(deadLetters).toHaveLength(1);
    const fields = deadLetters[0][1];
    expect(fields[fields.indexOf('ev_job') + 1]).toBe(poisonId);
    expect(fields[fields.indexOf('dl_error') + 1]).toMatch(/unicode|\\u0000|22P05/i);
    expect(await gateway.app.get(GatewayMetrics).eventsDeadLettered.get()).toMatchObject({ values: [{ value: 1 }] });

    // The CLI lists it; it is removed from the dead-letter stream once replayed.
    const env = { ...process.env, REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', REDIS_PREFIX: platform.stores.prefix };
    const listed = await runCli(process.execPath, [join(ROOT, 'apps/gateway/dist/cli/events.js'), 'dead-letters'], { env });
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ jobId: poisonId, type: 'queued', seq: 1 })]);
    await platform.stores.redis.del(new RedisKeys(platform.stores.prefix).queue('echo').deadEvents);
  });

  it('replays a dead-lettered event after the fault is fixed, recording it and sending its webhook', async () => {
    const database = new Client({ connectionString: platform.stores.databaseUrl });
    await database.connect();
    // A fault on the database side that refuses one endpoint's rows: a stand-in for a schema bug.
    await database.query(`ALTER TABLE jobs ADD CONSTRAINT test_refuses_blocked CHECK (endpoint_id <> 'blocked')`);
    const aliased = await GatewayUnderTest.start(
      gatewayConfig({ REDIS_PREFIX: platform.stores.prefix, DATABASE_URL: platform.stores.databaseUrl, ENDPOINT_ALIASES: 'blocked=echo' }),
    );
    try {
      const blocked = await aliased.request('POST', '/v2/blocked/runsync', { input: { n: 7 }, webhook: receiver.url });
      expect(blocked.body.status).toBe('COMPLETED');
      const keys = new RedisKeys(platform.stores.prefix).queue('echo');
      await eventually(async () => (await platform.stores.redis.xlen(keys.deadEvents)) === 3, 20_000);
      const fine = await gateway.request('POST', '/v2/echo/runsync', { input: { n: 8 } });
      await eventually(async () => (await recordedStatus(fine.body.id)) === 'COMPLETED');
      expect(await recordedStatus(blocked.body.id)).toBeUndefined();

      await database.query('ALTER TABLE jobs DROP CONSTRAINT test_refuses_blocked');
      const env = { ...process.env, REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', REDIS_PREFIX: platform.stores.prefix };
      const replayed = await runCli(process.execPath, [join(ROOT, 'apps/gateway/dist/cli/events.js'), 'replay', '--all'], { env });
      expect(replayed.stdout).toMatch(/Replayed 3 event/);
      await eventually(async () => (await recordedStatus(blocked.body.id)) === 'COMPLETED', 15_000);
      await eventually(async () => receiver.received.some((delivery) => JSON.parse(delivery.body).id === blocked.body.id), 15_000);
      expect(await platform.stores.redis.xlen(keys.deadEvents)).toBe(0);
    } finally {
      await aliased.close();
      await database.end();
    }
  });

  it('reports recorder lag: /ready answers 503 while events wait too long to be recorded', async () => {
    const lagging = await GatewayUnderTest.start(
      gatewayConfig({ REDIS_PREFIX: platform.stores.prefix, DATABASE_URL: platform.stores.databaseUrl, RECORDER_READY_MAX_LAG_MS: '300' }),
    );
    const database = new Client({ connectionString: platform.stores.databaseUrl });
    await database.connect();
    try {
      await database.query('BEGIN');
      await database.query('LOCK TABLE job_events IN ACCESS EXCLUSIVE MODE');
      await lagging.request('POST', '/v2/echo/run', { input: { n: 9 } });
      // The details of /ready, and /metrics, are for admin keys (the test key is one).
      const notReady = await eventually(async () => {
        const ready = await lagging.request('GET', '/ready');
        return ready.status === 503 && (ready.body as Record<string, string>);
      });
      expect(notReady.recorder).toMatch(/oldest unrecorded event is \d+ s old/);
      expect((await lagging.request('GET', '/metrics')).body).toMatch(/switchyard_recorder_lag_seconds [1-9]|switchyard_recorder_lag_seconds 0\.[3-9]/);
      await database.query('COMMIT');
      await eventually(async () => (await fetch(`${lagging.baseUrl}/ready`)).status === 200);
    } finally {
      await database.end();
      await lagging.close();
    }
  });
});
