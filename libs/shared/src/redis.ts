import { Redis, type RedisOptions } from 'ioredis';

/**
 * - `blocking`: BullMQ connections and stream readers, which wait out a Redis restart and issue
 *   blocking commands (so nothing else may be pipelined behind them).
 * - `durable`: plain commands that must also survive a Redis restart, such as a worker recording
 *   job states.
 * - `request-path`: commands on an HTTP request path, which fail fast rather than queue offline.
 * The last two pipeline commands issued in the same tick into one write: on busy processes most
 * of Redis's cost is system calls, not commands.
 */
export type RedisRole = 'blocking' | 'durable' | 'request-path';

export function connectRedis(url: string, role: RedisRole, name: string): Redis {
  const options: Record<RedisRole, RedisOptions> = {
    blocking: { maxRetriesPerRequest: null, connectionName: name },
    durable: { maxRetriesPerRequest: null, enableAutoPipelining: true, connectionName: name },
    'request-path': { maxRetriesPerRequest: 1, enableOfflineQueue: false, enableAutoPipelining: true, connectionName: name },
  };
  return new Redis(url, options[role]);
}

/** Resolves once the client is ready, so request-path clients do not refuse their first commands. */
export async function waitUntilReady(redis: Redis, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis not ready after ${timeoutMs} ms (${redis.status})`)), timeoutMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
