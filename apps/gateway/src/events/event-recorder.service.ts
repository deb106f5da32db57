import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Database } from '@switchyard/db';
import { connectRedis, isFinalStatus, RedisKeys, type JobEvent, type Logger } from '@switchyard/shared';
import type { GatewayConfig } from '../config';
import { CONFIG, DATABASE, LOGGER } from '../infra/tokens';
import { GatewayMetrics } from '../ops/gateway-metrics';
import { WebhookNotifier } from '../webhooks/webhook-notifier';
import { EventStreamConsumer } from './event-stream-consumer';
import { recordJobEvents } from './job-event-recorder';

export const RECORDER_GROUP = 'recorder';

/** Records every job event in Postgres, then schedules the webhooks and metrics they make due. */
@Injectable()
export class EventRecorderService implements OnApplicationBootstrap, OnApplicationShutdown {
  private consumer?: EventStreamConsumer;

  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(DATABASE) private readonly database: Database,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly keys: RedisKeys,
    private readonly notifier: WebhookNotifier,
    private readonly metrics: GatewayMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = new EventStreamConsumer(
      connectRedis(this.config.REDIS_URL, 'blocking', 'gateway:recorder'),
      { stream: this.keys.events, group: RECORDER_GROUP, consumer: this.config.RECORDER_CONSUMER, batchSize: 500, claimIdleMs: 60_000, lingerMs: 50 },
      (events) => this.record(events),
      this.logger.child({ component: 'recorder' }),
    );
    await this.consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
  }

  private async record(events: JobEvent[]): Promise<void> {
    const due = await recordJobEvents(this.database.prisma, events);
    // Enqueued after the commit, so a delivery always finds its row; enqueueing is idempotent.
    for (const delivery of due) await this.notifier.enqueue(delivery.deliveryId);
    this.metrics.eventsRecorded.inc(events.length);
    for (const event of events) {
      const { view } = event;
      if (!isFinalStatus(view.status) || event.type === 'retried' || event.type === 'stream' || event.type === 'progress') continue;
      this.metrics.jobsFinished.inc({ endpoint: view.endpointId, status: view.status });
      if (view.startedAt !== undefined) this.metrics.jobDelay.observe({ endpoint: view.endpointId }, (view.startedAt - view.createdAt) / 1000);
      if (view.startedAt !== undefined && view.finishedAt !== undefined) {
        this.metrics.jobExecution.observe({ endpoint: view.endpointId, status: view.status }, (view.finishedAt - view.startedAt) / 1000);
      }
    }
  }
}
