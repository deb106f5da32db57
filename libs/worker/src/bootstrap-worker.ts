import 'reflect-metadata';
import type { INestMicroservice, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createLogger, NestJsonLogger, RedisKeys, contractForQueue } from '@switchyard/shared';
import { BullMqJobServer } from './bullmq-job-server';
import { startHealthServer } from './health-server';
import { loadWorkerConfig } from './worker-config';

export interface WorkerAppOptions {
  app: string;
  module: Type;
  /** Queues served when WORKER_QUEUES is not set. */
  defaultQueues: string[];
  /** Extra facts for /health, such as the execution provider of loaded models. */
  healthDetails?: () => Record<string, unknown>;
}

/** Starts a worker app: a NestJS microservice whose transport consumes the configured BullMQ queues. */
export async function bootstrapWorker(options: WorkerAppOptions): Promise<INestMicroservice> {
  const config = loadWorkerConfig(options.app, options.defaultQueues);
  const logger = createLogger(options.app, config.LOG_LEVEL);
  const server = new BullMqJobServer({
    redisUrl: config.REDIS_URL,
    keys: new RedisKeys(config.REDIS_PREFIX),
    contracts: config.WORKER_QUEUES.map(contractForQueue),
    concurrency: config.WORKER_CONCURRENCY,
    workerId: config.WORKER_ID,
    stalledIntervalMs: config.WORKER_STALLED_INTERVAL_MS,
    lockDurationMs: config.WORKER_LOCK_DURATION_MS,
    logger,
  });
  const app = await NestFactory.createMicroservice(options.module, { strategy: server, logger: new NestJsonLogger(logger) });
  app.enableShutdownHooks();
  let accepting = false;
  await startHealthServer(config.HEALTH_PORT, () => ({
    status: accepting ? 'ok' : 'starting',
    ready: accepting,
    app: options.app,
    workerId: config.WORKER_ID,
    queues: server.activeQueues(),
    ...options.healthDetails?.(),
  }));
  await app.listen();
  accepting = true;
  logger.info({ queues: server.activeQueues(), concurrency: config.WORKER_CONCURRENCY }, 'worker ready');
  return app;
}
