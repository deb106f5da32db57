import type { Redis } from 'ioredis';
import { INLINE_PAYLOADS, parseClaim, resolveStored, type BlobRef, type PayloadOffload } from './claim-check';
import { parseJobView, type JobEventType, type JobView } from './job-events';
import type { JobStatus } from './job-status';
import { toStorableText } from './json-shape';
import type { QueueKeys, RedisKeys } from './redis-keys';

/** A gateway falling this far behind its wake stream loses the oldest wake-ups (its waits then end by their timeouts). */
const WAKE_STREAM_MAX_LENGTH = 10_000;
/** The wake stream of a gateway that stopped reading it (it exited) goes away after this long without events. */
const WAKE_STREAM_IDLE_TTL_MS = 3_600_000;

/**
 * Applies one state change atomically: checks that the transition is allowed, updates the job's
 * view, numbers the event and appends it to the event stream. Final states are sticky, so a worker
 * that finishes after a cancel or a timeout cannot overwrite it; only `retried` leaves FAILED or
 * TIMED_OUT, and only `requeued` (a worker refused the job for lack of capacity) goes back from
 * IN_PROGRESS to IN_QUEUE. The latest progress value is kept in the view, so a status read needs
 * nothing else; each attempt starts without one. A queued job is listed as awaiting its queue
 * entry until a worker starts it or it ends, so a job whose entry was never added (its gateway
 * died in between) can be found.
 * Gateways waiting on a job are listed in its watchers hash (wake stream → `end` or `all`): each
 * event a watcher asked for is also appended to its wake stream, so a gateway reads the events of
 * the jobs it waits on and no others. A queued transition may register the first watcher. Every
 * key touched carries the queue's hash tag, so the script stays within one cluster slot.
 * Returns {1, seq, status, lostRuns} when applied, {0, status-or-"MISSING"} when refused;
 * `lostRuns` counts the runs of the job whose worker was lost mid-job (it was started again).
 */
const TRANSITION_SCRIPT = `
local view, events, chunks, stats, awaitingEnqueue, watchers = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local kind, now, payload, jobId, wakeStream, wakeMode = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local status = redis.call('HGET', view, 'status')
local final = { COMPLETED = true, FAILED = true, CANCELLED = true, TIMED_OUT = true }
local target = { queued = 'IN_QUEUE', retried = 'IN_QUEUE', requeued = 'IN_QUEUE', started = 'IN_PROGRESS',
  completed = 'COMPLETED', failed = 'FAILED', timed_out = 'TIMED_OUT', cancelled = 'CANCELLED' }

if kind == 'queued' then
  if status then return { 0, status } end
elseif not status then
  return { 0, 'MISSING' }
elseif kind == 'retried' then
  if status ~= 'FAILED' and status ~= 'TIMED_OUT' then return { 0, status } end
  redis.call('HDEL', view, 'output', 'error', 'startedAt', 'finishedAt', 'workerId', 'lostRuns')
  redis.call('DEL', chunks)
elseif kind == 'requeued' then
  if status ~= 'IN_PROGRESS' then return { 0, status } end
  redis.call('HDEL', view, 'startedAt', 'workerId')
  redis.call('HINCRBY', view, 'attempts', -1)
elseif final[status] then
  return { 0, status }
elseif (kind == 'progress' or kind == 'stream') and status ~= 'IN_PROGRESS' then
  return { 0, status }
end

-- The view's changes in one HSET: the caller's fields, then the status and progress.
local changes = { unpack(ARGV, 7) }
if target[kind] then table.insert(changes, 'status'); table.insert(changes, target[kind]) end
if kind == 'progress' then table.insert(changes, 'progress'); table.insert(changes, payload) end
if #changes > 0 then redis.call('HSET', view, unpack(changes)) end
if kind == 'started' then
  redis.call('HINCRBY', view, 'attempts', 1)
  redis.call('HDEL', view, 'progress')
  -- Started again while still in progress: the worker of the run before was lost mid-job.
  if status == 'IN_PROGRESS' then redis.call('HINCRBY', view, 'lostRuns', 1) end
end

-- The view is read once, whole, after its last change: the event carries it, and the rest of the script reads it.
local seq = redis.call('HINCRBY', view, 'seq', 1)
local entry = { 'ev_job', jobId, 'ev_seq', seq, 'ev_type', kind, 'ev_at', now }
if payload ~= '' then table.insert(entry, 'ev_payload'); table.insert(entry, payload) end
local fields = redis.call('HGETALL', view)
local current = {}
for i = 1, #fields, 2 do
  entry[#entry + 1] = fields[i]
  entry[#entry + 1] = fields[i + 1]
  current[fields[i]] = fields[i + 1]
end

local endpointId = (current.projectId or 'default') .. ':' .. current.endpointId -- stats per project and endpoint
if kind == 'retried' then redis.call('HINCRBY', stats, endpointId .. ':RETRIED', 1) end
if final[target[kind] or ''] then redis.call('HINCRBY', stats, endpointId .. ':' .. target[kind], 1) end

local expiresAt = tonumber(current.expiresAt)
if kind == 'queued' then redis.call('ZADD', awaitingEnqueue, now, jobId) end
if kind == 'started' or final[target[kind] or ''] then redis.call('ZREM', awaitingEnqueue, jobId) end
if kind == 'queued' or kind == 'retried' then
  redis.call('PEXPIREAT', view, expiresAt)
  if wakeStream ~= '' then
    redis.call('HSET', watchers, wakeStream, wakeMode)
    redis.call('PEXPIREAT', watchers, expiresAt)
  end
elseif final[target[kind] or ''] then
  local keep = math.max(math.min(expiresAt - tonumber(now), tonumber(current.retentionMs)), 1)
  redis.call('PEXPIRE', view, keep)
  redis.call('PEXPIRE', chunks, keep)
end
if kind == 'stream' then
  redis.call('RPUSH', chunks, payload)
  redis.call('PEXPIREAT', chunks, expiresAt)
end
redis.call('XADD', events, '*', unpack(entry))

local watching = redis.call('HGETALL', watchers)
if #watching > 0 then
  local ended = final[target[kind] or ''] or false
  for i = 1, #watching, 2 do
    if watching[i + 1] == 'all' or ended or kind == 'requeued' then
      redis.call('XADD', watching[i], 'MAXLEN', '~', ${WAKE_STREAM_MAX_LENGTH}, '*', unpack(entry))
      redis.call('PEXPIRE', watching[i], ${WAKE_STREAM_IDLE_TTL_MS})
    end
  end
  -- An ended job has nothing more to wake anyone for; a retry is watched anew.
  if ended then redis.call('DEL', watchers) end
end
return { 1, seq, current.status, tonumber(current.lostRuns or '0') }
`;

