import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { BlobClaimCheck } from '@switchyard/blobs';
import { APP_GUARD } from '@nestjs/core';
import type { Redis } from 'ioredis';
import type { Database } from '@switchyard/db';
import { RedisKeys } from '@switchyard/shared';
import { AdminController } from './admin/admin.controller';
import { SecretKeyring } from '@switchyard/secrets';
import { ApiKeyManager } from './auth/api-key-manager';
import { webhookSecretContext } from './auth/master-key';
import { ApiKeysService } from './auth/api-keys.service';
import { AuthGuard } from './auth/auth.guard';
import { BlobLinks } from './status/blob-links';
import { BlobsController } from './blobs/blobs.controller';
import { RateLimiter } from './auth/rate-limiter';
import type { GatewayConfig } from './config';
import { DatabaseModule } from './database/database.module';
import { EventRecorderService } from './events/event-recorder.service';
import { InfraModule } from './infra/infra.module';
import { JobEventFeeds } from './jobs/job-event-feed';
import { JobOutputs } from './status/job-outputs';
import { DATABASE, REDIS } from './infra/tokens';
import { JobReconciler } from './events/job-reconciler';
import { JobWaiter } from './jobs/job-waiter';
import { QueueAdmission } from './jobs/queue-admission';
import { JobsService } from './jobs/jobs.service';
import { RunpodController } from './jobs/runpod.controller';
import { OpenAiController } from './openai/openai.controller';
import { OpenAiService } from './openai/openai.service';
import { GatewayMetrics } from './ops/gateway-metrics';
import { OperationsController } from './ops/operations.controller';
import { RecorderLag } from './ops/recorder-lag';
import { EXPIRED_RESOURCE_CLEANERS, type ExpiredResourceCleaner } from './retention/expired-resource-cleaner';
import { RetentionScheduler } from './retention/retention-scheduler';
import { RetentionService } from './retention/retention.service';
import { WebhookDeliveryQueue } from './webhooks/webhook-delivery-queue';
import { WebhookNotifier } from './webhooks/webhook-notifier';

@Module({})
export class AppModule {
  /** `extraControllers`: for tests that prove how a new, undecorated controller is guarded. */
  static forConfig(config: GatewayConfig, extraControllers: Type[] = []): DynamicModule {
    return {
      module: AppModule,
      imports: [InfraModule.forConfig(config), DatabaseModule],
      controllers: [RunpodController, BlobsController, OperationsController, OpenAiController, AdminController, ...extraControllers],
      providers: [
        ApiKeysService,
        RateLimiter,
        AuthGuard,
        // The one guard of every route: only routes marked @Public() skip it.
        { provide: APP_GUARD, useExisting: AuthGuard },
        {
          provide: ApiKeyManager,
          inject: [DATABASE, REDIS, RedisKeys, SecretKeyring],
          useFactory: (database: Database, redis: Redis, keys: RedisKeys, keyring: SecretKeyring) =>
            new ApiKeyManager(database, { redis, keys }, (secret, id) => keyring.seal(secret, webhookSecretContext(id))),
        },
        GatewayMetrics,
        RecorderLag,
        JobWaiter,
        QueueAdmission,
        JobsService,
        JobEventFeeds,
        JobReconciler,
        WebhookDeliveryQueue,
        WebhookNotifier,
        EventRecorderService,
        OpenAiService,
        RetentionService,
        RetentionScheduler,
        BlobLinks,
        JobOutputs,
        {
          // Blobs expire with their job: the retention sweep deletes them by the expiry their ids carry.
          provide: EXPIRED_RESOURCE_CLEANERS,
          inject: [BlobClaimCheck],
          useFactory: (claimCheck: BlobClaimCheck): ExpiredResourceCleaner[] => [
            { resource: 'blobs', deleteExpired: (before, limit) => claimCheck.store.deleteExpired(before, limit) },
          ],
        },
      ],
    };
  }
}
