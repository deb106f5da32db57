import { databaseTarget, openDatabase } from '@switchyard/db';
import { ConfigError } from '@switchyard/shared';
import { createApiKey } from '../auth/api-keys.service';
import { deriveWebhookSecret } from '../auth/api-key-material';
import { loadGatewayConfig } from '../config';

const USAGE = `Usage: npm run keys -- <command>
  create <name>       create an API key (printed once) and its webhook secret
  list                list keys (prefix, name, created, revoked)
  revoke <id>         revoke a key
  webhook-secret      print the webhook secret of SWITCHYARD_API_KEY`;

async function main(argv: string[]): Promise<number> {
  const [command, argument] = argv;
  const config = loadGatewayConfig();
  if (command === 'webhook-secret') {
    if (!config.SWITCHYARD_API_KEY) throw new ConfigError('SWITCHYARD_API_KEY is not set');
    console.log(config.SWITCHYARD_WEBHOOK_SECRET ?? deriveWebhookSecret(config.SWITCHYARD_API_KEY));
    return 0;
  }
  if (!['create', 'list', 'revoke'].includes(command) || (command !== 'list' && !argument)) {
    console.error(USAGE);
    return 2;
  }
  const database = await openDatabase(databaseTarget(config.DATABASE_URL, config.PGLITE_DIR));
  try {
    if (command === 'create') {
      const created = await createApiKey(database, argument);
      console.log(JSON.stringify(created, null, 2));
      console.error('Store the key now: only its hash is kept.');
    } else if (command === 'list') {
      const keys = await database.prisma.apiKey.findMany({ orderBy: { createdAt: 'asc' }, select: { id: true, name: true, prefix: true, createdAt: true, revokedAt: true } });
      console.log(JSON.stringify(keys, null, 2));
    } else {
      const revoked = await database.prisma.apiKey.updateMany({ where: { id: argument, revokedAt: null }, data: { revokedAt: new Date() } });
      if (revoked.count === 0) {
        console.error(`No active key with id ${argument}`);
        return 1;
      }
      console.log(`Revoked ${argument}`);
    }
    return 0;
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  },
);
