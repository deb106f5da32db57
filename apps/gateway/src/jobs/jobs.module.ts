import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module';
import { StatusModule } from '../status/status.module';
import { JobEventFeeds } from './job-event-feed';
import { JobWaiter } from './job-waiter';
import { JobsService } from './jobs.service';
import { QueueAdmission } from './queue-admission';
import { RunpodController } from './runpod.controller';

/** RunPod's job API under `/v2/{endpointId}`: submit, wait, follow, cancel, retry, purge, health. */
@Module({
  imports: [DatabaseModule, StatusModule],
  controllers: [RunpodController],
  providers: [JobsService, JobWaiter, JobEventFeeds, QueueAdmission],
  exports: [JobsService, JobEventFeeds],
})
export class JobsModule {}
