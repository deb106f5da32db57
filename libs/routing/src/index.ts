export { BACKEND_NAMES, normaliseBackendName, type BackendName } from './backend-name';
export { MODEL_SIZES, sizeFitsWithin, type ModelSize } from './model-size';
export {
  parseRoutingConfig,
  modelBackends,
  routingModelFor,
  type RoutingConfig,
  type RoutingModel,
  type EndpointBackends,
  type LocalBackendConfig,
  type RemoteBackendConfig,
  type ClientBackendConfig,
  type LocalLimits,
} from './routing-config';
export {
  AVAILABLE,
  refused,
  describeRefusal,
  estimatedWaitMs,
  type RefusalReason,
  type BackendAvailability,
  type AvailabilityFacts,
  type QueueLoad,
} from './backend-availability';
export { localAvailability, remoteAvailability, clientAvailability, type LocalObservation, type RemoteObservation } from './availability-checks';
export { CircuitBreaker, type CircuitBreakerOptions, type CircuitPermit, type CircuitState } from './circuit-breaker';
export { decideRoute, type RouteDecision, type RouteOptions } from './route-decision';
export { RoutingConfigError, NoBackendAvailableError, UnknownBackendError, describeSkipped, type SkippedBackend } from './errors';
