import { SetMetadata } from '@nestjs/common';
import type { RateBucket } from './rate-limiter';

/**
 * What a route needs from its caller. A route that declares nothing needs an admin key: the
 * global guard fails closed, so a new controller is never open by accident.
 */
export type RouteAccess =
  | { kind: 'public'; /** Attach the caller's principal when a valid key is sent (to show admins more). */ optionalKey?: boolean }
  | { kind: 'read' | 'write'; /** The endpoint a restricted key must be allowed; default: the `endpointId` path parameter. */ endpoint?: string }
  | { kind: 'admin' }
  | { kind: 'worker' };

export const ACCESS = Symbol('route-access');
export const BUCKET = Symbol('rate-bucket');

/** Open to everyone (probes, docs); with `optionalKey`, a valid key is still recognised. */
export const Public = (options: { optionalKey?: boolean } = {}) => SetMetadata(ACCESS, { kind: 'public', ...options } satisfies RouteAccess);

/**
 * `read`: any key of the project (read_only included); `write`: read_write keys, and restricted keys
 * on their endpoints. Restricted keys are held to their endpoints for reads too.
 */
export const RequiresPermission = (permission: 'read' | 'write', options: { endpoint?: string } = {}) =>
  SetMetadata(ACCESS, { kind: permission, ...options } satisfies RouteAccess);

/** Admin keys only: dashboard, key management, purge across projects, operational details. */
export const AdminOnly = () => SetMetadata(ACCESS, { kind: 'admin' } satisfies RouteAccess);

/**
 * RunPod's worker protocol: worker keys only, for the `endpointId` path parameter; the key may be
 * sent raw in Authorization, as runpod-python does, or as a bearer key.
 */
export const WorkerKeyOnly = () => SetMetadata(ACCESS, { kind: 'worker' } satisfies RouteAccess);

/** Names the rate-limit bucket a route counts against. */
export const RateBucketOf = (bucket: RateBucket) => SetMetadata(BUCKET, bucket);
