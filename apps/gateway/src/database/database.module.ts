import { Module } from '@nestjs/common';
import { ApiKeyRepository } from './api-key.repository';
import { DeploymentChanges } from './deployment-changes';
import { DeploymentRepository } from './deployment.repository';
import { ImageVerdictRepository } from './image-verdict.repository';
import { JobEventRepository } from './job-event.repository';
import { JobRepository } from './job.repository';
import { WebhookDeliveryRepository } from './webhook-delivery.repository';

/** The job record in Postgres: one repository per kind of row; services use these, never Prisma. Deployment writes that change routing are announced (DeploymentChanges). */
@Module({
  providers: [JobRepository, JobEventRepository, WebhookDeliveryRepository, ApiKeyRepository, ImageVerdictRepository, DeploymentRepository, DeploymentChanges],
  exports: [JobRepository, JobEventRepository, WebhookDeliveryRepository, ApiKeyRepository, ImageVerdictRepository, DeploymentRepository, DeploymentChanges],
})
export class DatabaseModule {}
