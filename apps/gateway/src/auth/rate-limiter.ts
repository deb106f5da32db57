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

export type RateVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number; limit: number };

const WINDOW_MS = 10_000;
/** A gateway's leases grow to this share of a window's limit at most, so other gateways are never starved by more. */
const MAX_LEASE_SHARE = 1 / 20;

/** Grants up to ARGV[1] requests of the window, as many as remain under the limit ARGV[2]; 0 when it is spent. */
const LEASE_SCRIPT = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local grant = math.min(tonumber(ARGV[1]), tonumber(ARGV[2]) - used)
if grant <= 0 then return 0 end
redis.call('INCRBY', KEYS[1], grant)
if used == 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return grant
`;

/** What this gateway holds of one subject's window: requests granted by Redis and spent here. */
interface Lease {
  window: number;
  granted: number;
  spent: number;
  /** The next lease asks for this many; it doubles with each lease in the window. */
  nextSize: number;
  exhausted: boolean;
  renewing?: Promise<void>;
}

/**
 * Fixed 10 s windows counted in Redis, so the limit holds across gateway replicas. A gateway does
 * not count each request there: it leases requests of the window in blocks that double while the
 * subject keeps sending (up to a twentieth of the limit) and spends them locally, so a busy key
 * costs a few Redis calls a window instead of one a request. The count in Redis is what every
 * replica together was granted, so the limit is never exceeded; a replica may refuse while
 * another still holds an unspent block, at most one block early.
 */
@Injectable()
export class RateLimiter {
  private readonly multiplier: number;
  private readonly leases = new Map<string, Lease>();
  private sweptWindow = 0;

  constructor(
    @Inject(CONFIG) config: GatewayConfig,
    @Inject(REDIS) private readonly redis: Redis & { leaseRequests?(key: string, size: number, limit: number, windowMs: number): Promise<number> },
    private readonly keys: RedisKeys,
  ) {
    redis.defineCommand('leaseRequests', { numberOfKeys: 1, lua: LEASE_SCRIPT });
    this.multiplier = config.RATE_LIMIT_MULTIPLIER;
  }

  /** Counts one request; answers how many seconds to wait when the window is full. */
  async take(subject: string, bucket: RateBucket | AddressBucket, now = Date.now(), fixedLimit?: number): Promise<RateVerdict> {
    const window = Math.floor(now / WINDOW_MS);
    const limit = fixedLimit ?? Math.round(RATE_LIMITS[bucket as RateBucket] * this.multiplier);
    const lease = this.leaseOf(`${subject}\u0000${bucket}`, window);
    while (lease.spent >= lease.granted && !lease.exhausted) {
      lease.renewing ??= this.renew(lease, this.keys.rateWindow(subject, bucket, window), limit).finally(() => (lease.renewing = undefined));
      await lease.renewing;
    }
    if (lease.spent < lease.granted) {
      lease.spent += 1;
      return { allowed: true };
    }
    return { allowed: false, limit, retryAfterSeconds: Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000)) };
  }

  private async renew(lease: Lease, key: string, limit: number): Promise<void> {
    const size = Math.min(lease.nextSize, Math.max(1, Math.floor(limit * MAX_LEASE_SHARE)));
    const granted = await this.redis.leaseRequests!(key, size, limit, WINDOW_MS);
    lease.granted += granted;
    lease.nextSize = size * 2;
    if (granted === 0) lease.exhausted = true;
  }

  /** The subject's lease of this window; leases of windows gone by are dropped as the windows turn. */
  private leaseOf(id: string, window: number): Lease {
    if (window !== this.sweptWindow) {
      for (const [key, lease] of this.leases) if (lease.window < window) this.leases.delete(key);
      this.sweptWindow = window;
    }
    let lease = this.leases.get(id);
    if (!lease || lease.window !== window) this.leases.set(id, (lease = { window, granted: 0, spent: 0, nextSize: 1, exhausted: false }));
    return lease;
  }
}
