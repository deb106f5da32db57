export {
  RemoteCallError,
  RemoteHttpError,
  RemoteProtocolError,
  RemoteRedirectError,
  RemoteDestinationRefusedError,
  RemoteUnreachableError,
  isRetryableRemoteError,
  RemoteExecutionError,
  RemoteJobNotAcceptedError,
  RemoteJobFailedError,
  RemoteJobCancelledError,
  RemoteJobTimedOutError,
  RemoteLostError,
  RemoteFollowDetachedError,
  type RunPodCall,
  type NotAcceptedReason,
  type RemoteLostReason,
} from './errors';
export type { RunAnswer, StatusAnswer, StreamAnswer, CancelAnswer, HealthAnswer, RunPodJobPolicy } from './runpod-answers';
export {
  RunPodEndpointClient,
  DEFAULT_REMOTE_CALL_TIMEOUT_MS,
  DEFAULT_REMOTE_MAX_RESPONSE_BYTES,
  type RunPodEndpointClientOptions,
  type RemoteCallOptions,
} from './runpod-endpoint-client';
export {
  executeRemoteJob,
  DEFAULT_REMOTE_EXECUTION_OPTIONS,
  type RemoteJob,
  type RemoteExecutionHooks,
  type RemoteExecutionOptions,
  type RemoteExecutionResult,
} from './remote-job-execution';
export { RemoteHealthProbe, type RemoteHealth, type RemoteCapacity, type RemoteHealthProbeOptions } from './remote-health-probe';
export { backoffDelayMs } from './retry-delays';
export * from './rest';
