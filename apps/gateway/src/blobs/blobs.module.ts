import { Module } from '@nestjs/common';
import { StatusModule } from '../status/status.module';
import { BlobsController } from './blobs.controller';

/** `/v2/{endpointId}/blobs/{blob}`: large outputs served by signed link. */
@Module({ imports: [StatusModule], controllers: [BlobsController] })
export class BlobsModule {}
