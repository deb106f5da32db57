import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module';
import { JobsModule } from '../jobs/jobs.module';
import { DeploymentFeeds } from './deployment-feeds';
import { DeploymentsController } from './deployments.controller';
import { DeploymentsService } from './deployments.service';

/** `/v1/deployments`: the seed's deployer API, on the `deployer` queue through JobsService. */
@Module({
  imports: [DatabaseModule, JobsModule],
  controllers: [DeploymentsController],
  providers: [DeploymentsService, DeploymentFeeds],
})
export class DeploymentsModule {}
