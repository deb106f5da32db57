import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { connectRedis } from '@switchyard/shared';
import type { DeployerConfig } from './config';
import { DeployerController } from './deployer.controller';
import { DEPLOYER_CONFIG, WORKER_REPORTS_REDIS } from './tokens';

/** The deployer's worker: its controller, its configuration and the Redis connection of the workers' readiness reports. */
@Module({})
export class DeployerModule implements OnApplicationShutdown {
  constructor(@Inject(WORKER_REPORTS_REDIS) private readonly redis: Redis) {}

  static register(config: DeployerConfig): DynamicModule {
    return {
      module: DeployerModule,
      controllers: [DeployerController],
      providers: [
        { provide: DEPLOYER_CONFIG, useValue: config },
        { provide: WORKER_REPORTS_REDIS, useFactory: () => connectRedis(config.REDIS_URL, 'durable', 'deployer:worker-reports') },
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}
