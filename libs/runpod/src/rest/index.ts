export * from './errors';
export { parseRateLimitHeader, rateLimitWaitMs, type RateLimitWindow } from './rate-limit-headers';
export * from './runpod-rest-types';
export {
  RunPodRestClient,
  DEFAULT_RUNPOD_REST_BASE_URL,
  DEFAULT_RUNPOD_REST_TIMEOUT_MS,
  DEFAULT_RUNPOD_REST_MAX_ATTEMPTS,
  type RunPodRestClientOptions,
} from './runpod-rest-client';
