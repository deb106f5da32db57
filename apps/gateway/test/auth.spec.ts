import { RedisKeys } from '@switchyard/shared';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateMasterKey, SecretKeyring } from '@switchyard/secrets';
import { ApiKeyManager } from '../src/auth/api-key-manager';
import { ApiKeysService } from '../src/auth/api-keys.service';
import { loadKeyring, webhookSecretContext } from '../src/auth/master-key';
import { eventually, gatewayConfig, GatewayUnderTest, startTestPlatform, TEST_SECRET_KEY, type TestPlatform } from './support/platform';

describe('API keys and rate limits', () => {
  let platform: TestPlatform;
  let gateway: GatewayUnderTest;
  const createApiKey = (_database: unknown, name: string) => gateway.app.get(ApiKeyManager).create({ name });

  beforeAll(async () => {
    platform = await startTestPlatform({ echoWorker: false });
    gateway = platform.gateway;
  });

  afterAll(() => platform.close());

  it.each([
    ['no Authorization header', undefined],
    ['a wrong key', 'Bearer sy_not-a-real-key'],
    ['another scheme', 'Token abc'],
  ])('answers 401 JSON for %s', async (_case, authorization) => {
    const response = await fetch(`${gateway.baseUrl}/v2/echo/health`, { headers: authorization ? { authorization } : {} });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'unauthorized', field: 'authorization' });
  });

  it('accepts a database key, stored only as a hash, until it is revoked, which holds at once', async () => {
    const created = await createApiKey(gateway.database, 'ci');
    const row = await gateway.database.prisma.apiKey.findUniqueOrThrow({ where: { id: created.id } });
    expect(JSON.stringify(row)).not.toContain(created.key);

    const headers = { authorization: `Bearer ${created.key}` };
    const accepted = await fetch(`${gateway.baseUrl}/v2/echo/health`, { headers });
    expect(accepted.status).toBe(200);

    // Revoked the way `npm run keys -- revoke` does it: the gateway's key cache still holds the key.
    expect(await gateway.app.get(ApiKeyManager).revoke(created.id)).toBe(true);
    const refused = await fetch(`${gateway.baseUrl}/v2/echo/health`, { headers });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ code: 'unauthorized' });
  });

  it('records which key submitted a job', async () => {
    const created = await createApiKey(gateway.database, 'owner');
    const response = await gateway.request('POST', '/v2/echo/run', { input: {} }, { authorization: `Bearer ${created.key}` });
    const view = await platform.stores.redis.hget(new RedisKeys(platform.stores.prefix).queue('echo').jobView(response.body.id), 'apiKeyId');
    expect(view).toBe(created.id);
  });

  it('limits each key per 10 s window and answers 429 with Retry-After', async () => {
    const created = await createApiKey(gateway.database, 'limited');
    const headers = { authorization: `Bearer ${created.key}` };
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 3; i++) {
      const response = await gateway.request('POST', '/v2/echo/purge-queue', undefined, headers);
      statuses.push(response.status);
      if (response.status === 429) {
        retryAfter = response.headers.get('retry-after');
        expect(response.body).toMatchObject({ code: 'rate_limited' });
      }
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(10);
    // Another key has a budget of its own.
    expect((await gateway.request('POST', '/v2/echo/purge-queue')).status).toBe(200);
  });
});

