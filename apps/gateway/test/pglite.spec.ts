import type { INestMicroservice } from '@nestjs/common';
import { createTestStores, eventually, gatewayConfig, GatewayUnderTest, startEchoWorker } from './support/platform';

describe('embedded database (no DATABASE_URL)', () => {
  it('runs the platform on PGlite and records jobs there', async () => {
    const stores = await createTestStores();
    const gateway = await GatewayUnderTest.start(gatewayConfig({ REDIS_PREFIX: stores.prefix, PGLITE_DIR: stores.pgliteDir }));
    let worker: INestMicroservice | undefined;
    try {
      expect(gateway.database.target.kind).toBe('pglite');
      worker = await startEchoWorker(stores.prefix);
      const response = await gateway.request('POST', '/v2/echo/runsync', { input: { db: 'pglite' } });
      expect(response.body.status).toBe('COMPLETED');
      const row = await eventually(async () => {
        const job = await gateway.database.prisma.job.findUnique({ where: { id: response.body.id }, include: { events: true } });
        return job?.status === 'COMPLETED' && job;
      });
      expect(row.input).toEqual({ db: 'pglite' });
      expect(row.events).toHaveLength(3);
      expect((await gateway.request('GET', '/ready')).body.database).toBe('ok');
    } finally {
      await worker?.close();
      await gateway.close();
      await stores.cleanup();
    }
  }, 60_000);
});
