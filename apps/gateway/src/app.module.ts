import { Module, type DynamicModule } from '@nestjs/common';
import { BlobClaimCheck } from '@switchyard/blobs';
import { ApiKeysService } from './auth/api-keys.service';
import { AuthGuard } from './auth/auth.guard';
import { BlobLinks } from './blobs/blob-links';
import { BlobsController } from './blobs/blobs.controller';
import { RateLimiter } from './auth/rate-limiter';
import type { GatewayConfig } from './config';
import { EventRecorderService } from './events/event-recorder.service';
import { InfraModule } from './infra/infra.module';
import { JobEventFeeds } from './jobs/job-event-feed';
import { JobOutputs } from './jobs/job-outputs';
import { JobReconciler } from './jobs/job-reconciler';
import { JobWaiter } from './jobs/job-waiter';
import { QueueAdmission } from './jobs/queue-admission';
import { JobsService } from './jobs/jobs.service';
import { RunpodController } from './jobs/runpod.controller';
import { OpenAiController } from './openai/openai.controller';
import { OpenAiService } from './openai/openai.service';
import { GatewayMetrics } from './ops/gateway-metrics';
import { OperationsController } from './ops/operations.controller';
import { EXPIRED_RESOURCE_CLEANERS, type ExpiredResourceCleaner } from './retention/expired-resource-cleaner';
import { RetentionScheduler } from './retention/retention-scheduler';
import { RetentionService } from './retention/retention.service';
import { WebhookNotifier } from './webhooks/webhook-notifier';

@Module({})
export class AppModule {
  static forConfig(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [InfraModule.forConfig(config)],
      controllers: [RunpodController, BlobsController, OperationsController, OpenAiController],
      providers: [
        ApiKeysService, RateLimiter, AuthGuard, GatewayMetrics, JobWaiter, QueueAdmission, JobsService, JobEventFeeds, JobReconciler,
        WebhookNotifier, EventRecorderService, OpenAiService, RetentionService, RetentionScheduler, BlobLinks, JobOutputs,
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
