import type { Redis } from 'ioredis';
import type { QueueKeys } from './redis-keys';

/** How often a worker process tells each of its queues that it is there; three missed beats and it counts as gone. */
export const PRESENCE_INTERVAL_MS = 5_000;

export interface WorkerPresence {
  workerId: string;
  /** Jobs of the queue it may run at once. */
  concurrency: number;
  /** Jobs of the queue it runs now. */
  active: number;
  /** Moving mean of its recent jobs' execution times, once it has run one (the router's wait estimate). */
  meanExecutionMs?: number;
  /** The models it has loaded and serves, for queues whose jobs name one; absent where it serves one model. */
  models?: readonly string[];
  /** An external worker on RunPod's worker protocol, announced by the gateway it calls. */
  external?: boolean;
  /** Epoch ms of its last beat. */
  at: number;
}

/**
 * The worker processes serving each queue, as they announce themselves: a hash per queue (under
 * the queue's hash tag) of worker id → its concurrency and active jobs, refreshed every few
 * seconds and removed when the worker stops. Counting processes this way is truthful on a Redis
 * Cluster, where connection lists only show one node's clients.
 */
export class WorkerPresences {
  constructor(private readonly redis: Redis) {}

  async announce(keys: QueueKeys, presence: Omit<WorkerPresence, 'at'>, now = Date.now()): Promise<void> {
    await this.redis.hset(keys.workers, presence.workerId, JSON.stringify({ ...presence, at: now }));
  }

  async withdraw(keys: QueueKeys, workerId: string): Promise<void> {
    await this.redis.hdel(keys.workers, workerId);
  }

  /** The workers that beat within the last three intervals; older entries (crashed workers) are removed. */
  async of(keys: QueueKeys, now = Date.now()): Promise<WorkerPresence[]> {
    const entries = Object.entries(await this.redis.hgetall(keys.workers));
    const presences = entries.map(([, value]) => JSON.parse(value) as WorkerPresence);
    const stale = presences.filter((presence) => now - presence.at > 3 * PRESENCE_INTERVAL_MS).map((presence) => presence.workerId);
    if (stale.length) await this.redis.hdel(keys.workers, ...stale);
    return presences.filter((presence) => !stale.includes(presence.workerId));
  }
}
