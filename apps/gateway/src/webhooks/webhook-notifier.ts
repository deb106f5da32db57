import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { UnrecoverableError, type Job } from 'bullmq';
import { AddressPolicy, deliverWebhook, type WebhookRetrySchedule } from '@switchyard/outbound';
import { EndpointRegistry, QUEUES, type Logger } from '@switchyard/shared';
import { ApiKeysService } from '../auth/api-keys.service';
import type { GatewayConfig } from '../config';
import { DeploymentRepository } from '../database/deployment.repository';
import { WebhookDeliveryRepository } from '../database/webhook-delivery.repository';
import { BullMq } from '../infra/bullmq';
import { CONFIG, LOGGER } from '../infra/tokens';
import { GatewayMetrics } from '../ops/gateway-metrics';
import { JobOutputs } from '../status/job-outputs';
import { rowToRecord, type JobRow } from '../status/job-status-response';
import { WebhookDeliveryQueue, type WebhookDeliveryJob } from './webhook-delivery-queue';

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
export class WebhookNotifier implements OnModuleInit {
  private readonly addressPolicy: AddressPolicy;
  private readonly schedule: WebhookRetrySchedule;

  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly bullMq: BullMq,
    deliveries: WebhookDeliveryQueue,
    private readonly deliveryRecords: WebhookDeliveryRepository,
    private readonly apiKeys: ApiKeysService,
    private readonly metrics: GatewayMetrics,
    private readonly outputs: JobOutputs,
    private readonly endpoints: EndpointRegistry,
    private readonly deployments: DeploymentRepository,
  ) {
    this.addressPolicy = new AddressPolicy({ allowPrivate: config.WEBHOOK_ALLOW_PRIVATE });
    this.schedule = deliveries.schedule;
  }

  /** Its worker closes with the other BullMQ connections, at shutdown. */
  onModuleInit(): void {
    const worker = this.bullMq.worker<WebhookDeliveryJob>(QUEUES.webhooks, (job) => this.attempt(job), {
      concurrency: 16,
      settings: {
        backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) =>
          Math.max(this.schedule.delayBeforeAttempt(attemptsMade + 1) ?? 0, error instanceof RetryLater ? (error.retryAfterMs ?? 0) : 0),
      },
    });
    worker.on('error', (error) => this.logger.error({ err: error }, 'webhook worker error'));
  }

  private async attempt(job: Job<WebhookDeliveryJob>): Promise<void> {
    const delivery = await this.deliveryRecords.findWithJob(job.data.deliveryId);
    if (!delivery || delivery.status !== 'PENDING') return;
    const secret = await this.apiKeys.webhookSecretFor(delivery.job.apiKeyId ?? undefined);
    if (!secret) throw new UnrecoverableError(`No webhook secret for the owner of job ${delivery.jobId}`);

    const attempt = delivery.attempts + 1;
    const result = await deliverWebhook({
      url: delivery.url,
      body: JSON.stringify(await this.bodyOf(delivery.job)),
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
    await this.deliveryRecords.recordAttempt(
      delivery.id,
      { attempt, at: new Date(), statusCode: result.statusCode, error: result.error, durationMs: Math.round(result.durationMs) },
      status,
    );
    this.metrics.webhookAttempts.inc({ outcome: result.outcome });
    this.logger.info({ jobId: delivery.jobId, deliveryId: delivery.id, attempt, outcome: result.outcome, statusCode: result.statusCode }, 'webhook attempt');
    if (status !== 'PENDING' && status !== 'DELIVERED' && delivery.job.endpointId === QUEUES.deployer) await this.deployments.markWebhookFailed(delivery.jobId);
    if (status === 'PENDING') throw new RetryLater(result.retryAfterMs, result.error ?? `receiver answered ${result.statusCode}`);
  }

  /** RunPod's webhook body is the status object, the output inline, however large; a contract may word its own (the deployer's). */
  private async bodyOf(job: JobRow & { endpointId: string; input: unknown }): Promise<unknown> {
    const record = rowToRecord(job);
    const webhookBody = this.endpoints.find(job.endpointId)?.webhookBody;
    if (!webhookBody) return this.outputs.statusOf(job.endpointId, record);
    return webhookBody({ id: job.id, status: job.status, input: job.input, output: job.output ?? undefined, error: record.error });
  }
}
