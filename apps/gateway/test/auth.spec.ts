import { ApiKeyManager } from '../src/auth/api-key-manager';
import { GatewayUnderTest, startTestPlatform, type TestPlatform } from './support/platform';

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
    const view = await platform.stores.redis.hget(`${platform.stores.prefix}:job:${response.body.id}`, 'apiKeyId');
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
