import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { DatabaseModule } from '../database/database.module';
import { OpsModule } from '../ops/ops.module';
import { StatusModule } from '../status/status.module';
import { WebhookDeliveriesModule } from './webhook-deliveries.module';
import { WebhookNotifier } from './webhook-notifier';

/** The notifier role: works the webhook queue, sending each job's final status, signed, to its webhook. */
@Module({
  imports: [AuthModule, DatabaseModule, OpsModule, StatusModule, WebhookDeliveriesModule],
  providers: [WebhookNotifier],
})
export class WebhooksModule {}
