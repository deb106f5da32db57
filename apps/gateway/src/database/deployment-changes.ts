import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { connectRedis, RedisKeys, type Logger } from '@switchyard/shared';
import type { GatewayConfig } from '../config';
import { CONFIG, LOGGER, REDIS } from '../infra/tokens';

/**
 * Tells every gateway that the set of ready deployments may have changed, so that each re-reads it
 * at once rather than at its next periodic refresh: a deployment is routable from the moment it is
 * ready, and leaves the router the moment its delete starts, on every replica. Best effort: a lost
 * announcement costs one refresh period.
 */
@Injectable()
export class DeploymentChanges implements OnApplicationShutdown {
  private subscriber?: Redis;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async announce(): Promise<void> {
    await this.redis
      .publish(this.keys.deploymentChanges, '')
      .catch((error: unknown) => this.logger.warn({ err: error }, 'a deployment change could not be announced'));
  }

  async listen(listener: () => void): Promise<void> {
    this.subscriber ??= connectRedis(this.config.REDIS_URL, 'blocking', 'gateway:deployment-changes');
    this.subscriber.on('message', listener);
    await this.subscriber.subscribe(this.keys.deploymentChanges);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscriber?.quit().catch(() => undefined);
  }
}
