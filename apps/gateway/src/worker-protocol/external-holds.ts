import type { Redis } from 'ioredis';
import type { QueueKeys } from '@switchyard/shared';

/** A job an external worker took over the worker protocol and has not yet ended. */
export interface ExternalHold {
  jobId: string;
  workerId: string;
  /** The BullMQ lock token the job was taken with: every later move of the job needs it. */
  token: string;
  /** The job's execution timeout, and the epoch ms when it ends the job; undefined: no limit. */
  timeoutMs?: number;
  deadline?: number;
}

/**
 * The jobs external workers hold, in Redis (under the queue's hash tag) so that any gateway of the
 * `api` role answers a worker's posts, whichever one its take reached; and, per worker, the jobs
 * the platform ended under it, for its job-stop poll.
 */
export class ExternalHolds {
  constructor(private readonly redis: Redis) {}

  async hold(keys: QueueKeys, hold: ExternalHold): Promise<void> {
    await this.redis.hset(keys.externalHolds, hold.jobId, JSON.stringify(hold));
  }

  async of(keys: QueueKeys, jobId: string): Promise<ExternalHold | undefined> {
    const value = await this.redis.hget(keys.externalHolds, jobId);
    return value ? (JSON.parse(value) as ExternalHold) : undefined;
  }

  async all(keys: QueueKeys): Promise<ExternalHold[]> {
    return Object.values(await this.redis.hgetall(keys.externalHolds)).map((value) => JSON.parse(value) as ExternalHold);
  }

  async heldBy(keys: QueueKeys, workerId: string): Promise<ExternalHold[]> {
    return (await this.all(keys)).filter((hold) => hold.workerId === workerId);
  }

  /** Ends a hold; true for the one caller that ended it, so concurrent posts of one result move the job once. */
  async release(keys: QueueKeys, jobId: string): Promise<boolean> {
    return (await this.redis.hdel(keys.externalHolds, jobId)) === 1;
  }

  /** Marks a take of the worker's as under way, for `ttlMs` at most; false when one already is. */
  async beginTake(keys: QueueKeys, workerId: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(keys.externalTake(workerId), '1', 'PX', ttlMs, 'NX')) === 'OK';
  }

  async endTake(keys: QueueKeys, workerId: string): Promise<void> {
    await this.redis.del(keys.externalTake(workerId));
  }

  /** Tells the job's worker, at its next job-stop poll, to stop running it. */
  async stop(keys: QueueKeys, hold: ExternalHold, ttlMs: number): Promise<void> {
    const stops = keys.externalStops(hold.workerId);
    await this.redis.multi().sadd(stops, hold.jobId).pexpire(stops, ttlMs).exec();
  }

  /** The jobs the worker must stop, each answered once. */
  async takeStops(keys: QueueKeys, workerId: string): Promise<string[]> {
    const stops = keys.externalStops(workerId);
    const [[, jobIds]] = (await this.redis.multi().smembers(stops).del(stops).exec()) as [[unknown, string[]], [unknown, number]];
    return jobIds;
  }
}
