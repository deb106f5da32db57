import { Inject, Injectable } from '@nestjs/common';
import type { Database } from '@switchyard/db';
import { DATABASE } from '../infra/tokens';

/** API keys in Postgres, as authentication reads them (ApiKeyManager writes them). */
@Injectable()
export class ApiKeyRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  findByHash(hash: string) {
    return this.database.prisma.apiKey.findUnique({ where: { hash } });
  }

  findById(apiKeyId: string) {
    return this.database.prisma.apiKey.findUnique({ where: { id: apiKeyId } });
  }
}