/**
 * Adds a watcher to a job that has not ended: `all` (every event) is never lowered to `end` (final
 * and requeued events only), since another request of the same gateway may follow the job.
 * Returns 0 when the job is missing or has ended, so there is nothing to wait for.
 */
const WATCH_SCRIPT = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status or status == 'COMPLETED' or status == 'FAILED' or status == 'CANCELLED' or status == 'TIMED_OUT' then return 0 end
if ARGV[2] == 'all' or redis.call('HGET', KEYS[2], ARGV[1]) ~= 'all' then redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
redis.call('PEXPIREAT', KEYS[2], redis.call('HGET', KEYS[1], 'expiresAt'))
return 1
`;

/** Removes and returns the stream chunks produced since the last call (RunPod's /stream semantics). */
const DRAIN_CHUNKS_SCRIPT = `
local items = redis.call('LRANGE', KEYS[1], 0, -1)
if #items > 0 then redis.call('DEL', KEYS[1]) end
return items
`;

/** Where a gateway wants a job's events: its wake stream, and whether it wants every event or only the end (and refusals). */
export interface WakeRegistration {
  stream: string;
  mode: 'end' | 'all';
}

export type TransitionResult =
  | { applied: true; seq: number; status: JobStatus; /** Earlier runs whose worker was lost mid-job. */ lostRuns: number }
  | { applied: false; status: JobStatus | 'MISSING' };

/** A queued job's transition, with where its input went when it was too large to travel inline. */
export type QueueResult = TransitionResult & { inputBlob?: BlobRef };

export interface NewJob {
  id: string;
  /** The project (tenant) whose keys may see the job. */
  projectId: string;
  endpointId: string;
  queue: string;
  createdAt: number;
  expiresAt: number;
  retentionMs: number;
  executionTimeout: number;
  lowPriority: boolean;
  webhook?: string;
  apiKeyId?: string;
  /** The backend the router chose; absent where the endpoint has only its local queue. */
  backend?: string;
  routeNote?: string;
  input: unknown;
}

interface TransitionCommand {
  jobTransition(
    view: string,
    events: string,
    chunks: string,
    stats: string,
    awaitingEnqueue: string,
    watchers: string,
    kind: string,
    now: number,
    payload: string,
    jobId: string,
    wakeStream: string,
    wakeMode: string,
    ...fields: (string | number)[]
  ): Promise<[number, string | number, string?, number?]>;
  jobWatch(view: string, watchers: string, wakeStream: string, wakeMode: string): Promise<number>;
  jobDrainChunks(chunks: string): Promise<string[]>;
}

/**
 * Teaches the client the state store's scripts. An auto-pipelining client copies its commands into
 * each pipeline it opens, so a command defined while one is open is missing from it (ioredis then
 * loses track of the pipeline's replies): define them before the client's first command.
 */
function defineStateCommands(redis: Redis): Redis & TransitionCommand {
  if (!('jobTransition' in redis)) {
    redis.defineCommand('jobTransition', { numberOfKeys: 6, lua: TRANSITION_SCRIPT });
    redis.defineCommand('jobWatch', { numberOfKeys: 2, lua: WATCH_SCRIPT });
    redis.defineCommand('jobDrainChunks', { numberOfKeys: 1, lua: DRAIN_CHUNKS_SCRIPT });
  }
  return redis as Redis & TransitionCommand;
}

/**
 * The live state of one queue's jobs in Redis and the only writer of their events. Inputs, outputs and stream
 * chunks over the claim-check threshold go to `payloads` (a blob store) on their way in, so the
 * view, the events and everything that reads them carry only a reference ({@link parseClaim}).
 */
export class JobStateStore {
  private readonly redis: Redis & TransitionCommand;

  constructor(
    redis: Redis,
    /** The keys of the queue whose jobs this store holds: its jobs' views share the queue's hash tag with its event stream. */
    readonly keys: QueueKeys,
    private readonly clock: () => number = Date.now,
    readonly payloads: PayloadOffload = INLINE_PAYLOADS,
  ) {
    this.redis = defineStateCommands(redis);
  }

  async get(jobId: string): Promise<JobView | undefined> {
    const fields = await this.redis.hgetall(this.keys.jobView(jobId));
    return fields.status ? parseJobView(fields) : undefined;
  }

  /** Records a new job; `wake` registers its first watcher in the same step. */
  async queue(job: NewJob, wake?: WakeRegistration): Promise<QueueResult> {
    const fields: (string | number)[] = [
      'id',
      job.id,
      'projectId',
      job.projectId,
      'endpointId',
      job.endpointId,
      'queue',
      job.queue,
      'createdAt',
      job.createdAt,
      'expiresAt',
      job.expiresAt,
      'retentionMs',
      job.retentionMs,
      'executionTimeout',
      job.executionTimeout,
      'lowPriority',
      job.lowPriority ? 1 : 0,
      'attempts',
      0,
    ];
    if (job.webhook) fields.push('webhook', job.webhook);
    if (job.apiKeyId) fields.push('apiKeyId', job.apiKeyId);
    if (job.backend) fields.push('backend', job.backend);
    if (job.routeNote) fields.push('routeNote', toStorableText(job.routeNote));
    const input = await this.payloads.offload(JSON.stringify(job.input ?? null), 'input', job.expiresAt);
    const result = await this.transition(job.id, 'queued', input, fields, job.createdAt, wake);
    const inputBlob = parseClaim(input);
    return inputBlob ? { ...result, inputBlob } : result;
  }

  start(jobId: string, workerId: string): Promise<TransitionResult> {
    const now = this.clock();
    return this.transition(jobId, 'started', '', ['startedAt', now, 'workerId', workerId], now);
  }

  progress(jobId: string, value: unknown): Promise<TransitionResult> {
    return this.transition(jobId, 'progress', JSON.stringify(value ?? null), []);
  }

  async appendChunk(jobId: string, chunk: unknown): Promise<TransitionResult> {
    return this.transition(jobId, 'stream', await this.offload(jobId, JSON.stringify(chunk ?? null), 'stream'), []);
  }

  async complete(jobId: string, output: unknown): Promise<TransitionResult> {
    const stored = await this.offload(jobId, JSON.stringify(output ?? null), 'output');
    const now = this.clock();
    return this.transition(jobId, 'completed', '', ['finishedAt', now, 'output', stored], now);
  }

  fail(jobId: string, error: string): Promise<TransitionResult> {
    return this.finish(jobId, 'failed', error);
  }

  timeOut(jobId: string, error: string): Promise<TransitionResult> {
    return this.finish(jobId, 'timed_out', error);
  }

  cancel(jobId: string): Promise<TransitionResult> {
    return this.finish(jobId, 'cancelled');
  }

  retry(jobId: string): Promise<TransitionResult> {
    return this.transition(jobId, 'retried', '', []);
  }

  /**
   * A worker refused the running job for lack of capacity, or handed it on: it waits in a queue
   * again. `resumes` says the job goes on by itself (rerouted to another backend, or handed to
   * another relay), so a runsync waiting on it keeps waiting instead of answering 503; `reroute`
   * names the backend it waits for now, and why.
   */
  requeue(
    jobId: string,
    reason: string,
    retryAfterMs: number,
    { resumes = false, reroute }: { resumes?: boolean; reroute?: { backend: string; routeNote: string } } = {},
  ): Promise<TransitionResult> {
    const fields = reroute ? ['backend', reroute.backend, 'routeNote', toStorableText(reroute.routeNote)] : [];
    const payload = { reason: toStorableText(reason), retryAfterMs, ...(resumes || reroute ? { resumes: true } : {}) };
    return this.transition(jobId, 'requeued', JSON.stringify(payload), fields);
  }

  /** Has the job's events that `wake` asks for appended to its stream from now on; false when the job is missing or has ended. */
  async watch(jobId: string, wake: WakeRegistration): Promise<boolean> {
    return (await this.redis.jobWatch(this.keys.jobView(jobId), this.keys.jobWatchers(jobId), wake.stream, wake.mode)) === 1;
  }

  /** Ids of jobs queued before `before` (epoch ms) that no worker has started yet and that have not ended. */
  async awaitingEnqueue(before: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.awaitingEnqueue, '-inf', before, 'LIMIT', 0, limit);
  }

  /** Stops listing jobs whose queue entry is known to exist. */
  async enqueueConfirmed(jobIds: readonly string[]): Promise<void> {
    if (jobIds.length) await this.redis.zrem(this.keys.awaitingEnqueue, ...jobIds);
  }

  /** Jobs of a project that reached each final status (and retries), per endpoint, since Redis was last emptied. */
  async finishedCounts(projectId: string, endpointId: string): Promise<Record<'COMPLETED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT' | 'RETRIED', number>> {
    const names = ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'RETRIED'] as const;
    const values = await this.redis.hmget(this.keys.jobStats, ...names.map((name) => `${projectId}:${endpointId}:${name}`));
    return Object.fromEntries(names.map((name, i) => [name, Number(values[i] ?? 0)])) as Record<(typeof names)[number], number>;
  }

  /** The chunks produced since the last call, with those held in the blob store fetched. */
  async drainChunks(jobId: string): Promise<unknown[]> {
    const items = await this.redis.jobDrainChunks(this.keys.jobChunks(jobId));
    return Promise.all(items.map(async (item) => JSON.parse(await resolveStored(item, this.payloads))));
  }

  /** Sends a large value to the blob store, to expire with its job; a job that is gone keeps it inline (the transition is refused anyway). */
  private async offload(jobId: string, json: string, field: string): Promise<string> {
    // Most values are small: they cost no look-up of the expiry.
    if (this.payloads.keepsInline(json)) return json;
    const expiresAt = Number(await this.redis.hget(this.keys.jobView(jobId), 'expiresAt'));
    return Number.isFinite(expiresAt) && expiresAt > 0 ? this.payloads.offload(json, field, expiresAt) : json;
  }

  private finish(jobId: string, kind: JobEventType, error?: string): Promise<TransitionResult> {
    const now = this.clock();
    const fields: (string | number)[] = ['finishedAt', now];
    if (error !== undefined) fields.push('error', toStorableText(error));
    return this.transition(jobId, kind, '', fields, now);
  }

  private async transition(
    jobId: string,
    kind: JobEventType,
    payload: string,
    fields: (string | number)[],
    now = this.clock(),
    wake?: WakeRegistration,
  ): Promise<TransitionResult> {
    const [applied, seqOrStatus, status, lostRuns] = await this.redis.jobTransition(
      this.keys.jobView(jobId),
      this.keys.events,
      this.keys.jobChunks(jobId),
      this.keys.jobStats,
      this.keys.awaitingEnqueue,
      this.keys.jobWatchers(jobId),
      kind,
      now,
      payload,
      jobId,
      wake?.stream ?? '',
      wake?.mode ?? '',
      ...fields,
    );
    return applied === 1
      ? { applied: true, seq: Number(seqOrStatus), status: status as JobStatus, lostRuns: lostRuns ?? 0 }
      : { applied: false, status: seqOrStatus as JobStatus | 'MISSING' };
  }
}

/** One JobStateStore per queue, on one connection: a job's state lives with its queue's keys. */
export class JobStateStores {
  private readonly stores = new Map<string, JobStateStore>();

  constructor(
    readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly payloads: PayloadOffload = INLINE_PAYLOADS,
    private readonly clock: () => number = Date.now,
  ) {
    // The stores of each queue are made on first use, which may be while a pipeline is open.
    defineStateCommands(redis);
  }

  of(queue: string): JobStateStore {
    let store = this.stores.get(queue);
    if (!store) this.stores.set(queue, (store = new JobStateStore(this.redis, this.keys.queue(queue), this.clock, this.payloads)));
    return store;
  }
}
