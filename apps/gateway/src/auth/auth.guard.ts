import { Inject, Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { GatewayConfig } from '../config';
import { RateLimitedError, UnauthorizedError } from '../http/api-errors';
import { CONFIG } from '../infra/tokens';
import { ApiKeysService } from './api-keys.service';
import type { Principal } from './principal';
import { RateLimiter, type RateBucket } from './rate-limiter';

const PUBLIC = Symbol('public');
const BUCKET = Symbol('rate-bucket');

/** Marks a route as open to everyone (probes, metrics scraping, docs). */
export const Public = () => SetMetadata(PUBLIC, true);
/** Names the rate-limit bucket a route counts against. */
export const RateBucketOf = (bucket: RateBucket) => SetMetadata(BUCKET, bucket);

export type AuthenticatedRequest = FastifyRequest & { principal: Principal };

/** Reads the bearer key (or the password of Basic auth, for browsers on the dashboard). */
export function credentialFrom(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.split(' ', 2);
  if (/^bearer$/i.test(scheme)) return value?.trim();
  if (/^basic$/i.test(scheme) && value) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1);
  }
  return undefined;
}

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysService,
    private readonly limiter: RateLimiter,
    @Inject(CONFIG) private readonly config: GatewayConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = await this.authenticate(request.headers.authorization);
    request.principal = principal;
    if (this.config.RATE_LIMITS_ENABLED) {
      const bucket = this.reflector.getAllAndOverride<RateBucket>(BUCKET, targets) ?? 'other';
      const verdict = await this.limiter.take(principal.id, bucket);
      if (!verdict.allowed) throw new RateLimitedError(verdict.retryAfterSeconds, verdict.limit);
    }
    return true;
  }

  async authenticate(header: string | undefined): Promise<Principal> {
    const key = credentialFrom(header);
    if (!key) throw new UnauthorizedError('Missing API key: send Authorization: Bearer <key>');
    const principal = await this.keys.authenticate(key);
    if (!principal) throw new UnauthorizedError('Invalid or revoked API key');
    return principal;
  }
}
