import { MissingRunPodKeyError, NoGpuCapacityError } from '@switchyard/deployments';
import {
  HubUnavailableError,
  InvalidModelIdError,
  ModelAccessDeniedError,
  ModelGatedError,
  ModelNotFoundError,
  NoGpuFitsError,
  UnknownGpuTierError,
  UnsupportedTaskError,
} from '@switchyard/deployments';
import { RunPodApiError, RunPodAuthError, RunPodRateLimitedError, RunPodRestError } from '@switchyard/runpod';
import { ApiError, ValidationError } from '../http/api-errors';
import type { ErrorBodyWriter } from '../http/api-exception.filter';

/** The seed's error codes for the platform's own errors, by their code. */
const SEED_CODES: Readonly<Record<string, string>> = {
  invalid_request: 'INVALID_DEPLOYMENT_REQUEST',
  unauthorized: 'UNAUTHORIZED',
  forbidden: 'FORBIDDEN',
  not_found: 'DEPLOYMENT_NOT_FOUND',
  rate_limited: 'RATE_LIMIT_EXCEEDED',
};

/** The seed's error body, `{error: CODE, message, details}`, on every `/v1/deployments` route. */
export const writeDeploymentErrorBody: ErrorBodyWriter = (error) => {
  if (!error) return { status: 500, body: { error: 'INTERNAL_ERROR', message: 'Internal server error', details: {} } };
  const code = SEED_CODES[error.code] ?? (/^[A-Z_]+$/.test(error.code) ? error.code : error.code.toUpperCase());
  return { status: error.status, body: { error: code, message: error.message, details: { ...(error.field ? { field: error.field } : {}), ...error.details } } };
};

/** A deployment error as the API answers it; others pass through as they are. */
export function asDeploymentApiError(error: unknown): unknown {
  if (error instanceof ApiError) return error;
  if (error instanceof MissingRunPodKeyError) return new ValidationError(error.field, error.message.replace(/^user_runpod_key: /, ''));
  if (error instanceof InvalidModelIdError || error instanceof UnsupportedTaskError || error instanceof UnknownGpuTierError) {
    return new ApiError(400, 'INVALID_DEPLOYMENT_REQUEST', error.message, (error as { field?: string }).field);
  }
  if (error instanceof ModelNotFoundError) return new ApiError(404, 'HF_MODEL_NOT_FOUND', error.message, 'hf_model_id');
  if (error instanceof ModelGatedError) return new ApiError(403, 'HF_MODEL_GATED', error.message, 'hf_token');
  if (error instanceof ModelAccessDeniedError) return new ApiError(403, 'HF_TOKEN_REFUSED', error.message, 'hf_token');
  if (error instanceof HubUnavailableError) return new ApiError(502, 'HF_UNAVAILABLE', error.message);
  if (error instanceof NoGpuFitsError || error instanceof NoGpuCapacityError) return new ApiError(503, 'RUNPOD_INSUFFICIENT_GPU', error.message);
  if (error instanceof RunPodAuthError) return new ApiError(401, 'RUNPOD_UNAUTHORIZED', `RunPod refused the key: ${error.message}`, 'user_runpod_key');
  if (error instanceof RunPodRateLimitedError) {
    const retryAfter = Math.max(1, Math.ceil((error.retryAfterMs ?? 1000) / 1000));
    return new ApiError(503, 'RUNPOD_RATE_LIMITED', error.message, undefined, { 'retry-after': String(retryAfter) });
  }
  if (error instanceof RunPodApiError || error instanceof RunPodRestError) return new ApiError(502, 'RUNPOD_API_ERROR', error.message);
  return error;
}
