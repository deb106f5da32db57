import { Module, type DynamicModule } from '@nestjs/common';
import { ApiKeysService } from './auth/api-keys.service';
import { AuthGuard } from './auth/auth.guard';
import { RateLimiter } from './auth/rate-limiter';
import type { GatewayConfig } from './config';
import { EventRecorderService } from './events/event-recorder.service';
import { InfraModule } from './infra/infra.module';
import { JobEventFeeds } from './jobs/job-event-feed';
import { JobReconciler } from './jobs/job-reconciler';
import { JobWaiter } from './jobs/job-waiter';
import { QueueAdmission } from './jobs/queue-admission';
import { JobsService } from './jobs/jobs.service';
import { RunpodController } from './jobs/runpod.controller';
import { OpenAiController } from './openai/openai.controller';
import { OpenAiService } from './openai/openai.service';
import { GatewayMetrics } from './ops/gateway-metrics';
import { OperationsController } from './ops/operations.controller';
import { RetentionScheduler } from './retention/retention-scheduler';
import { RetentionService } from './retention/retention.service';
import { WebhookNotifier } from './webhooks/webhook-notifier';

@Module({})
export class AppModule {
  static forConfig(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [InfraModule.forConfig(config)],
      controllers: [RunpodController, OperationsController, OpenAiController],
      providers: [
        ApiKeysService, RateLimiter, AuthGuard, GatewayMetrics, JobWaiter, QueueAdmission, JobsService, JobEventFeeds, JobReconciler,
        WebhookNotifier, EventRecorderService, OpenAiService, RetentionService, RetentionScheduler,
      ],
    };
  }
}
