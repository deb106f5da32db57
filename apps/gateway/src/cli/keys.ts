import { parseArgs } from 'node:util';
import { databaseTarget, openDatabase } from '@switchyard/db';
import { SecretDecryptionError } from '@switchyard/secrets';
import { ConfigError, connectRedis, RedisKeys, waitUntilReady } from '@switchyard/shared';
import { ApiKeyManager, KeyManagementError } from '../auth/api-key-manager';
import { deriveWebhookSecret } from '../auth/api-key-material';
import { loadKeyring, webhookSecretContext } from '../auth/master-key';
import { loadGatewayConfig } from '../config';

const USAGE = `Usage: npm run keys -- <command>
  create <name> [--project <id>] [--permission read_write|read_only|restricted]
                [--scope api|worker] [--endpoints <id,id>] [--admin] [--expires <ISO date | 30d | 12h>]
                      create an API key (printed once) and its webhook secret; --scope worker
                      makes a worker token for RunPod workers of --endpoints (docs/runpod-workers.md)
  list [--project <id>]
                      list keys (prefix, project, permission, created, expires, revoked)
  revoke <id>         revoke a key, at once on every gateway
  projects            list projects
  create-project <id> [name]
                      create a project (a tenant: its keys see only its jobs)
  webhook-secret      print the webhook secret of SWITCHYARD_API_KEY
  rotate-secrets      seal every stored secret under SWITCHYARD_SECRET_KEY (after moving the old
                      master key to SWITCHYARD_SECRET_KEY_PREVIOUS); then drop the old key`;

const OPTIONS = {
  project: { type: 'string' },
  permission: { type: 'string' },
  scope: { type: 'string' },
  endpoints: { type: 'string' },
  admin: { type: 'boolean' },
  expires: { type: 'string' },
} as const;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  const [command, argument, extra] = positionals;
  const config = loadGatewayConfig();
  if (command === 'webhook-secret') {
    if (!config.SWITCHYARD_API_KEY) throw new ConfigError('SWITCHYARD_API_KEY is not set');
    console.log(config.SWITCHYARD_WEBHOOK_SECRET ?? deriveWebhookSecret(config.SWITCHYARD_API_KEY));
    return 0;
  }
  const needsArgument = ['create', 'revoke', 'create-project'];
  if (!['create', 'list', 'revoke', 'projects', 'create-project', 'rotate-secrets'].includes(command) || (needsArgument.includes(command) && !argument)) {
    console.error(USAGE);
    return 2;
  }
  const keyring = loadKeyring(config, (message) => console.error(message));
  const database = await openDatabase(databaseTarget(config.DATABASE_URL, config.PGLITE_DIR));
  const redis = command === 'revoke' ? await reachRedis(config.REDIS_URL) : undefined;
  const manager = new ApiKeyManager(database, redis && { redis, keys: new RedisKeys(config.REDIS_PREFIX) }, (secret, id) =>
    keyring.seal(secret, webhookSecretContext(id)),
  );
  try {
    if (command === 'create') {
      const created = await manager.create({
        name: argument,
        projectId: values.project,
        permission: values.permission as never,
        scope: values.scope as never,
        endpoints: values.endpoints
          ?.split(',')
          .map((id) => id.trim())
          .filter(Boolean),
        admin: values.admin ?? false,
        expiresAt: values.expires,
      });
      console.log(JSON.stringify(created, null, 2));
      console.error('Store the key now: only its hash is kept.');
    } else if (command === 'list') {
      console.log(JSON.stringify(await manager.list(values.project), null, 2));
    } else if (command === 'projects') {
      console.log(JSON.stringify(await manager.listProjects(), null, 2));
    } else if (command === 'create-project') {
      console.log(JSON.stringify(await manager.createProject(argument, extra), null, 2));
    } else if (command === 'rotate-secrets') {
      const { rotated, checked } = await manager.rotateSecrets(keyring, webhookSecretContext);
      console.log(JSON.stringify({ masterKeyId: keyring.currentKeyId, checked, rotated }));
      console.error('Every stored secret is sealed under SWITCHYARD_SECRET_KEY now: SWITCHYARD_SECRET_KEY_PREVIOUS can go.');
    } else {
      if (!(await manager.revoke(argument))) {
        console.error(`No active key with id ${argument}`);
        return 1;
      }
      console.log(`Revoked ${argument}`);
      if (!redis) console.error('Redis could not be reached: gateways refuse the key within 30 s (their key cache), not at once.');
    }
    return 0;
  } finally {
    redis?.disconnect();
    await database.close();
  }
}

/** Revocations are announced on Redis; without it they still hold, within the gateways' key cache time. */
async function reachRedis(url: string) {
  const redis = connectRedis(url, 'request-path', 'keys-cli');
  redis.on('error', () => undefined);
  try {
    await waitUntilReady(redis, 3_000);
    return redis;
  } catch {
    redis.disconnect();
    return undefined;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(
      error instanceof ConfigError || error instanceof KeyManagementError || error instanceof SecretDecryptionError || error instanceof TypeError
        ? error.message
        : error,
    );
    process.exit(1);
  },
);
