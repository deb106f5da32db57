import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client';
import { applyMigrations, type SqlExecutor } from './migrations';

export type { PrismaClient };

export type DatabaseTarget = { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string };

export interface Database {
  readonly prisma: PrismaClient;
  readonly target: DatabaseTarget;
  /** Cheap round trip for readiness probes. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Without DATABASE_URL the platform runs on an embedded PGlite database in a local folder. */
export function databaseTarget(databaseUrl: string | undefined, pgliteDir: string): DatabaseTarget {
  return databaseUrl ? { kind: 'postgres', url: databaseUrl } : { kind: 'pglite', dataDir: pgliteDir };
}

/** Opens the database, applies pending migrations, and returns a Prisma client bound to it. */
export async function openDatabase(target: DatabaseTarget, options: { migrate?: boolean } = {}): Promise<Database> {
  return target.kind === 'postgres' ? openPostgres(target, options) : openPglite(target, options);
}

async function openPostgres(target: Extract<DatabaseTarget, { kind: 'postgres' }>, options: { migrate?: boolean }): Promise<Database> {
  if (options.migrate !== false) {
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    try {
      await applyMigrations({
        query: async (sql, params) => (await client.query(sql, params)).rows,
        exec: async (sql) => void (await client.query(sql)),
      });
    } finally {
      await client.end();
    }
  }
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: target.url, connectionTimeoutMillis: 5_000 }) });
  return {
    prisma,
    target,
    ping: async () => void (await prisma.$queryRaw`SELECT 1`),
    close: () => prisma.$disconnect(),
  };
}

async function openPglite(target: Extract<DatabaseTarget, { kind: 'pglite' }>, options: { migrate?: boolean }): Promise<Database> {
  mkdirSync(target.dataDir, { recursive: true });
  const pglite = await PGlite.create(target.dataDir);
  const executor: SqlExecutor = {
    query: async <Row>(sql: string, params?: unknown[]) => (await pglite.query<Row>(sql, params)).rows,
    exec: async (sql: string) => void (await pglite.exec(sql)),
  };
  if (options.migrate !== false) await applyMigrations(executor);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    prisma,
    target,
    ping: async () => void (await pglite.query('SELECT 1')),
    close: async () => {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}
