import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  connectRedis,
  INLINE_PAYLOADS,
  JobStateStores,
  PRESENCE_INTERVAL_MS,
  WorkerPresences,
  type JobStateStore,
  openSecret,
  RedisKeys,
  type JobEnvelope,
  type Logger,
  type PayloadOffload,
  type QueueContract,
  type RedisRole,
} from '@switchyard/shared';
import type { JobContext } from './job-context';
import { describeError } from './job-errors';
import { CallerBucketError, uploadFileOutputs, type CallerS3Config } from '@switchyard/blobs';
import { AddressPolicy } from '@switchyard/outbound';
import { messagePatternHandler } from './handler-execution';
import { resolveClaimCheckedInput } from './job-claim';
import { DEFAULT_JOB_RUNNER_OPTIONS, JobRunner, type JobRunnerOptions } from './job-runner';

/** How long a queue stays without running jobs before this worker says it is idle. */
const IDLE_ANNOUNCEMENT_DELAY_MS = 250;
/** Weight of the newest job in the moving mean of execution times announced to the router. */
const EXECUTION_MEAN_WEIGHT = 0.2;

export interface BullMqJobServerOptions {
  redisUrl: string;
  keys: RedisKeys;
  /** The queues this process serves; each must have a `@MessagePattern(queue)` handler. */
  contracts: QueueContract[];
  /** Jobs run at once, for every queue or per queue name. */
  concurrency: number | Readonly<Record<string, number>>;
  workerId: string;
  /** How often BullMQ looks for jobs of dead workers, and how long a job lock lives without renewal. */
  stalledIntervalMs: number;
  lockDurationMs: number;
  logger: Logger;
  runner?: Partial<JobRunnerOptions>;
  /**
   * The blob store of claim-checked values (the gateway's, by configuration): large outputs and
   * chunks go there, large inputs come from there. Left out, every value stays inline.
   */
  claimCheck?: PayloadOffload;
  /** Opens s3Config secrets (JOB_SECRETS_KEY) and says whether callers' buckets may be on private addresses. */
  callerBuckets?: { secretsKey?: Buffer; allowPrivate: boolean };
  /** The models this worker serves on a queue whose jobs name one, announced with its presence for the router. */
  servedModels?: (queue: string) => readonly string[] | undefined;
}

/**
 * A NestJS microservice transport whose messages are BullMQ jobs: each served queue gets a BullMQ
 * worker whose jobs go to the `@MessagePattern(<queue>)` handler with the job's input as payload
 * and a {@link JobContext} as context. Cancellations published by the gateway reach the worker
 * that holds the job through a Redis channel.
 */
export class BullMqJobServer extends Server implements CustomTransportStrategy {
  private readonly workers = new Map<string, Worker<JobEnvelope>>();
  /** BullMQ leaves connections it was handed open on close; these are closed here. */
  private readonly connections: Redis[] = [];
  private stores?: JobStateStores;
  /** The opened s3Config of each running job that has one, by job id; only in memory, only while it runs. */
  private readonly callerBuckets = new Map<string, CallerS3Config>();
  /** Jobs running now, by queue, for the worker's presence (what /health counts). */
  private readonly active = new Map<string, number>();
  /** Moving mean of execution times, by queue. */
  private readonly meanExecutionMs = new Map<string, number>();
  /** Queues whose last announcement said this worker was running jobs of them. */
  private readonly announcedBusy = new Set<string>();
  private idleAnnouncement?: NodeJS.Timeout;
  private presences?: WorkerPresences;
  private presenceTimer?: NodeJS.Timeout;

