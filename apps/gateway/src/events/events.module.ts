import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module';
import { OpsModule } from '../ops/ops.module';
import { WebhookDeliveriesModule } from '../webhooks/webhook-deliveries.module';
import { DeploymentProjection } from '../deployments/deployment-projection';
import { EventRecorderService } from './event-recorder.service';
import { JobReconciler } from './job-reconciler';

/**
 * The recorder role's record keeping: job events from the Redis streams into Postgres (and the
 * webhook deliveries they make due), and the reconciler that closes jobs nothing will finish.
 */
@Module({
  imports: [DatabaseModule, OpsModule, WebhookDeliveriesModule],
  providers: [EventRecorderService, JobReconciler, DeploymentProjection],
})
export class EventsModule {}
