import { Module } from '@nestjs/common';
import { GatewayMetrics } from './gateway-metrics';
import { OperationsController } from './operations.controller';
import { RecorderLag } from './recorder-lag';

/** `/health`, `/ready` and `/metrics`, served in every role, and the metrics registry the other modules count in. */
@Module({ controllers: [OperationsController], providers: [GatewayMetrics, RecorderLag], exports: [GatewayMetrics] })
export class OpsModule {}
