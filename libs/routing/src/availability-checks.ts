import { AVAILABLE, estimatedWaitMs, refused, type BackendAvailability, type QueueLoad } from './backend-availability';
import type { CircuitBreaker } from './circuit-breaker';
import { sizeFitsWithin } from './model-size';
import type { ClientBackendConfig, LocalLimits, RemoteBackendConfig, RoutingModel } from './routing-config';

/** What the gateway knows of the local queue for one model, from worker heartbeats and recent jobs. */
export interface LocalObservation extends QueueLoad {
  /** Whether any live worker has the model loaded. */
  modelLoaded: boolean;
}

/** Local takes a model its hardware may run, when live workers have it loaded and the estimated wait is under the limit. */
export function localAvailability(model: RoutingModel, limits: LocalLimits, observed: LocalObservation): BackendAvailability {
  if (!sizeFitsWithin(model.size, limits.maxLocalSize)) return refused({ kind: 'too-large-for-local', size: model.size, max: limits.maxLocalSize });
  if (observed.liveSlots <= 0) return refused({ kind: 'no-live-workers' });
  if (!observed.modelLoaded) return refused({ kind: 'model-not-loaded' });
  const waitMs = estimatedWaitMs(observed);
  if (waitMs >= limits.maxEstimatedWaitMs) return refused({ kind: 'estimated-wait', waitMs, limitMs: limits.maxEstimatedWaitMs });
  return AVAILABLE;
}

export interface RemoteObservation {
  /** The latest `/health` probe: `undefined` while none has answered yet. */
  health: { ok: true } | { ok: false; detail: string } | undefined;
  breaker: Pick<CircuitBreaker, 'canPass' | 'retryInMs'>;
  /** Requests to the remote in flight now, against `maxConcurrency`. */
  inFlight: number;
}

/** Remote takes requests when configured, its last health probe passed, its circuit lets requests through and it has a free slot. */
export function remoteAvailability(
  config: (Pick<RemoteBackendConfig, 'maxConcurrency'> & Partial<RemoteBackendConfig>) | undefined,
  observed: RemoteObservation,
): BackendAvailability {
  if (!config) return refused({ kind: 'not-configured' });
  if (!observed.health) return refused({ kind: 'unhealthy', detail: 'no health probe has answered yet' });
  if (!observed.health.ok) return refused({ kind: 'unhealthy', detail: observed.health.detail });
  if (!observed.breaker.canPass()) return refused({ kind: 'circuit-open', retryInMs: observed.breaker.retryInMs() });
  if (observed.inFlight >= config.maxConcurrency) return refused({ kind: 'at-concurrency-limit', inFlight: observed.inFlight, limit: config.maxConcurrency });
  return AVAILABLE;
}

/** The client takes a model when client inference is enabled and the model's files fit its limit. */
export function clientAvailability(config: ClientBackendConfig | undefined, model: RoutingModel): BackendAvailability {
  if (!config) return refused({ kind: 'not-configured' });
  if (!config.enabled) return refused({ kind: 'client-disabled' });
  // parseRoutingConfig requires modelBytes of every model that lists the client; a missing size cannot be shown to fit.
  const bytes = model.modelBytes ?? Infinity;
  if (bytes > config.maxModelBytes) return refused({ kind: 'too-large-for-client', bytes, max: config.maxModelBytes });
  return AVAILABLE;
}
