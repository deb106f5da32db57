import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RedisKeys } from '@switchyard/shared';
import type { GatewayConfig } from '../config';
import { CONFIG, REDIS } from '../infra/tokens';

/** RunPod's limits per 10 s window, which Switchyard applies per API key. */
export const RATE_LIMITS = {
  runsync: 2000,
  run: 1000,
  status: 2000,
  cancel: 100,
  'purge-queue': 2,
  other: 2000,
} as const;
export type RateBucket = keyof typeof RATE_LIMITS;
/** Buckets counted per client address rather than per key, with their limit given by the caller. */
export type AddressBucket = 'key-lookup';

const WINDOW_MS = 10_000;
const COUNT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
`;

/** Fixed 10 s windows counted in Redis, so the limit holds across gateway replicas. */
@Injectable()
export class RateLimiter {
  private readonly multiplier: number;

  constructor(
    @Inject(CONFIG) config: GatewayConfig,
    @Inject(REDIS) private readonly redis: Redis & { countRequest?(key: string, windowMs: number): Promise<number> },
    private readonly keys: RedisKeys,
  ) {
    redis.defineCommand('countRequest', { numberOfKeys: 1, lua: COUNT_SCRIPT });
    this.multiplier = config.RATE_LIMIT_MULTIPLIER;
  }

  /** Counts one request; answers how many seconds to wait when the window is full. */
  async take(
    subject: string,
    bucket: RateBucket | AddressBucket,
    now = Date.now(),
    fixedLimit?: number,
  ): Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number; limit: number }> {
    const window = Math.floor(now / WINDOW_MS);
    const count = await this.redis.countRequest!(this.keys.rateWindow(subject, bucket, window), WINDOW_MS);
    const limit = fixedLimit ?? Math.round(RATE_LIMITS[bucket as RateBucket] * this.multiplier);
    if (count <= limit) return { allowed: true };
    return { allowed: false, limit, retryAfterSeconds: Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000)) };
  }
}
