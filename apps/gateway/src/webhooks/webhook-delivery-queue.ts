import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { webhookRetrySchedule, type WebhookRetrySchedule } from '@switchyard/outbound';
import { QUEUES } from '@switchyard/shared';
import type { GatewayConfig } from '../config';
import { BullMq } from '../infra/bullmq';
import { CONFIG } from '../infra/tokens';

/** The webhook queue's contract: one job per delivery, its id the delivery's id. */
export interface WebhookDeliveryJob {
  deliveryId: string;
}

/** How long a delivery that failed for good stays in the queue (for the dashboard). */
const FAILED_DELIVERY_KEPT_S = 7 * 24 * 3600;

/**
 * The queue of webhook deliveries: the recorder puts a delivery on it once its row is committed,
 * and a notifier, in whichever process has that role, works it on Standard Webhooks' schedule.
 */
@Injectable()
export class WebhookDeliveryQueue {
  readonly schedule: WebhookRetrySchedule;
  private readonly queue: Queue<WebhookDeliveryJob>;

  constructor(@Inject(CONFIG) config: GatewayConfig, bullMq: BullMq) {
    this.schedule = webhookRetrySchedule({ scale: config.WEBHOOK_RETRY_SCALE });
    this.queue = bullMq.queue(QUEUES.webhooks);
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
        removeOnFail: { age: FAILED_DELIVERY_KEPT_S },
      },
    );
  }
}
