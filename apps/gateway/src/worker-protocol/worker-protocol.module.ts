import { Module } from '@nestjs/common';
import { ExternalWorkers } from './external-workers.service';
import { WorkerProtocolController } from './worker-protocol.controller';

/** RunPod's worker protocol under `/v2/workers/{endpointId}`: external runpod-python workers take the endpoints' jobs. */
@Module({
  controllers: [WorkerProtocolController],
  providers: [ExternalWorkers],
})
export class WorkerProtocolModule {}
