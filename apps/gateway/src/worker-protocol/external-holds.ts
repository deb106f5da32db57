import type { Redis } from 'ioredis';
import type { QueueKeys } from '@switchyard/shared';

/**
 * Removes a hold when it still carries the given lock token, answering how many jobs the worker's
 * index still lists (-1 when the hold was not that one); the index loses the job either way.
 */
const RELEASE_SCRIPT = `
local held = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[1])
if not held or cjson.decode(held).token ~= ARGV[2] then return -1 end
redis.call('HDEL', KEYS[1], ARGV[1])
return redis.call('SCARD', KEYS[2])
`;

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

  /** Records the hold; a job taken again after its worker was lost changes hands here. */
  async hold(keys: QueueKeys, hold: ExternalHold): Promise<void> {
    await this.redis.multi().hset(keys.externalHolds, hold.jobId, JSON.stringify(hold)).sadd(keys.externalHeldBy(hold.workerId), hold.jobId).exec();
  }

  async of(keys: QueueKeys, jobId: string): Promise<ExternalHold | undefined> {
    const value = await this.redis.hget(keys.externalHolds, jobId);
    return value ? (JSON.parse(value) as ExternalHold) : undefined;
  }

  async all(keys: QueueKeys): Promise<ExternalHold[]> {
    return Object.values(await this.redis.hgetall(keys.externalHolds)).map((value) => JSON.parse(value) as ExternalHold);
  }

  /** The worker's holds, from its index; ids whose job ended or changed hands leave the index here. */
  async heldBy(keys: QueueKeys, workerId: string): Promise<ExternalHold[]> {
    const jobIds = await this.redis.smembers(keys.externalHeldBy(workerId));
    if (jobIds.length === 0) return [];
    const values = await this.redis.hmget(keys.externalHolds, ...jobIds);
    const holds = values.map((value) => (value ? (JSON.parse(value) as ExternalHold) : undefined));
    const stale = jobIds.filter((_, index) => holds[index]?.workerId !== workerId);
    if (stale.length > 0) await this.redis.srem(keys.externalHeldBy(workerId), ...stale);
    return holds.filter((hold): hold is ExternalHold => hold?.workerId === workerId);
  }

  /**
   * Ends a hold if it is still the one given (same lock token): for the one caller that ended it,
   * the jobs the worker still holds (its index may still list a job that changed hands, until
   * `heldBy` reads it); undefined for the others, so concurrent posts of one result move the job
   * once, and a job that changed hands meanwhile keeps its new holder.
   */
  async release(keys: QueueKeys, hold: ExternalHold): Promise<number | undefined> {
    const stillHeld = (await this.redis.eval(RELEASE_SCRIPT, 2, keys.externalHolds, keys.externalHeldBy(hold.workerId), hold.jobId, hold.token)) as number;
    return stillHeld < 0 ? undefined : stillHeld;
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
