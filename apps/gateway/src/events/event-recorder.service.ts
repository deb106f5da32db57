import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { connectRedis, EndpointRegistry, isFinalEvent, RedisKeys, type JobEvent, type Logger } from '@switchyard/shared';
import type { GatewayConfig } from '../config';
import { JobEventRepository } from '../database/job-event.repository';
import { DeploymentProjection } from '../deployments/deployment-projection';
import { CONFIG, LOGGER, REDIS } from '../infra/tokens';
import { GatewayMetrics } from '../ops/gateway-metrics';
import { WebhookDeliveryQueue } from '../webhooks/webhook-delivery-queue';
import { DeadLetters } from './dead-letters';
import { EventStreamConsumer } from './event-stream-consumer';

export const RECORDER_GROUP = 'recorder';

/**
 * Bytes of events one recorder transaction takes at most. Claim checks keep events small, but a
 * progress value or an error can still be large; far below V8's string limit (~512 MiB) either way.
 */
const MAX_BATCH_BYTES = 16 * 1024 * 1024;

/** Times one event may fail on its own, with the database answering, before it is dead-lettered. */
const ATTEMPTS_BEFORE_DEAD_LETTER = 3;

/**
 * Records every job event in Postgres, then schedules the webhooks and metrics they make due. An
 * event Postgres keeps refusing is moved to the dead-letter stream, its job is marked FAILED, and
 * recording goes on with the next events.
 */
@Injectable()
export class EventRecorderService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly consumers: EventStreamConsumer[] = [];

  constructor(
    @Inject(CONFIG) private readonly config: GatewayConfig,
    private readonly jobEvents: JobEventRepository,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly endpoints: EndpointRegistry,
    private readonly webhookDeliveries: WebhookDeliveryQueue,
    private readonly metrics: GatewayMetrics,
    private readonly deployments: DeploymentProjection,
  ) {}

  /** One consumer per queue's event stream: the streams of different queues may sit on different cluster nodes. */
  async onApplicationBootstrap(): Promise<void> {
    const logger = this.logger.child({ component: 'recorder' });
    for (const { queue } of this.endpoints.contracts()) {
      const keys = this.keys.queue(queue);
      const deadLetters = new DeadLetters(this.redis, keys);
      const consumer = new EventStreamConsumer(
        connectRedis(this.config.REDIS_URL, 'blocking', `gateway:recorder:${queue}`),
        {
          stream: keys.events,
          group: RECORDER_GROUP,
          consumer: this.config.RECORDER_CONSUMER,
          batchSize: 500,
          maxBatchBytes: MAX_BATCH_BYTES,
          claimIdleMs: 60_000,
          lingerMs: 50,
        },
        (events) => this.record(events),
        logger.child({ queue }),
        {
          attempts: ATTEMPTS_BEFORE_DEAD_LETTER,
          sinkReachable: () => this.jobEvents.reachable(),
          deadLetter: async ({ id, fields, event }, error) => {
            const reason = error instanceof Error ? error.message : String(error);
            const deadLetterId = await deadLetters.add(id, fields, error);
            this.metrics.eventsDeadLettered.inc();
            logger.error(
              { err: error, jobId: event.jobId, seq: event.seq, type: event.type, entryId: id, deadLetterId, queue },
              'event could not be recorded; moved to the dead-letter stream',
            );
            await this.jobEvents
              .markUnrecorded(event, reason.slice(0, 500))
              .catch((markError: unknown) => logger.error({ err: markError, jobId: event.jobId }, 'could not mark the job of a dead-lettered event as failed'));
          },
        },
      );
      this.consumers.push(consumer);
      await consumer.start();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.consumers.splice(0).map((consumer) => consumer.stop()));
  }

  private async record(events: JobEvent[]): Promise<void> {
    const due = await this.jobEvents.record(events);
    await this.deployments.apply(events);
    // Enqueued after the commit, so a delivery always finds its row; enqueueing is idempotent.
    for (const delivery of due) await this.webhookDeliveries.enqueue(delivery.deliveryId);
    this.metrics.eventsRecorded.inc(events.length);
    for (const event of events) {
      const { view } = event;
      if (!isFinalEvent(event)) continue;
      this.metrics.jobsFinished.inc({ endpoint: view.endpointId, status: view.status });
      if (view.startedAt !== undefined) this.metrics.jobDelay.observe({ endpoint: view.endpointId }, (view.startedAt - view.createdAt) / 1000);
      if (view.startedAt !== undefined && view.finishedAt !== undefined) {
        this.metrics.jobExecution.observe({ endpoint: view.endpointId, status: view.status }, (view.finishedAt - view.startedAt) / 1000);
      }
    }
  }
}
