import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Job, UnrecoverableError, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { BlobClaimCheck } from '@switchyard/blobs';
import {
  ConfigError,
  connectRedis,
  EndpointRegistry,
  isFinalStatus,
  JobStateStores,
  RedisKeys,
  WorkerPresences,
  type JobEnvelope,
  type Logger,
  type QueueContract,
  type QueueKeys,
} from '@switchyard/shared';
import { checkedOutput, claimJob, DEFAULT_JOB_RUNNER_OPTIONS, describeError, ExecutionTimeoutError, resolveClaimCheckedInput } from '@switchyard/worker';
import type { GatewayConfig } from '../config';
import { ConflictError, NotFoundError } from '../http/api-errors';
import { BullMq } from '../infra/bullmq';
import { CONFIG, LOGGER, REDIS } from '../infra/tokens';
import { ExternalHolds, type ExternalHold } from './external-holds';
import { ConcurrentTakeError, TooManyWorkersError, WorkerAtCapacityError } from './worker-protocol-errors';
import type { WorkerReport } from './worker-report';

/** How often a waiting take or job-stop poll looks again. */
const POLL_INTERVAL_MS = 200;
/** How often held jobs are checked against their execution timeouts. */
const TIMEOUT_SWEEP_MS = 1_000;
/** Beyond its wait, what a take may need to claim its jobs: the bound of its one-take-at-a-time marker, should its gateway die mid-take. */
const TAKE_MARGIN_MS = 10_000;
/** A stop notice lives this long unheard: longer than any worker waits between job-stop polls. */
const STOP_NOTICE_TTL_MS = 3_600_000;

/** A job as the worker protocol hands it out: RunPod's job body. */
export interface ExternalJob {
  id: string;
  input: unknown;
}

interface ExternalEndpoint {
  endpointId: string;
  contract: QueueContract;
  keys: QueueKeys;
  /** Jobs one external worker may hold at once (WORKER_PROTOCOL_ENDPOINTS). */
  jobsPerWorker: number;
  /** External workers that may take its jobs at once (WORKER_PROTOCOL_MAX_WORKERS); no limit when absent. */
  maxWorkers?: number;
}

/**
 * The platform's side of RunPod's worker protocol: external workers (runpod-python images) take
 * jobs of the endpoints WORKER_PROTOCOL_ENDPOINTS opens, from the same BullMQ queues native workers
 * work, and report through the same JobStateStore. A take moves a job to active under a lock token
 * of its own (BullMQ's manual processing); the worker's pings renew the lock, and a worker that stops
 * pinging loses the job to BullMQ's stalled check, which puts it back in its queue. Execution
 * timeouts and cancellations end the job here, at once; the worker hears of it on job-stop, and its
 * late posts change nothing. What a worker holds is in Redis, so any api gateway answers its posts.
 */
