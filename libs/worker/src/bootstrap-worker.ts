import 'reflect-metadata';
import type { DynamicModule, INestMicroservice, LoggerService, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { BlobClaimCheck } from '@switchyard/blobs';
import { createLogger, NestJsonLogger, RedisKeys, contractForQueue, type Logger, type QueueContract } from '@switchyard/shared';
import { BullMqJobServer } from './bullmq-job-server';
import { JobErrorPassthroughFilter } from './job-error-passthrough.filter';
import { startHealthServer } from './health-server';
import { reportReadiness } from './runpod/readiness-callback';
import { RunPodJobServer } from './runpod/runpod-job-server';
import { RunPodWorkerProtocol } from './runpod/runpod-worker-protocol';
import { loadWorkerConfig, queueConcurrency, type WorkerConfig } from './worker-config';

/** A transport a worker app runs on: BullMQ queues, or a RunPod serverless endpoint. */
export type WorkerTransport = Server & CustomTransportStrategy & { activeQueues(): string[] };

export interface WorkerAppOptions {
  app: string;
  module: Type | DynamicModule;
  /** Queues served when WORKER_QUEUES is not set. */
  defaultQueues: string[];
  /** Jobs run at once per queue on a CPU worker when WORKER_CONCURRENCY is not set (default 8). */
  defaultConcurrency?: number;
  /** Whether the app's models run on a GPU, where queues default to one job at a time (see queueConcurrency). */
  onGpu?: boolean;
  /** Extra facts for /health, such as the execution provider of loaded models. */
  healthDetails?: () => Record<string, unknown>;
  /** The models served on queues whose jobs name one (see BullMqJobServerOptions.servedModels). */
  servedModels?: (queue: string) => readonly string[] | undefined;
}

/** A worker's NestJS microservice on its transport; the one way apps and tests build it. */
export async function createWorkerMicroservice(
  module: Type | DynamicModule,
  server: WorkerTransport,
  logger: LoggerService | false,
): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice(module, { strategy: server, logger });
  app.useGlobalFilters(new JobErrorPassthroughFilter());
  app.enableShutdownHooks();
  return app;
}

/**
 * Starts a worker app: a NestJS microservice whose transport takes the jobs of the configured
 * queues, from BullMQ or (WORKER_MODE=runpod) from the RunPod serverless endpoint it runs on.
 */
export async function bootstrapWorker(options: WorkerAppOptions): Promise<INestMicroservice> {
  const config = loadWorkerConfig(options.app, options.defaultQueues, process.env);
  const logger = createLogger(options.app, config.LOG_LEVEL);
  const contracts = config.WORKER_QUEUES.map(contractForQueue);
  const concurrency = queueConcurrency(config, contracts, { cpu: options.defaultConcurrency ?? 8, onGpu: options.onGpu ?? false });
  const server = createTransport(config, contracts, concurrency, logger, options);
  const app = await createWorkerMicroservice(options.module, server, new NestJsonLogger(logger));
  let accepting = false;
  await startHealthServer(config.HEALTH_PORT, () => ({
    status: accepting ? 'ok' : 'starting',
    ready: accepting,
    app: options.app,
    workerId: config.WORKER_ID,
    mode: config.WORKER_MODE,
    queues: server.activeQueues(),
    ...options.healthDetails?.(),
  }));
  await app.listen();
  accepting = true;
  logger.info({ mode: config.WORKER_MODE, queues: server.activeQueues(), concurrency }, 'worker ready');
  if (config.runpod && config.SWITCHYARD_READY_URL && config.SWITCHYARD_READY_SECRET) {
    void reportReadiness({ url: config.SWITCHYARD_READY_URL, secret: config.SWITCHYARD_READY_SECRET, workerId: config.runpod.RUNPOD_POD_ID }, logger);
  }
  return app;
}

function createTransport(
  config: WorkerConfig,
  contracts: QueueContract[],
  concurrency: Record<string, number>,
  logger: Logger,
  options: WorkerAppOptions,
): WorkerTransport {
  const runner = { errorTracebacks: config.ERROR_TRACEBACKS, abortGraceMs: config.WORKER_ABORT_GRACE_MS };
  if (config.runpod) {
    // The configuration holds exactly one queue in RunPod mode.
    const [contract] = contracts as [QueueContract];
    return new RunPodJobServer({
      protocol: new RunPodWorkerProtocol(config.runpod, { logger }),
      contract,
      concurrency: concurrency[contract.queue]!,
      logger,
      runner,
    });
  }
  return new BullMqJobServer({
    redisUrl: config.REDIS_URL,
    keys: new RedisKeys(config.REDIS_PREFIX),
    contracts,
    concurrency,
    workerId: config.WORKER_ID,
    stalledIntervalMs: config.WORKER_STALLED_INTERVAL_MS,
    lockDurationMs: config.WORKER_LOCK_DURATION_MS,
    logger,
    runner,
    claimCheck: BlobClaimCheck.fromConfig(config),
    callerBuckets: { secretsKey: config.JOB_SECRETS_KEY, allowPrivate: config.S3CONFIG_ALLOW_PRIVATE },
    servedModels: options.servedModels,
  });
}
