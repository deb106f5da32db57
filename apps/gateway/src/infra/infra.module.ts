import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { BlobClaimCheck } from '@switchyard/blobs';
import { databaseTarget, openDatabase, type Database } from '@switchyard/db';
import { SecretKeyring } from '@switchyard/secrets';
import { connectRedis, createLogger, EndpointRegistry, JobStateStores, RedisKeys, waitUntilReady, type Logger } from '@switchyard/shared';
import { loadKeyring } from '../auth/master-key';
import type { GatewayConfig } from '../config';
import { BullMq } from './bullmq';
import { gatewayEndpoints } from './gateway-endpoints';
import { JobQueue } from './job-queue';
import { CONFIG, DATABASE, LOGGER, REDIS } from './tokens';

/** Connections and registries the whole gateway shares; closed in order at shutdown, after every feature module. */
class InfraLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(DATABASE) private readonly database: Database,
    private readonly bullMq: BullMq,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.bullMq.close();
    await this.redis.quit().catch(() => undefined);
    await this.database.close();
  }
}

@Global()
@Module({})
export class InfraModule {
  static forConfig(config: GatewayConfig) {
    return {
      module: InfraModule,
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: createLogger('gateway', config.LOG_LEVEL) },
        { provide: RedisKeys, useValue: new RedisKeys(config.REDIS_PREFIX) },
        { provide: SecretKeyring, inject: [LOGGER], useFactory: (logger: Logger) => loadKeyring(config, (message) => logger.warn(message)) },
        { provide: EndpointRegistry, useValue: gatewayEndpoints(config) },
        {
          provide: REDIS,
          useFactory: async () => {
            const redis = connectRedis(config.REDIS_URL, 'request-path', 'gateway');
            await waitUntilReady(redis);
            return redis;
          },
        },
        {
          provide: DATABASE,
          useFactory: () => openDatabase(databaseTarget(config.DATABASE_URL, config.PGLITE_DIR)),
        },
        // One blob store for the claim check, shared with the workers through configuration.
        { provide: BlobClaimCheck, useValue: BlobClaimCheck.fromConfig(config) },
        {
          provide: JobStateStores,
          inject: [REDIS, RedisKeys, BlobClaimCheck],
          useFactory: (redis: Redis, keys: RedisKeys, claimCheck: BlobClaimCheck) => new JobStateStores(redis, keys, claimCheck),
        },
        { provide: BullMq, inject: [RedisKeys], useFactory: (keys: RedisKeys) => new BullMq(config.REDIS_URL, keys) },
        {
          provide: JobQueue,
          inject: [BullMq, REDIS, RedisKeys, EndpointRegistry],
          useFactory: (bullMq: BullMq, redis: Redis, keys: RedisKeys, endpoints: EndpointRegistry) => new JobQueue(bullMq, redis, keys, endpoints),
        },
        InfraLifecycle,
      ],
      exports: [CONFIG, LOGGER, RedisKeys, SecretKeyring, EndpointRegistry, REDIS, DATABASE, BlobClaimCheck, JobStateStores, BullMq, JobQueue],
    };
  }
}