  constructor(private readonly options: BullMqJobServerOptions) {
    super();
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      const stores = new JobStateStores(this.connect('commands', 'durable'), this.options.keys, this.options.claimCheck ?? INLINE_PAYLOADS);
      this.stores = stores;
      const runners = this.options.contracts.map((contract) => this.createRunner(contract, stores.of(contract.queue)));
      await this.listenForCancellations();
      for (const [contract, runner] of runners) this.startWorker(contract, runner);
      await Promise.all([...this.workers.values()].map((worker) => worker.waitUntilReady()));
      this.presences = new WorkerPresences(stores.redis);
      await this.announcePresence();
      this.presenceTimer = setInterval(() => void this.announcePresence().catch(() => undefined), PRESENCE_INTERVAL_MS);
      this.presenceTimer.unref();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Stops taking jobs and waits for the active ones to finish. */
  async close(): Promise<void> {
    clearInterval(this.presenceTimer);
    clearTimeout(this.idleAnnouncement);
    await Promise.all([...this.workers.values()].map((worker) => worker.close()));
    const presences = this.presences;
    if (presences)
      await Promise.all(
        [...this.workers.keys()].map((queue) => presences.withdraw(this.options.keys.queue(queue), this.options.workerId).catch(() => undefined)),
      );
    this.workers.clear();
    await Promise.all(this.connections.splice(0).map((connection) => connection.quit().catch(() => undefined)));
  }

  activeQueues(): string[] {
    return [...this.workers.keys()];
  }

  on(): never {
    throw new Error('BullMqJobServer has no events to subscribe to');
  }

  unwrap<T>(): T {
    return this.workers as T;
  }

  /** Fails start-up when a served queue has no handler, instead of leaving its jobs waiting forever. */
  private createRunner(contract: QueueContract, store: JobStateStore): [QueueContract, JobRunner] {
    const handle = messagePatternHandler(this, contract.queue);
    const policy = new AddressPolicy({ allowPrivate: this.options.callerBuckets?.allowPrivate ?? false });
    const invoke = async (input: unknown, context: JobContext) => {
      const output = await handle(input, context);
      const bucket = this.callerBuckets.get(context.jobId);
      return bucket && contract.fileOutputs ? uploadFileOutputs(output, contract.fileOutputs, bucket, context.jobId, policy) : output;
    };
    const options = { ...DEFAULT_JOB_RUNNER_OPTIONS, ...this.options.runner };
    return [contract, new JobRunner(contract, invoke, store, this.options.workerId, this.options.logger, options)];
  }

  private startWorker(contract: QueueContract, runner: JobRunner): void {
    const worker = new Worker<JobEnvelope>(
      contract.queue,
      async (job: Job<JobEnvelope>, token?: string, signal?: AbortSignal) => {
        this.countActive(contract.queue, +1);
        const started = Date.now();
        try {
          await resolveClaimCheckedInput(job, this.stores!.of(contract.queue), this.options.claimCheck ?? INLINE_PAYLOADS);
          if (!(await this.openCallerBucket(job))) return;
          return await runner.run(job, token, signal);
        } finally {
          this.callerBuckets.delete(job.id!);
          this.recordExecution(contract.queue, Date.now() - started);
          this.countActive(contract.queue, -1);
        }
      },
      {
        connection: this.connect(contract.queue),
        prefix: this.options.keys.queue(contract.queue).bullPrefix,
        concurrency: this.concurrencyOf(contract.queue),
        stalledInterval: this.options.stalledIntervalMs,
        lockDuration: this.options.lockDurationMs,
        maxStalledCount: 3,
      },
    );
    worker.on('error', (error) => this.options.logger.error({ err: error, queue: contract.queue }, 'worker error'));
    this.workers.set(contract.queue, worker);
  }

  /**
   * Counts a queue's running jobs. Going from idle to busy is announced at once; going idle is
   * announced once the queue has stayed idle for a moment, so a worker taking job after job does
   * not write its presence twice a job. Other changes go with the next beat.
   */
  private countActive(queue: string, change: 1 | -1): void {
    const active = (this.active.get(queue) ?? 0) + change;
    this.active.set(queue, active);
    if (active > 0 && !this.announcedBusy.has(queue)) void this.announcePresence().catch(() => undefined);
    if (active === 0 && this.announcedBusy.has(queue) && !this.idleAnnouncement) {
      this.idleAnnouncement = setTimeout(() => {
        this.idleAnnouncement = undefined;
        void this.announcePresence().catch(() => undefined);
      }, IDLE_ANNOUNCEMENT_DELAY_MS);
      this.idleAnnouncement.unref();
    }
  }

  private recordExecution(queue: string, ms: number): void {
    const mean = this.meanExecutionMs.get(queue);
    this.meanExecutionMs.set(queue, mean === undefined ? ms : mean + EXECUTION_MEAN_WEIGHT * (ms - mean));
  }

  /** Tells each served queue that this worker is there, with its concurrency, active jobs, execution times and models. */
  private async announcePresence(): Promise<void> {
    if (!this.presences) return;
    await Promise.all(
      [...this.workers.keys()].map((queue) => {
        const active = this.active.get(queue) ?? 0;
        if (active > 0) this.announcedBusy.add(queue);
        else this.announcedBusy.delete(queue);
        const meanExecutionMs = this.meanExecutionMs.get(queue);
        const models = this.options.servedModels?.(queue);
        return this.presences!.announce(this.options.keys.queue(queue), {
          workerId: this.options.workerId,
          concurrency: this.concurrencyOf(queue),
          active,
          ...(meanExecutionMs === undefined ? {} : { meanExecutionMs: Math.round(meanExecutionMs) }),
          ...(models ? { models } : {}),
        });
      }),
    );
  }

  concurrencyOf(queue: string): number {
    const { concurrency } = this.options;
    if (typeof concurrency === 'number') return concurrency;
    const value = concurrency[queue];
    if (value === undefined) throw new Error(`No concurrency is configured for queue "${queue}"`);
    return value;
  }

  /** Opens the job's s3Config; one that cannot be opened fails the job, naming the field. */
  private async openCallerBucket(job: Job<JobEnvelope>): Promise<boolean> {
    const sealed = job.data.s3Config;
    if (!sealed) return true;
    try {
      const key = this.options.callerBuckets?.secretsKey;
      if (!key) throw new Error('this worker has no JOB_SECRETS_KEY');
      const { sealedSecret, ...rest } = sealed;
      this.callerBuckets.set(job.id!, { ...rest, accessSecret: openSecret(key, sealedSecret, job.id!) });
      return true;
    } catch (error) {
      const reason = new CallerBucketError('s3Config.accessSecret', `cannot be opened: ${(error as Error).message}`);
      await this.stores?.of(job.queueName).fail(job.id!, describeError(reason, { traceback: false }));
      return false;
    }
  }

  private async listenForCancellations(): Promise<void> {
    const subscriber = this.connect('cancellations');
    subscriber.on('message', (_channel: string, jobId: string) => {
      for (const worker of this.workers.values()) worker.cancelJob(jobId, 'cancelled');
    });
    await subscriber.subscribe(this.options.keys.cancellations);
  }

  private connect(purpose: string, role: RedisRole = 'blocking'): Redis {
    const connection = connectRedis(this.options.redisUrl, role, `${this.options.workerId}:${purpose}`);
    this.connections.push(connection);
    return connection;
  }
}
