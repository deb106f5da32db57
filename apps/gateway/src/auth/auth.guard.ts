import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { GatewayConfig } from '../config';
import { ForbiddenError, RateLimitedError, UnauthorizedError } from '../http/api-errors';
import { CONFIG } from '../infra/tokens';
import { ACCESS, BUCKET, type RouteAccess } from './access';
import { ApiKeysService } from './api-keys.service';
import type { Principal } from './principal';
import { RateLimiter, type RateBucket } from './rate-limiter';

export { AdminOnly, Public, RateBucketOf, RequiresPermission, WorkerKeyOnly } from './access';

export type AuthenticatedRequest = FastifyRequest & { principal: Principal };
export type MaybeAuthenticatedRequest = FastifyRequest & { principal?: Principal };

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

/** A worker's key: RunPod's workers send it raw (RUNPOD_AI_API_KEY), others as a bearer key. */
export function workerCredentialFrom(header: string | undefined): string | undefined {
  if (!header) return undefined;
  return credentialFrom(header) ?? (header.includes(' ') ? undefined : header.trim());
}

/** What an undecorated route needs: an admin key (fail closed). */
const UNDECLARED: RouteAccess = { kind: 'admin' };

/**
 * The one guard, registered as APP_GUARD: every route needs a key with the permission it
 * declares (see access.ts), except routes marked public. The principal comes from the key alone;
 * nothing else in the request (headers, body, query) can change it.
 */
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
    const access = this.reflector.getAllAndOverride<RouteAccess>(ACCESS, targets) ?? UNDECLARED;
    const request = context.switchToHttp().getRequest<MaybeAuthenticatedRequest>();
    // Whatever a client put here is never trusted.
    request.principal = undefined;
    if (access.kind === 'public') {
      if (access.optionalKey && request.headers.authorization) {
        const principal = await this.authenticate(request.headers.authorization, request.ip).catch(() => undefined);
        if (principal?.scope === 'api') request.principal = principal;
      }
      return true;
    }
    const credential = access.kind === 'worker' ? workerCredentialFrom(request.headers.authorization) : credentialFrom(request.headers.authorization);
    const principal = await this.authenticateKey(credential, request.ip);
    request.principal = principal;
    if (this.config.RATE_LIMITS_ENABLED) {
      const bucket = this.reflector.getAllAndOverride<RateBucket>(BUCKET, targets) ?? 'other';
      const verdict = await this.limiter.take(principal.id, bucket);
      if (!verdict.allowed) throw new RateLimitedError(verdict.retryAfterSeconds, verdict.limit);
    }
    authorize(principal, access, request);
    return true;
  }

  async authenticate(header: string | undefined, clientAddress: string): Promise<Principal> {
    return this.authenticateKey(credentialFrom(header), clientAddress);
  }

  private async authenticateKey(key: string | undefined, clientAddress: string): Promise<Principal> {
    if (!key) throw new UnauthorizedError('Missing API key: send Authorization: Bearer <key>');
    const principal = await this.keys.authenticate(key, clientAddress);
    if (!principal) throw new UnauthorizedError('Invalid, expired or revoked API key');
    return principal;
  }
}

/** Refuses (403) a principal whose permissions do not cover the route. */
export function authorize(principal: Principal, access: Exclude<RouteAccess, { kind: 'public' }>, request: FastifyRequest): void {
  if (access.kind === 'worker') return authorizeWorker(principal, request);
  if (principal.scope === 'worker') throw new ForbiddenError('This is a worker key: it serves only the worker protocol (/v2/workers/…)');
  if (access.kind === 'admin') {
    if (!principal.admin) throw new ForbiddenError('This needs an admin key');
    return;
  }
  if (access.kind === 'write' && principal.permission === 'read_only') throw new ForbiddenError('This key is read-only');
  if (principal.permission === 'restricted') {
    const endpoint = access.endpoint ?? (request.params as Record<string, string> | undefined)?.endpointId;
    if (endpoint !== undefined && !principal.endpoints.includes(endpoint)) throw new ForbiddenError(`This key may not use endpoint "${endpoint}"`);
    if (endpoint === undefined && access.kind === 'write') throw new ForbiddenError('This key is restricted to endpoints');
  }
}

/** Refuses (403) a key that is not a worker key of the route's endpoint. */
function authorizeWorker(principal: Principal, request: FastifyRequest): void {
  if (principal.scope !== 'worker') throw new ForbiddenError('The worker protocol needs a worker key (an API key of scope "worker")');
  const endpoint = (request.params as Record<string, string> | undefined)?.endpointId;
  if (endpoint === undefined || !principal.endpoints.includes(endpoint))
    throw new ForbiddenError(`This worker key may not take jobs of endpoint "${endpoint}"`);
}
