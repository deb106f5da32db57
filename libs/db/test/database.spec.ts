import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, readMigrations } from '../src';
import { createTemporaryPostgresDatabase } from '../src/testing';

describe('openDatabase', () => {
  it('applies the committed migrations to Postgres once and records them as prisma migrate does', async () => {
    const temp = await createTemporaryPostgresDatabase();
    try {
      const first = await openDatabase({ kind: 'postgres', url: temp.url });
      await first.prisma.apiKey.create({ data: { id: 'k1', name: 'ci', prefix: 'sy_abc', hash: 'h', webhookSecret: 'whsec_x' } });
      await first.close();

      const second = await openDatabase({ kind: 'postgres', url: temp.url });
      const rows = await second.prisma.$queryRaw<{ migration_name: string }[]>`SELECT migration_name FROM "_prisma_migrations"`;
      expect(rows.map((row) => row.migration_name)).toEqual(readMigrations().map((migration) => migration.name));
      expect(await second.prisma.apiKey.count()).toBe(1);
      await second.close();
    } finally {
      await temp.drop();
    }
  });

  it('runs on an embedded PGlite database when no DATABASE_URL is given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-pglite-'));
    try {
      const db = await openDatabase({ kind: 'pglite', dataDir: dir });
      await db.prisma.apiKey.create({ data: { id: 'k1', name: 'dev', prefix: 'sy_abc', hash: 'h', webhookSecret: 'whsec_x' } });
      await db.ping();
      await db.close();
      const reopened = await openDatabase({ kind: 'pglite', dataDir: dir });
      expect(await reopened.prisma.apiKey.findUnique({ where: { id: 'k1' } })).toMatchObject({ name: 'dev' });
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
