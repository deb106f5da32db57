import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Where tests find Postgres: DATABASE_URL, else the local server the CI machine runs. */
export const TEST_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Creates an empty database on the test server for one test file, so suites never see each
 * other's rows, and drops it afterwards.
 */
export async function createTemporaryPostgresDatabase(baseUrl = TEST_DATABASE_URL): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `sy_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