describe('bad keys', () => {
  let platform: TestPlatform;
  let gateway: GatewayUnderTest;
  let manager: ApiKeyManager;

  beforeAll(async () => {
    platform = await startTestPlatform({ echoWorker: false, config: { KEY_LOOKUPS_PER_IP: '50' } });
    gateway = platform.gateway;
    manager = gateway.app.get(ApiKeyManager);
  });

  afterAll(() => platform.close());

  /** Counts the key look-ups that reach the database while `act` runs. */
  async function lookupsDuring(act: () => Promise<void>): Promise<number> {
    const spy = jest.spyOn(gateway.database.prisma.apiKey, 'findUnique');
    try {
      await act();
      return spy.mock.calls.length;
    } finally {
      spy.mockRestore();
    }
  }

  const inject = (authorization: string, remoteAddress = '127.0.0.1') =>
    gateway.app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/v2/echo/health', headers: { authorization }, remoteAddress });

  it.each([
    ['malformed', 'Bearer sy_$$$%%%'],
    ['over-long', `Bearer sy_${'a'.repeat(10_000)}`],
    ['empty', 'Bearer '],
  ])('answers a %s key with 401 JSON, without looking it up', async (_case, authorization) => {
    let response: Awaited<ReturnType<typeof inject>> | undefined;
    expect(await lookupsDuring(async () => void (response = await inject(authorization)))).toBe(0);
    expect(response!.statusCode).toBe(401);
    expect(response!.json()).toMatchObject({ code: 'unauthorized', field: 'authorization' });
  });

  it('refuses an expired key, even from the key cache', async () => {
    const created = await manager.create({ name: 'short-lived', expiresAt: '2s' });
    expect((await inject(`Bearer ${created.key}`)).statusCode).toBe(200);
    const refused = await eventually(async () => {
      const response = await inject(`Bearer ${created.key}`);
      return response.statusCode === 401 && response;
    });
    expect(refused.json()).toMatchObject({ code: 'unauthorized' });
    // An expiry in the past is refused at creation.
    await expect(manager.create({ name: 'born-expired', expiresAt: '2000-01-01T00:00:00Z' })).rejects.toThrow(/future/);
  });

  it('bounds the database look-ups of a flood of 10,000 unknown keys, and keeps valid keys working', async () => {
    const valid = await manager.create({ name: 'busy-client' });
    expect((await inject(`Bearer ${valid.key}`, '10.1.1.1')).statusCode).toBe(200);
    const statuses = new Map<number, number>();
    const lookups = await lookupsDuring(async () => {
      for (let batch = 0; batch < 100; batch++) {
        const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => inject(`Bearer sy_unknown${batch}x${i}`, '10.6.6.6')));
        for (const response of responses) statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      }
    });
    // 50 look-ups per 10 s window from one address; the flood may straddle a few windows.
    expect(lookups).toBeLessThanOrEqual(50 * 3);
    expect(statuses.get(429)).toBeGreaterThan(9_000);
    expect((statuses.get(401) ?? 0) + (statuses.get(429) ?? 0)).toBe(10_000);
    // The valid key, cached before the flood, still works, from the flooding address too.
    expect((await inject(`Bearer ${valid.key}`, '10.6.6.6')).statusCode).toBe(200);
    expect((await inject(`Bearer ${valid.key}`, '10.1.1.1')).statusCode).toBe(200);
  });
});

describe('webhook secrets at rest', () => {
  let platform: TestPlatform;
  let gateway: GatewayUnderTest;

  beforeAll(async () => {
    platform = await startTestPlatform({ echoWorker: false });
    gateway = platform.gateway;
  });

  afterAll(() => platform.close());

  it('stores key webhook secrets sealed, opens them for signing, and rotates them to a new master key', async () => {
    const created = await gateway.app.get(ApiKeyManager).create({ name: 'sealed' });
    const row = await gateway.database.prisma.apiKey.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.webhookSecret).toMatch(/^sy1\./);
    expect(row.webhookSecret).not.toContain(created.webhookSecret.slice(6));
    const keys = gateway.app.get(ApiKeysService);
    expect(await keys.webhookSecretFor(created.id)).toBe(created.webhookSecret);

    // A row from before sealing, in clear, still signs, and rotation seals it.
    const legacy = await gateway.app.get(ApiKeyManager).create({ name: 'legacy' });
    await gateway.database.prisma.apiKey.update({ where: { id: legacy.id }, data: { webhookSecret: legacy.webhookSecret } });
    expect(await keys.webhookSecretFor(legacy.id)).toBe(legacy.webhookSecret);

    const rotating = new SecretKeyring(generateMasterKey(), [TEST_SECRET_KEY]);
    const manager = new ApiKeyManager(gateway.database);
    expect(await manager.rotateSecrets(rotating, webhookSecretContext)).toEqual({ rotated: 2, checked: 2 });
    const rotated = await gateway.database.prisma.apiKey.findMany({ select: { id: true, webhookSecret: true } });
    for (const { id, webhookSecret } of rotated) {
      expect(webhookSecret.split('.')[1]).toBe(rotating.currentKeyId);
      expect(rotating.open(webhookSecret, webhookSecretContext(id))).toBe(id === created.id ? created.webhookSecret : legacy.webhookSecret);
    }
    // Nothing left for a second run; the gateway on the old key alone now fails clearly.
    expect(await manager.rotateSecrets(rotating, webhookSecretContext)).toEqual({ rotated: 0, checked: 2 });
    await expect(keys.webhookSecretFor(created.id)).rejects.toThrow(/neither SWITCHYARD_SECRET_KEY/);
  });

  it('refuses to start in production without a master key', () => {
    expect(() => loadKeyring(gatewayConfig({ NODE_ENV: 'production', SWITCHYARD_SECRET_KEY: undefined }), () => undefined)).toThrow(
      /SWITCHYARD_SECRET_KEY is required/,
    );
  });

  it('generates a development master key into its file once, and says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-secret-'));
    try {
      const file = join(dir, 'secret-key');
      const told: string[] = [];
      const config = gatewayConfig({ NODE_ENV: 'development', SWITCHYARD_SECRET_KEY: undefined, SECRET_KEY_FILE: file });
      const first = loadKeyring(config, (message) => told.push(message));
      expect(told[0]).toMatch(/generated a master key into/);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(loadKeyring(config, (message) => told.push(message)).currentKeyId).toBe(first.currentKeyId);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
