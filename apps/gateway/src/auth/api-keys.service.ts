import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { isSealed, SecretKeyring } from '@switchyard/secrets';
import { RedisKeys } from '@switchyard/shared';
import type { GatewayConfig } from '../config';
import { RateLimitedError } from '../http/api-errors';
import { ApiKeyRepository } from '../database/api-key.repository';
import { CONFIG, REDIS } from '../infra/tokens';
import { deriveWebhookSecret, hashApiKey, isWellFormedKey, sameHash } from './api-key-material';
import { webhookSecretContext } from './master-key';
import { DEFAULT_PROJECT_ID, type KeyPermission, type KeyScope, type Principal } from './principal';
import { RateLimiter } from './rate-limiter';

const CACHE_TTL_MS = 30_000;
const CACHE_SIZE = 10_000;

interface ApiKeyRow {
  id: string;
  projectId: string;
  permission: string;
  scope: string;
  endpoints: string[];
  admin: boolean;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

/** The principal a stored key stands for; null when it is revoked or expired. */
export function principalOf(row: ApiKeyRow, now = Date.now()): Principal | null {
  if (row.revokedAt || (row.expiresAt && row.expiresAt.getTime() <= now)) return null;
  return {
    id: row.id,
    apiKeyId: row.id,
    projectId: row.projectId,
    permission: row.permission as KeyPermission,
    scope: row.scope as KeyScope,
    endpoints: row.endpoints,
    admin: row.admin,
    expiresAt: row.expiresAt?.getTime(),
  };
}

/**
 * Resolves bearer keys to principals. Only valid keys enter the cache (a bounded LRU), so a flood
 * of unknown keys can neither fill nor flush it; such a flood is stopped by a per-address budget
 * of database look-ups, taken before each look-up. A cached key is checked against Redis's
 * revocation marker on every use, so a revocation holds at once on every gateway.
 */
@Injectable()
export class ApiKeysService {
  private readonly cache = new Map<string, { principal: Principal; until: number }>();
  private readonly envPrincipal?: Principal;
  private readonly envKeyHash?: string;

  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    private readonly apiKeys: ApiKeyRepository,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly limiter: RateLimiter,
    private readonly keyring: SecretKeyring,
  ) {
    if (config.SWITCHYARD_API_KEY) {
      this.envKeyHash = hashApiKey(config.SWITCHYARD_API_KEY);
      this.envPrincipal = {
        id: 'env',
        projectId: DEFAULT_PROJECT_ID,
        permission: 'read_write',
        scope: 'api',
        endpoints: [],
        admin: config.SWITCHYARD_API_KEY_ADMIN,
      };
    }
  }

  /** The key's principal, or null for a malformed, unknown, expired or revoked key. */
  async authenticate(key: string, clientAddress: string): Promise<Principal | null> {
    if (!isWellFormedKey(key)) return null;
    // One hash a request: compared with the configured key's, then the cache's key.
    const hash = hashApiKey(key);
    if (this.envPrincipal && sameHash(hash, this.envKeyHash!)) return this.envPrincipal;
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && cached.until > now) {
      const { principal } = cached;
      if ((principal.expiresAt !== undefined && principal.expiresAt <= now) || (await this.redis.exists(this.keys.revokedApiKey(principal.id)))) {
        this.cache.delete(hash);
        return null;
      }
      // Most recently used last: the first entry is the one to evict.
      this.cache.delete(hash);
      this.cache.set(hash, cached);
      return principal;
    }
    this.cache.delete(hash);
    await this.takeLookup(clientAddress);
    const row = await this.apiKeys.findByHash(hash);
    const principal = row ? principalOf(row, now) : null;
    if (principal) {
      this.cache.set(hash, { principal, until: now + CACHE_TTL_MS });
      if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    }
    return principal;
  }

  /** Forgets a key at once in this gateway; others see the revocation marker. */
  evict(apiKeyId: string): void {
    for (const [hash, entry] of this.cache) if (entry.principal.id === apiKeyId) this.cache.delete(hash);
  }

  /** The webhook secret a job's owner verifies signatures with; stored sealed (rows from before sealing: in clear until `rotate-secrets`). */
  async webhookSecretFor(apiKeyId: string | undefined): Promise<string | undefined> {
    if (!apiKeyId)
      return this.config.SWITCHYARD_API_KEY ? (this.config.SWITCHYARD_WEBHOOK_SECRET ?? deriveWebhookSecret(this.config.SWITCHYARD_API_KEY)) : undefined;
    const row = await this.apiKeys.findById(apiKeyId);
    if (!row) return undefined;
    return isSealed(row.webhookSecret) ? this.keyring.open(row.webhookSecret, webhookSecretContext(row.id)) : row.webhookSecret;
  }

  private async takeLookup(clientAddress: string): Promise<void> {
    const limit = this.config.KEY_LOOKUPS_PER_IP;
    if (limit === 0) return;
    const verdict = await this.limiter.take(`ip:${clientAddress}`, 'key-lookup', Date.now(), limit);
    if (!verdict.allowed) throw new RateLimitedError(verdict.retryAfterSeconds, verdict.limit, 'unknown API keys from this address');
  }
}
