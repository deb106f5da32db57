import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Redis } from 'ioredis';
import type { Database } from '@switchyard/db';
import { SecretKeyring } from '@switchyard/secrets';
import { RedisKeys } from '@switchyard/shared';
import { DatabaseModule } from '../database/database.module';
import { DATABASE, REDIS } from '../infra/tokens';
import { ApiKeyManager } from './api-key-manager';
import { ApiKeysService } from './api-keys.service';
import { AuthGuard } from './auth.guard';
import { webhookSecretContext } from './master-key';
import { RateLimiter } from './rate-limiter';

/** API keys, their rate limits and the one guard of every route, in every role. */
@Module({
  imports: [DatabaseModule],
  providers: [
    ApiKeysService,
    RateLimiter,
    AuthGuard,
    // The one guard of every route: only routes marked @Public() skip it.
    { provide: APP_GUARD, useExisting: AuthGuard },
    {
      provide: ApiKeyManager,
      inject: [DATABASE, REDIS, RedisKeys, SecretKeyring],
      useFactory: (database: Database, redis: Redis, keys: RedisKeys, keyring: SecretKeyring) =>
        new ApiKeyManager(database, { redis, keys }, (secret, id) => keyring.seal(secret, webhookSecretContext(id))),
    },
  ],
  exports: [ApiKeysService, ApiKeyManager, AuthGuard],
})
export class AuthModule {}
