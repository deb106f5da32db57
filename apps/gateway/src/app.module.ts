import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { AdminModule } from './admin/admin.module';
import { AnalyzeModule } from './analyze/analyze.module';
import { AuthModule } from './auth/auth.module';
import { BlobsModule } from './blobs/blobs.module';
import type { GatewayConfig, GatewayRole } from './config';
import { EventsModule } from './events/events.module';
import { InfraModule } from './infra/infra.module';
import { JobsModule } from './jobs/jobs.module';
import { DeploymentsModule } from './deployments/deployments.module';
import { OpenAiModule } from './openai/openai.module';
import { OpsModule } from './ops/ops.module';
import { RetentionModule } from './retention/retention.module';
import { TextDetectorModule } from './text-detector/text-detector.module';
import { RelayModule } from './routing/relay.module';
import { RoutingModule } from './routing/routing.module';
import { WebModule } from './web/web.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { WorkerProtocolModule } from './worker-protocol/worker-protocol.module';

/** The feature modules of each role; see docs/architecture.md. */
const ROLE_MODULES: Record<GatewayRole, Type[]> = {
  api: [JobsModule, OpenAiModule, DeploymentsModule, AnalyzeModule, TextDetectorModule, BlobsModule, AdminModule, WebModule, WorkerProtocolModule],
  recorder: [EventsModule, RetentionModule],
  notifier: [WebhooksModule],
  relay: [RelayModule],
};

/** Composes the gateway: its connections, what every role serves (auth, operations) and the modules of the configured roles. */
@Module({})
export class AppModule {
  /** `extraControllers`: for tests that prove how a new, undecorated controller is guarded. */
  static forConfig(config: GatewayConfig, extraControllers: Type[] = []): DynamicModule {
    return {
      module: AppModule,
      imports: [InfraModule.forConfig(config), RoutingModule, AuthModule, OpsModule, ...config.GATEWAY_ROLES.flatMap((role) => ROLE_MODULES[role])],
      controllers: extraControllers,
    };
  }
}
