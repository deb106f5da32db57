import type { GpuCandidate } from '../gpus/catalog-gpu';

/** Every candidate GPU pool answered RunPod's "no capacity": nothing was created. */
export class NoGpuCapacityError extends Error {
  override readonly name = 'NoGpuCapacityError';

  constructor(readonly tried: readonly { candidate: GpuCandidate; reason: string }[]) {
    super(`No GPU capacity on RunPod: ${tried.map(({ candidate, reason }) => `${candidate.pool}: ${reason}`).join('; ')}`);
  }
}

/** The endpoint did not become ready in time, or its worker said it failed; what was created is deleted. */
export class EndpointNotReadyError extends Error {
  override readonly name = 'EndpointNotReadyError';
}

/** The RunPod key is missing: neither the request, its header nor the project gives one. */
export class MissingRunPodKeyError extends Error {
  override readonly name = 'MissingRunPodKeyError';
  readonly field = 'user_runpod_key';

  constructor() {
    super('user_runpod_key: a RunPod API key is needed (in the body, in X-Runpod-Api-Key, or as the project default)');
  }
}
