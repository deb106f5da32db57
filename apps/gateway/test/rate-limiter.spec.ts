import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisKeys } from '@switchyard/shared';
import { RateLimiter } from '../src/auth/rate-limiter';
import type { GatewayConfig } from '../src/config';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const config = { RATE_LIMIT_MULTIPLIER: 1 } as GatewayConfig;

describe('RateLimiter', () => {
  let redis: Redis;
  let keys: RedisKeys;

  beforeEach(() => {
    redis = new Redis(REDIS_URL);
    keys = new RedisKeys(`sy-test-rate-${randomBytes(4).toString('hex')}`);
  });

  afterEach(async () => {
    const leftovers = await redis.keys(`${keys.prefix}*`);
    if (leftovers.length) await redis.del(...leftovers);
    await redis.quit();
  });

  /** A limiter as a gateway replica has it, with its own connection; counts its calls to Redis. */
  function replica() {
    const connection = new Redis(REDIS_URL);
    const limiter = new RateLimiter(config, connection, keys);
    const counted = connection as Redis & { leaseRequests(...args: unknown[]): Promise<number> };
    const lease = counted.leaseRequests.bind(connection);
    const calls = { count: 0 };
    counted.leaseRequests = (...args: unknown[]) => {
      calls.count += 1;
      return lease(...args);
    };
    return { limiter, calls, close: () => connection.quit() };
  }

  it('lets replicas together grant exactly the limit of a window, then refuses with the time left', async () => {
    const [a, b] = [replica(), replica()];
    const now = Date.UTC(2026, 11, 1, 12, 0, 3);
    try {
      const verdicts = await Promise.all(Array.from({ length: 300 }, (_, i) => (i % 2 ? a : b).limiter.take('key-1', 'run', now, 100)));

      expect(verdicts.filter((verdict) => verdict.allowed)).toHaveLength(100);
      expect(verdicts.find((verdict) => !verdict.allowed)).toEqual({ allowed: false, limit: 100, retryAfterSeconds: 7 });
      expect(Number(await redis.get(keys.rateWindow('key-1', 'run', Math.floor(now / 10_000))))).toBe(100);
      // The next window starts afresh.
      expect(await a.limiter.take('key-1', 'run', now + 10_000, 100)).toEqual({ allowed: true });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('costs a busy key a few Redis calls a window, not one a request', async () => {
    const one = replica();
    const now = Date.UTC(2026, 11, 1, 12, 0, 0);
    try {
      for (let i = 0; i < 2_000; i++) expect(await one.limiter.take('busy', 'runsync', now, 1_000_000)).toEqual({ allowed: true });

      expect(one.calls.count).toBeLessThanOrEqual(12);
    } finally {
      await one.close();
    }
  });

  it('keeps other keys and buckets apart', async () => {
    const one = replica();
    const now = Date.UTC(2026, 11, 1, 12, 0, 0);
    try {
      expect(await one.limiter.take('key-a', 'cancel', now, 1)).toEqual({ allowed: true });
      expect((await one.limiter.take('key-a', 'cancel', now, 1)).allowed).toBe(false);
      expect(await one.limiter.take('key-b', 'cancel', now, 1)).toEqual({ allowed: true });
      expect(await one.limiter.take('key-a', 'status', now, 1)).toEqual({ allowed: true });
    } finally {
      await one.close();
    }
  });
});
