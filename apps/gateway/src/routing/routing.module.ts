import { Global, Module } from '@nestjs/common';
import { EndpointRegistry } from '@switchyard/shared';
import type { GatewayConfig } from '../config';
import { JobQueue } from '../infra/job-queue';
import { CONFIG } from '../infra/tokens';
import { DatabaseModule } from '../database/database.module';
import { BackendRouter } from './backend-router';
import { DeploymentBackends } from './deployment-backends';
import { QueueLoadMonitor } from './queue-load';
import { RemoteBackends } from './remote-backends';
import { ROUTING_SETTINGS } from './routing.tokens';
import { loadRoutingSettings } from './routing-settings';
import { TextModelCatalog } from '../text-detector/text-model-catalog';
import { textDetectorDefaultRouting } from '../text-detector/text-detector-routing';

/** The routing configuration (with the text detector's defaults), validated at start-up, the router and the remote backends it may send jobs to: configured ones and ready deployments. */
@Global()
@Module({
  imports: [DatabaseModule],
  providers: [
    { provide: TextModelCatalog, inject: [CONFIG], useFactory: (config: GatewayConfig) => TextModelCatalog.load(config) },
    {
      provide: ROUTING_SETTINGS,
      inject: [CONFIG, EndpointRegistry, TextModelCatalog],
      useFactory: (config: GatewayConfig, endpoints: EndpointRegistry, catalog: TextModelCatalog) =>
        loadRoutingSettings(config, endpoints, process.env, textDetectorDefaultRouting(catalog, config)),
    },
    {
      provide: QueueLoadMonitor,
      inject: [JobQueue, CONFIG],
      useFactory: (queue: JobQueue, config: GatewayConfig) => new QueueLoadMonitor(queue, config.ROUTING_SAMPLE_MS),
    },
    RemoteBackends,
    DeploymentBackends,
    BackendRouter,
  ],
  exports: [TextModelCatalog, ROUTING_SETTINGS, QueueLoadMonitor, RemoteBackends, DeploymentBackends, BackendRouter],
})
export class RoutingModule {}
