import { resolve } from 'node:path';
import { databaseTarget, openDatabase } from './database';

/** `node libs/db/dist/migrate-cli.js`: applies pending migrations (the Kubernetes migration Job runs this). */
async function main(): Promise<void> {
  const target = databaseTarget(process.env.DATABASE_URL, resolve(process.env.PGLITE_DIR ?? '.switchyard/pgdata'));
  const database = await openDatabase(target);
  await database.close();
  console.log(`migrations applied (${target.kind})`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
