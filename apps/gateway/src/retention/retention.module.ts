import { Module } from '@nestjs/common';
import { BlobClaimCheck } from '@switchyard/blobs';
import { DatabaseModule } from '../database/database.module';
import { OpsModule } from '../ops/ops.module';
import { EXPIRED_RESOURCE_CLEANERS, type ExpiredResourceCleaner } from './expired-resource-cleaner';
import { RetentionScheduler } from './retention-scheduler';
import { RetentionService } from './retention.service';

/** The recorder role's retention sweep: what outlived its job's TTL goes, from Postgres and the blob store. */
@Module({
  imports: [DatabaseModule, OpsModule],
  providers: [
    RetentionService,
    RetentionScheduler,
    {
      // Blobs expire with their job: the retention sweep deletes them by the expiry their ids carry.
      provide: EXPIRED_RESOURCE_CLEANERS,
      inject: [BlobClaimCheck],
      useFactory: (claimCheck: BlobClaimCheck): ExpiredResourceCleaner[] => [
        { resource: 'blobs', deleteExpired: (before, limit) => claimCheck.store.deleteExpired(before, limit) },
      ],
    },
  ],
})
export class RetentionModule {}