@Injectable()
export class ExternalWorkers implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly endpoints = new Map<string, ExternalEndpoint>();
  private readonly takers = new Map<string, Worker<JobEnvelope>>();
  private readonly holds: ExternalHolds;
  private readonly presences: WorkerPresences;
  private subscriber?: Redis;
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(REDIS) redis: Redis,
    private readonly keys: RedisKeys,
    registry: EndpointRegistry,
    private readonly bullMq: BullMq,
    private readonly stores: JobStateStores,
    private readonly claimCheck: BlobClaimCheck,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.holds = new ExternalHolds(redis);
    this.presences = new WorkerPresences(redis);
    for (const [endpointId, jobsPerWorker] of Object.entries(config.WORKER_PROTOCOL_ENDPOINTS)) {
      const contract = registry.find(endpointId);
      if (!contract)
        throw new ConfigError(`WORKER_PROTOCOL_ENDPOINTS names "${endpointId}", which is no endpoint (an endpoint of your own needs EXTERNAL_ENDPOINTS too)`);
      const maxWorkers = config.WORKER_PROTOCOL_MAX_WORKERS[endpointId];
      this.endpoints.set(endpointId, { endpointId, contract, keys: keys.queue(contract.queue), jobsPerWorker, ...(maxWorkers && { maxWorkers }) });
    }
    for (const endpointId of Object.keys(config.WORKER_PROTOCOL_MAX_WORKERS)) {
      if (!this.endpoints.has(endpointId))
        throw new ConfigError(`WORKER_PROTOCOL_MAX_WORKERS names "${endpointId}", which WORKER_PROTOCOL_ENDPOINTS does not open`);
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.endpoints.size === 0) return;
    for (const { contract } of this.endpoints.values()) {
      if (this.takers.has(contract.queue)) continue;
      const taker = this.bullMq.manualWorker<JobEnvelope>(contract.queue, {
        lockDuration: this.config.WORKER_PROTOCOL_LOCK_MS,
        stalledInterval: Math.max(1_000, Math.round(this.config.WORKER_PROTOCOL_LOCK_MS / 2)),
        maxStalledCount: 3,
      });
      taker.on('error', (error) => this.logger.error({ err: error, queue: contract.queue }, 'worker protocol taker error'));
      // Without run(), BullMQ checks for stalled jobs only when asked to: external workers' jobs need it even where no native worker runs.
      void taker.startStalledCheckTimer().catch((error: unknown) => this.logger.error({ err: error }, 'stalled check stopped'));
      this.takers.set(contract.queue, taker);
    }
    await this.listenForCancellations();
    this.sweepTimer = setInterval(
      () => void this.endTimedOutJobs().catch((error: unknown) => this.logger.warn({ err: error }, 'timeout sweep failed')),
      TIMEOUT_SWEEP_MS,
    );
    this.sweepTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.subscriber?.quit().catch(() => undefined);
  }

  /**
   * Takes up to `count` jobs for the worker, waiting a moment when none is there; none at all
   * when none came. A worker that says it runs nothing (`job_in_progress=0`) has lost whatever it
   * held before (it restarted): those holds are forgotten, and their jobs return with their locks.
   * A worker takes one take at a time (as the SDK does): concurrent takes could each see room and
   * together hold more than the worker may, so a second one is refused.
   */
  async take(endpointId: string, workerId: string, count: number, jobsInProgress: boolean, clientGone: AbortSignal): Promise<ExternalJob[]> {
    const endpoint = this.endpoint(endpointId);
    await this.admit(endpoint, workerId);
    const takeLimitMs = this.config.WORKER_PROTOCOL_TAKE_WAIT_MS + TAKE_MARGIN_MS;
    if (!(await this.holds.beginTake(endpoint.keys, workerId, takeLimitMs))) throw new ConcurrentTakeError(endpointId, workerId);
    try {
      return await this.takeFor(endpoint, workerId, count, jobsInProgress, clientGone);
    } finally {
      await this.holds.endTake(endpoint.keys, workerId);
    }
  }

  private async takeFor(endpoint: ExternalEndpoint, workerId: string, count: number, jobsInProgress: boolean, clientGone: AbortSignal): Promise<ExternalJob[]> {
    const endpointId = endpoint.endpointId;
    let held = await this.holds.heldBy(endpoint.keys, workerId);
    if (!jobsInProgress && held.length > 0) {
      await Promise.all(held.map((hold) => this.holds.release(endpoint.keys, hold)));
      held = [];
    }
    const room = endpoint.jobsPerWorker - held.length;
    if (room <= 0) throw new WorkerAtCapacityError(endpointId, workerId, endpoint.jobsPerWorker);
    const wanted = Math.min(count, room);
    const until = Date.now() + this.config.WORKER_PROTOCOL_TAKE_WAIT_MS;
    const jobs: ExternalJob[] = [];
    while (!clientGone.aborted) {
      while (jobs.length < wanted && !clientGone.aborted) {
        const job = await this.takeOne(endpoint, workerId);
        if (!job) break;
        jobs.push(job);
      }
      if (jobs.length > 0 || Date.now() + POLL_INTERVAL_MS > until) break;
      await sleep(POLL_INTERVAL_MS, undefined, { signal: clientGone }).catch(() => undefined);
    }
    // A worker killed during its long poll would otherwise hold the jobs its take claimed until their locks ran out, a lost run each.
    if (clientGone.aborted) {
      await Promise.all(jobs.map((job) => this.giveBack(endpoint, job.id)));
      return [];
    }
    await this.announce(endpoint, workerId, held.length + jobs.length);
    return jobs;
  }

  /** A done post: the job's output, its error, or (RunPod's progress update) its progress. */
  async report(endpointId: string, workerId: string, jobId: string, report: WorkerReport): Promise<void> {
    const endpoint = this.endpoint(endpointId);
    const hold = await this.heldHold(endpoint, workerId, jobId);
    if (!hold) return;
    const store = this.stores.of(endpoint.contract.queue);
    if (report.kind === 'progress') {
      await store.progress(jobId, report.value);
      await this.renewLock(endpoint, hold);
      return;
    }
    const outcome = report.kind === 'error' ? { failure: report.error } : this.checkOutput(endpoint.contract, report.output);
    if ('failure' in outcome) await store.fail(jobId, outcome.failure);
    else await store.complete(jobId, outcome.output);
    await this.end(endpoint, hold, 'failure' in outcome ? outcome.failure : undefined);
  }

  /** A stream post: one chunk of the job's stream. */
  async appendChunk(endpointId: string, workerId: string, jobId: string, chunk: unknown): Promise<void> {
    const endpoint = this.endpoint(endpointId);
    const hold = await this.heldHold(endpoint, workerId, jobId);
    if (!hold) return;
    await this.stores.of(endpoint.contract.queue).appendChunk(jobId, chunk);
    await this.renewLock(endpoint, hold);
  }

  /** A heartbeat: renews the locks of the listed jobs the worker holds, and its presence. */
  async ping(endpointId: string, workerId: string, jobIds: readonly string[]): Promise<void> {
    const endpoint = this.endpoint(endpointId);
    await this.admit(endpoint, workerId);
    const held = await this.holds.heldBy(endpoint.keys, workerId);
    const listed = new Set(jobIds);
    await Promise.all(held.filter((hold) => listed.has(hold.jobId)).map((hold) => this.renewLock(endpoint, hold)));
    await this.announce(endpoint, workerId, held.length);
  }

  /** Keeps the job the worker's for another WORKER_PROTOCOL_LOCK_MS: a ping naming it, or an in-progress post (progress, a chunk). */
  private async renewLock(endpoint: ExternalEndpoint, hold: ExternalHold): Promise<void> {
    const job = await Job.fromId<JobEnvelope>(this.bullMq.queue(endpoint.contract.queue), hold.jobId);
    await job?.extendLock(hold.token, this.config.WORKER_PROTOCOL_LOCK_MS).catch((error: unknown) => {
      this.logger.warn({ err: error, jobId: hold.jobId, workerId: hold.workerId }, 'an external worker reported on a job whose lock it had lost');
    });
  }

  /** Refuses a worker new to the endpoint once WORKER_PROTOCOL_MAX_WORKERS others take its jobs (checked at each take, so concurrent newcomers may pass it by one each). */
  private async admit(endpoint: ExternalEndpoint, workerId: string): Promise<void> {
    if (endpoint.maxWorkers === undefined) return;
    const others = (await this.presences.of(endpoint.keys)).filter((presence) => presence.external && presence.workerId !== workerId);
    if (others.length >= endpoint.maxWorkers) throw new TooManyWorkersError(endpoint.endpointId, endpoint.maxWorkers);
  }

  /** The jobs the platform ended under the worker (cancelled, timed out), waiting a moment when there are none. */
  async jobsToStop(endpointId: string, workerId: string): Promise<string[]> {
    const endpoint = this.endpoint(endpointId);
    const until = Date.now() + this.config.WORKER_PROTOCOL_TAKE_WAIT_MS;
    for (;;) {
      const jobIds = await this.holds.takeStops(endpoint.keys, workerId);
      if (jobIds.length > 0 || Date.now() + POLL_INTERVAL_MS > until) return jobIds;
      await sleep(POLL_INTERVAL_MS);
    }
  }

  private endpoint(endpointId: string): ExternalEndpoint {
    const endpoint = this.endpoints.get(endpointId);
    if (!endpoint) throw new NotFoundError(`Endpoint "${endpointId}" for external workers (see WORKER_PROTOCOL_ENDPOINTS)`, 'endpointId');
    return endpoint;
  }

  /** Claims the oldest waiting job for the worker, as a native worker would; jobs that ended while queued are passed over. */
  private async takeOne(endpoint: ExternalEndpoint, workerId: string): Promise<ExternalJob | undefined> {
    const taker = this.takers.get(endpoint.contract.queue)!;
    const store = this.stores.of(endpoint.contract.queue);
    for (;;) {
      const token = `${workerId}:${randomUUID()}`;
      const job = await taker.getNextJob(token, { block: false });
      if (!job?.id) return undefined;
      try {
        await resolveClaimCheckedInput(job, store, this.claimCheck);
      } catch (error) {
        await job.moveToFailed(error as Error, token, false);
        continue;
      }
      const claim = await claimJob(store, job.id, workerId, DEFAULT_JOB_RUNNER_OPTIONS.maxLostRuns);
      if (claim.outcome === 'skipped') {
        await job.moveToCompleted(null, token, false);
        continue;
      }
      if (claim.outcome === 'lost') {
        await job.moveToFailed(new UnrecoverableError(claim.error.message), token, false);
        continue;
      }
      const timeoutMs = job.data.policy.executionTimeout;
      await this.holds.hold(endpoint.keys, { jobId: job.id, workerId, token, ...(timeoutMs ? { timeoutMs, deadline: Date.now() + timeoutMs } : {}) });
      return { id: job.id, input: job.data.input };
    }
  }

  /**
   * The worker's hold of the job, or undefined for a post that changes nothing: a duplicate or late
   * post for a job that has ended. A job that has not ended and is not the worker's is refused.
   */
  private async heldHold(endpoint: ExternalEndpoint, workerId: string, jobId: string): Promise<ExternalHold | undefined> {
    const hold = await this.holds.of(endpoint.keys, jobId);
    if (hold?.workerId === workerId) return hold;
    const view = await this.stores.of(endpoint.contract.queue).get(jobId);
    if (view && isFinalStatus(view.status)) return undefined;
    if (hold) throw new ConflictError(`Job ${jobId} is held by another worker: this worker lost it (it stopped pinging)`, 'jobId');
    throw new NotFoundError(`Job ${jobId} held by worker ${workerId}`, 'jobId');
  }

  /** The job's output, checked as a native worker's is (RunPod's `{error}` convention, the contract's output schema), or why it fails the job. */
  private checkOutput(contract: QueueContract, output: unknown): { output: unknown } | { failure: string } {
    try {
      return { output: checkedOutput(contract, output) };
    } catch (error) {
      return { failure: describeError(error, { traceback: false }) };
    }
  }

  /** Ends the worker's hold and its BullMQ entry; false when another post or gateway ended it first. */
  private async end(endpoint: ExternalEndpoint, hold: ExternalHold, failure?: string): Promise<boolean> {
    if (!(await this.release(endpoint, hold))) return false;
    const job = await Job.fromId<JobEnvelope>(this.bullMq.queue(endpoint.contract.queue), hold.jobId);
    // The entry only mirrors the job's state, already recorded: one whose lock was lost meanwhile is passed over by its next taker.
    await (
      failure === undefined ? job?.moveToCompleted(null, hold.token, false) : job?.moveToFailed(new UnrecoverableError(failure), hold.token, false)
    )?.catch((error: unknown) => this.logger.warn({ err: error, jobId: hold.jobId }, 'the queue entry of an external job could not be ended'));
    return true;
  }

  /** Puts a job taken for a worker that went away before it heard of it back at the head of its queue, as not started. */
  private async giveBack(endpoint: ExternalEndpoint, jobId: string): Promise<void> {
    const hold = await this.holds.of(endpoint.keys, jobId);
    if (!hold || !(await this.release(endpoint, hold))) return;
    await this.stores.of(endpoint.contract.queue).requeue(jobId, 'its worker went away before its take was answered', 0);
    const job = await Job.fromId<JobEnvelope>(this.bullMq.queue(endpoint.contract.queue), jobId);
    await job?.moveToWait(hold.token);
  }

  /** Releases the hold, and has the worker's presence count the jobs it still holds, as a native worker's counts them when a job ends. */
  private async release(endpoint: ExternalEndpoint, hold: ExternalHold): Promise<boolean> {
    const stillHeld = await this.holds.release(endpoint.keys, hold);
    if (stillHeld === undefined) return false;
    await this.announce(endpoint, hold.workerId, stillHeld);
    return true;
  }

  /** Ends a job the platform stopped (already recorded as cancelled or timed out) and tells its worker at its next job-stop poll. */
  private async stop(endpoint: ExternalEndpoint, hold: ExternalHold, reason: string): Promise<void> {
    if (await this.end(endpoint, hold, reason)) await this.holds.stop(endpoint.keys, hold, STOP_NOTICE_TTL_MS);
  }

  private async endTimedOutJobs(now = Date.now()): Promise<void> {
    for (const endpoint of this.endpoints.values()) {
      const store = this.stores.of(endpoint.contract.queue);
      for (const hold of await this.holds.all(endpoint.keys)) {
        if (hold.deadline === undefined || hold.deadline > now) continue;
        const timedOut = new ExecutionTimeoutError(hold.timeoutMs ?? 0);
        await store.timeOut(hold.jobId, timedOut.message);
        await this.stop(endpoint, hold, timedOut.message);
      }
    }
  }

  private async listenForCancellations(): Promise<void> {
    this.subscriber = connectRedis(this.config.REDIS_URL, 'blocking', 'gateway:worker-protocol:cancellations');
    this.subscriber.on('message', (_channel: string, jobId: string) => {
      void this.stopCancelled(jobId).catch((error: unknown) => this.logger.warn({ err: error, jobId }, 'a cancelled external job could not be stopped'));
    });
    await this.subscriber.subscribe(this.keys.cancellations);
  }

  private async stopCancelled(jobId: string): Promise<void> {
    for (const endpoint of new Map([...this.endpoints.values()].map((endpoint) => [endpoint.contract.queue, endpoint])).values()) {
      const hold = await this.holds.of(endpoint.keys, jobId);
      if (hold) await this.stop(endpoint, hold, 'Job was cancelled');
    }
  }

  /** Counts the external worker among the queue's workers, for the router and /health, as native workers announce themselves. */
  private announce(endpoint: ExternalEndpoint, workerId: string, active: number): Promise<void> {
    return this.presences.announce(endpoint.keys, { workerId, concurrency: endpoint.jobsPerWorker, active, external: true });
  }
}
