import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Database } from '@switchyard/db';
import { generateWebhookSecret } from '@switchyard/outbound';
import type { GatewayConfig } from '../config';
import { CONFIG, DATABASE } from '../infra/tokens';
import { constantTimeEquals, deriveWebhookSecret, displayPrefix, generateApiKey, hashApiKey } from './api-key-material';
import type { Principal } from './principal';

const CACHE_TTL_MS = 30_000;

/** Resolves bearer keys to principals; database look-ups are cached briefly since every request needs one. */
@Injectable()
export class ApiKeysService {
  private readonly cache = new Map<string, { principal: Principal | null; until: number }>();
  private readonly envPrincipal?: Principal;

  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(DATABASE) private readonly database: Database,
  ) {
    if (config.SWITCHYARD_API_KEY) {
      this.envPrincipal = {
        id: 'env',
        webhookSecret: config.SWITCHYARD_WEBHOOK_SECRET ?? deriveWebhookSecret(config.SWITCHYARD_API_KEY),
      };
    }
  }

  async authenticate(key: string): Promise<Principal | null> {
    if (this.envPrincipal && constantTimeEquals(key, this.config.SWITCHYARD_API_KEY!)) return this.envPrincipal;
    const hash = hashApiKey(key);
    const cached = this.cache.get(hash);
    if (cached && cached.until > Date.now()) return cached.principal;
    const row = await this.database.prisma.apiKey.findUnique({ where: { hash } });
    const principal = row && !row.revokedAt ? { id: row.id, apiKeyId: row.id, webhookSecret: row.webhookSecret } : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { principal, until: Date.now() + CACHE_TTL_MS });
    return principal;
  }

  /** The webhook secret a job's owner verifies signatures with. */
  async webhookSecretFor(apiKeyId: string | undefined): Promise<string | undefined> {
    if (!apiKeyId) return this.envPrincipal?.webhookSecret;
    const row = await this.database.prisma.apiKey.findUnique({ where: { id: apiKeyId } });
    return row?.webhookSecret;
  }
}

/** Key management used by the `keys` CLI. */
export async function createApiKey(database: Database, name: string) {
  const key = generateApiKey();
  const row = await database.prisma.apiKey.create({
    data: { id: randomUUID(), name, prefix: displayPrefix(key), hash: hashApiKey(key), webhookSecret: generateWebhookSecret() },
  });
  return { key, id: row.id, name: row.name, webhookSecret: row.webhookSecret };
}
