import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Database } from '@switchyard/db';
import { AddressPolicy, deliverWebhook, webhookRetrySchedule, type WebhookRetrySchedule } from '@switchyard/outbound';
import { connectRedis, RedisKeys, type Logger } from '@switchyard/shared';
import { ApiKeysService } from '../auth/api-keys.service';
import type { GatewayConfig } from '../config';
import { CONFIG, DATABASE, LOGGER } from '../infra/tokens';
import { JobOutputs } from '../status/job-outputs';
import { rowToRecord } from '../status/job-status-response';
import { GatewayMetrics } from '../ops/gateway-metrics';

/** The webhook queue's contract: one job per delivery, its id the delivery's id. */
export const WEBHOOK_QUEUE = 'webhooks';
export interface WebhookDeliveryJob {
  deliveryId: string;
}

class RetryLater extends Error {
  constructor(
    readonly retryAfterMs: number | undefined,
    reason: string,
  ) {
    super(reason);
  }
}

/**
 * Delivers the final status of jobs to their webhooks from a BullMQ queue of its own: signed per
 * Standard Webhooks with the owner's secret, retried on Standard Webhooks' schedule (or the
 * receiver's retry-after), never following redirects nor reaching internal addresses unless
 * configured, and every attempt recorded.
 */
@Injectable()
export class WebhookNotifier implements OnModuleInit, OnApplicationShutdown {
  private queue!: Queue<WebhookDeliveryJob>;
  private worker!: Worker<WebhookDeliveryJob>;
  private readonly schedule: WebhookRetrySchedule;
  private readonly addressPolicy: AddressPolicy;
  private readonly connections: Redis[] = [];

  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(DATABASE) private readonly database: Database,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly keys: RedisKeys,
    private readonly apiKeys: ApiKeysService,
    private readonly metrics: GatewayMetrics,
    private readonly outputs: JobOutputs,
  ) {
    this.schedule = webhookRetrySchedule({ scale: config.WEBHOOK_RETRY_SCALE });
    this.addressPolicy = new AddressPolicy({ allowPrivate: config.WEBHOOK_ALLOW_PRIVATE });
  }

  onModuleInit(): void {
    const connection = () => {
      const redis = connectRedis(this.config.REDIS_URL, 'blocking', 'gateway:webhooks');
      this.connections.push(redis);
      return redis;
    };
    this.queue = new Queue(WEBHOOK_QUEUE, { connection: connection(), prefix: this.keys.queue(WEBHOOK_QUEUE).bullPrefix });
    this.worker = new Worker(WEBHOOK_QUEUE, (job) => this.attempt(job), {
      connection: connection(),
      prefix: this.keys.queue(WEBHOOK_QUEUE).bullPrefix,
      concurrency: 16,
      settings: {
        backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) =>
          Math.max(this.schedule.delayBeforeAttempt(attemptsMade + 1) ?? 0, error instanceof RetryLater ? (error.retryAfterMs ?? 0) : 0),
      },
    });
    this.worker.on('error', (error) => this.logger.error({ err: error }, 'webhook worker error'));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker.close();
    await this.queue.close();
    await Promise.all(this.connections.map((redis) => redis.quit().catch(() => undefined)));
  }

  /** Idempotent: the delivery id is the BullMQ job id, so a redelivered event enqueues nothing new. */
  async enqueue(deliveryId: string): Promise<void> {
    await this.queue.add(
      'deliver',
      { deliveryId },
      {
        jobId: deliveryId,
        attempts: this.schedule.maxAttempts,
        backoff: { type: 'custom' },
        removeOnComplete: true,
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    );
  }

  queueForDashboard(): Queue {
    return this.queue;
  }

  private async attempt(job: Job<WebhookDeliveryJob>): Promise<void> {
    const prisma = this.database.prisma;
    const delivery = await prisma.webhookDelivery.findUnique({ where: { id: job.data.deliveryId }, include: { job: true } });
    if (!delivery || delivery.status !== 'PENDING') return;
    const secret = await this.apiKeys.webhookSecretFor(delivery.job.apiKeyId ?? undefined);
    if (!secret) throw new UnrecoverableError(`No webhook secret for the owner of job ${delivery.jobId}`);

    const attempt = delivery.attempts + 1;
    const result = await deliverWebhook({
      url: delivery.url,
      // RunPod's webhook body is the status object, the output inline, however large.
      body: JSON.stringify(await this.outputs.statusOf(delivery.job.endpointId, rowToRecord(delivery.job))),
      secrets: secret,
      id: delivery.id,
      timeoutMs: this.config.WEBHOOK_TIMEOUT_MS,
      addressPolicy: this.addressPolicy,
    });
    const lastAttempt = attempt >= this.schedule.maxAttempts;
    const status =
      result.outcome === 'delivered'
        ? 'DELIVERED'
        : result.outcome === 'disable'
          ? 'DISABLED'
          : result.outcome === 'refused' || lastAttempt
            ? 'FAILED'
            : 'PENDING';
    await prisma.$transaction([
      prisma.webhookAttempt.create({
        data: {
          deliveryId: delivery.id,
          attempt,
          at: new Date(),
          statusCode: result.statusCode,
          error: result.error,
          durationMs: Math.round(result.durationMs),
        },
      }),
      prisma.webhookDelivery.update({
        where: { id: delivery.id },
        data: { attempts: attempt, status, finishedAt: status === 'PENDING' ? null : new Date() },
      }),
    ]);
    this.metrics.webhookAttempts.inc({ outcome: result.outcome });
    this.logger.info({ jobId: delivery.jobId, deliveryId: delivery.id, attempt, outcome: result.outcome, statusCode: result.statusCode }, 'webhook attempt');
    if (status === 'PENDING') throw new RetryLater(result.retryAfterMs, result.error ?? `receiver answered ${result.statusCode}`);
  }
}
