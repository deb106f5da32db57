import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { Worker, type Job } from 'bullmq';
import { lastValueFrom } from 'rxjs';
import type { Redis } from 'ioredis';
import { connectRedis, JobStateStore, RedisKeys, type JobEnvelope, type Logger, type QueueContract, type RedisRole } from '@switchyard/shared';
import type { JobContext } from './job-context';
import { DEFAULT_JOB_RUNNER_OPTIONS, JobRunner, type JobRunnerOptions } from './job-runner';

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

  constructor(private readonly options: BullMqJobServerOptions) {
    super();
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      const store = new JobStateStore(this.connect('commands', 'durable'), this.options.keys);
      const runners = this.options.contracts.map((contract) => this.createRunner(contract, store));
      await this.listenForCancellations();
      for (const [contract, runner] of runners) this.startWorker(contract, runner);
      await Promise.all([...this.workers.values()].map((worker) => worker.waitUntilReady()));
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Stops taking jobs and waits for the active ones to finish. */
  async close(): Promise<void> {
    await Promise.all([...this.workers.values()].map((worker) => worker.close()));
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
    const handler = this.getHandlerByPattern(contract.queue);
    if (!handler) {
      throw new Error(`No @MessagePattern('${contract.queue}') handler is registered, but this worker is configured to serve it`);
    }
    const invoke = async (input: unknown, context: JobContext) => lastValueFrom(this.transformToObservable(await handler(input, context)));
    const options = { ...DEFAULT_JOB_RUNNER_OPTIONS, ...this.options.runner };
    return [contract, new JobRunner(contract, invoke, store, this.options.workerId, this.options.logger, options)];
  }

  private startWorker(contract: QueueContract, runner: JobRunner): void {
    const worker = new Worker<JobEnvelope>(
      contract.queue,
      (job: Job<JobEnvelope>, token?: string, signal?: AbortSignal) => runner.run(job, token, signal),
      {
        connection: this.connect(contract.queue),
        prefix: this.options.keys.bullPrefix,
        concurrency: this.concurrencyOf(contract.queue),
        stalledInterval: this.options.stalledIntervalMs,
        lockDuration: this.options.lockDurationMs,
        maxStalledCount: 3,
      },
    );
    worker.on('error', (error) => this.options.logger.error({ err: error, queue: contract.queue }, 'worker error'));
    this.workers.set(contract.queue, worker);
  }

  concurrencyOf(queue: string): number {
    const { concurrency } = this.options;
    if (typeof concurrency === 'number') return concurrency;
    const value = concurrency[queue];
    if (value === undefined) throw new Error(`No concurrency is configured for queue "${queue}"`);
    return value;
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
