import type { INestMicroservice } from '@nestjs/common';
import { ConfigError, RedisKeys } from '@switchyard/shared';
import { loadGatewayConfig } from '../src/config';
import { createTestStores, eventually, gatewayConfig, GatewayUnderTest, startEchoWorker } from './support/platform';
import { WebhookReceiver } from './support/webhook-receiver';

describe('gateway roles', () => {
  it('runs every role in one process unless told otherwise', () => {
    expect(loadGatewayConfig({}).GATEWAY_ROLES).toEqual(['api', 'recorder', 'notifier', 'relay']);
    expect(loadGatewayConfig({ GATEWAY_ROLES: ' recorder , notifier,recorder' }).GATEWAY_ROLES).toEqual(['recorder', 'notifier']);
  });

  it('refuses to start with an unknown role, or none, naming the roles there are', () => {
    expect(() => loadGatewayConfig({ GATEWAY_ROLES: 'api,reporter' })).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ GATEWAY_ROLES: 'api,reporter' })).toThrow(
      /^ {2}GATEWAY_ROLES: unknown role "reporter"; roles are api, recorder, notifier, relay$/m,
    );
    expect(() => loadGatewayConfig({ GATEWAY_ROLES: ' , ' })).toThrow(/^ {2}GATEWAY_ROLES: names no role; roles are api, recorder, notifier, relay$/m);
  });

  describe('split over processes', () => {
    let stores: Awaited<ReturnType<typeof createTestStores>>;
    let worker: INestMicroservice;
    let api: GatewayUnderTest;
    let recorder: GatewayUnderTest | undefined;
    let notifier: GatewayUnderTest | undefined;
    const roles = (names: string, extra: Record<string, string> = {}) =>
      gatewayConfig({ REDIS_PREFIX: stores.prefix, DATABASE_URL: stores.databaseUrl, GATEWAY_ROLES: names, ...extra });
    const recordedJob = (id: string) => api.database.prisma.job.findUnique({ where: { id } });

    beforeAll(async () => {
      stores = await createTestStores();
      worker = await startEchoWorker(stores.prefix);
      api = await GatewayUnderTest.start(roles('api'));
    });

    afterAll(async () => {
      await notifier?.close();
      await recorder?.close();
      await api.close();
      await worker.close();
      await stores.cleanup();
    });

    it('an API-only process runs jobs and records nothing: their events wait in the stream for a recorder', async () => {
      const done = await api.request('POST', '/v2/echo/runsync', { input: { prompt: 'before any recorder' } });
      expect(done.body).toMatchObject({ status: 'COMPLETED', output: { echo: { prompt: 'before any recorder' } } });

      const events = new RedisKeys(stores.prefix).queue('echo').events;
      expect(await stores.redis.xinfo('GROUPS', events)).toEqual([]);
      expect(await stores.redis.xlen(events)).toBeGreaterThan(0);
      expect(await recordedJob(done.body.id)).toBeNull();
      expect(await api.database.prisma.jobEvent.count()).toBe(0);
    });

    it('a recorder-only process serves no job API, only health and metrics, and records what the API left', async () => {
      const waiting = (await api.request('POST', '/v2/echo/runsync', { input: { prompt: 'recorded later' } })).body.id as string;
      recorder = await GatewayUnderTest.start(roles('recorder', { RECORDER_CONSUMER: 'gateway-recorder-0' }));

      for (const [method, path] of [
        ['POST', '/v2/echo/run'],
        ['GET', '/v2/echo/health'],
        ['GET', `/v2/echo/status/${waiting}`],
        ['POST', '/v1/embeddings'],
        ['GET', '/admin/keys'],
        ['GET', '/docs'],
        ['GET', '/dashboard'],
      ]) {
        expect({ path, status: (await recorder.request(method, path, method === 'POST' ? { input: {} } : undefined)).status }).toEqual({ path, status: 404 });
      }
      expect(await recorder.request('GET', '/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
      expect((await recorder.request('GET', '/ready')).status).toBe(200);
      expect((await recorder.request('GET', '/metrics')).body).toContain('switchyard_events_recorded_total');

      await eventually(async () => (await recordedJob(waiting))?.status === 'COMPLETED');
    });

    it('API, recorder and notifier processes together lose no job, event or webhook', async () => {
      notifier = await GatewayUnderTest.start(roles('notifier'));
      expect((await notifier.request('POST', '/v2/echo/run', { input: {} })).status).toBe(404);
      const receiver = await WebhookReceiver.start();
      try {
        const input = { progress: ['loading', 'loaded'], stream: ['a', 'b', 'c'] };
        const runs = await Promise.all(Array.from({ length: 20 }, () => api.request('POST', '/v2/echo/run', { input, webhook: receiver.url })));
        const ids = runs.map((run) => run.body.id as string);
        expect(runs.every((run) => run.status === 200)).toBe(true);

        const rows = await eventually(async () => {
          const found = await api.database.prisma.job.findMany({ where: { id: { in: ids } }, include: { events: { orderBy: { seq: 'asc' } } } });
          return found.length === ids.length && found.every((row) => row.status === 'COMPLETED') && found;
        }, 20_000);
        for (const row of rows) {
          expect(row.events.map((event) => event.seq)).toEqual(Array.from({ length: row.lastSeq }, (_, index) => index + 1));
          expect(row.events.filter((event) => event.type === 'stream')).toHaveLength(input.stream.length);
        }

        await eventually(async () => receiver.received.length >= ids.length, 20_000);
        const notified = receiver.received.map((delivery) => JSON.parse(delivery.body) as { id: string; status: string });
        expect(new Set(notified.map((status) => status.id))).toEqual(new Set(ids));
        expect(notified.every((status) => status.status === 'COMPLETED')).toBe(true);
      } finally {
        await receiver.close();
      }
    });
  });
});
