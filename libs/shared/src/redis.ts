import { Redis, type RedisOptions } from 'ioredis';

/**
 * BullMQ workers and blocking readers must wait out a Redis restart rather than fail their
 * commands; producers on a request path should fail fast instead of queueing commands offline.
 */
export type RedisRole = 'blocking' | 'request-path';

export function connectRedis(url: string, role: RedisRole, name: string): Redis {
  const options: RedisOptions =
    role === 'blocking'
      ? { maxRetriesPerRequest: null, connectionName: name }
      : // Commands issued in the same tick go out in one write: on busy gateways most of Redis's
        // cost is the system calls, not the commands.
        { maxRetriesPerRequest: 1, enableOfflineQueue: false, enableAutoPipelining: true, connectionName: name };
  return new Redis(url, options);
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
