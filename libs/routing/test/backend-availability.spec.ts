import {
  AVAILABLE,
  CircuitBreaker,
  clientAvailability,
  describeRefusal,
  estimatedWaitMs,
  localAvailability,
  refused,
  remoteAvailability,
  type LocalLimits,
  type RemoteBackendConfig,
  type RoutingModel,
} from '@switchyard/routing';

describe('estimatedWaitMs', () => {
  it('spreads the queued work over the live slots', () => {
    expect(estimatedWaitMs({ queuedJobs: 10, meanExecutionMs: 400, liveSlots: 4 })).toBe(1_000);
  });

  it('is Infinity with no live slots, even for an empty queue', () => {
    expect(estimatedWaitMs({ queuedJobs: 5, meanExecutionMs: 400, liveSlots: 0 })).toBe(Infinity);
    expect(estimatedWaitMs({ queuedJobs: 0, meanExecutionMs: 400, liveSlots: 0 })).toBe(Infinity);
  });

  it('is zero for an empty queue, whatever the execution time', () => {
    expect(estimatedWaitMs({ queuedJobs: 0, meanExecutionMs: Number.NaN, liveSlots: 2 })).toBe(0);
  });
});

describe('describeRefusal', () => {
  it.each([
    [{ kind: 'not-configured' }, 'not configured'],
    [{ kind: 'no-live-workers' }, 'no live workers'],
    [{ kind: 'model-not-loaded' }, 'model not loaded'],
    [{ kind: 'estimated-wait', waitMs: 12_400, limitMs: 5_000 }, 'estimated wait 12.4 s over the 5 s limit'],
    [{ kind: 'estimated-wait', waitMs: Infinity, limitMs: 5_000 }, 'estimated wait unbounded over the 5 s limit'],
    [{ kind: 'too-large-for-local', size: 'large', max: 'medium' }, 'model size large over the local limit medium'],
    [{ kind: 'circuit-open', retryInMs: 4_000 }, 'circuit open'],
    [{ kind: 'unhealthy', detail: '/health answered 503' }, 'unhealthy: /health answered 503'],
    [{ kind: 'at-concurrency-limit', inFlight: 4, limit: 4 }, 'at the concurrency limit (4 of 4 in flight)'],
    [{ kind: 'client-disabled' }, 'client inference disabled'],
    [{ kind: 'browser-only' }, 'runs in the browser, so only /text-detector/predict can answer with it'],
    [{ kind: 'too-large-for-client', bytes: 800, max: 10_000_000 }, 'model files 800 B over the client limit 10 MB'],
  ] as const)('%j reads "%s"', (reason, text) => {
    expect(describeRefusal(reason)).toBe(text);
  });
});

const model = (overrides: Partial<RoutingModel> = {}): RoutingModel => ({
  id: 'detector',
  endpoint: 'detect',
  size: 'small',
  preferred: 'local',
  fallbacks: [],
  ...overrides,
});

describe('localAvailability', () => {
  const limits: LocalLimits = { maxLocalSize: 'medium', maxEstimatedWaitMs: 5_000 };
  const healthy = { liveSlots: 2, modelLoaded: true, queuedJobs: 4, meanExecutionMs: 1_000 };

  it('is available with loaded live workers and a short wait', () => {
    expect(localAvailability(model(), limits, healthy)).toEqual(AVAILABLE);
  });

  it.each([
    ['a model over the size limit', model({ size: 'large' }), healthy, { kind: 'too-large-for-local', size: 'large', max: 'medium' }],
    ['no live workers', model(), { ...healthy, liveSlots: 0 }, { kind: 'no-live-workers' }],
    ['the model not loaded', model(), { ...healthy, modelLoaded: false }, { kind: 'model-not-loaded' }],
    ['a wait at the limit', model(), { ...healthy, queuedJobs: 10 }, { kind: 'estimated-wait', waitMs: 5_000, limitMs: 5_000 }],
  ] as const)('refuses %s', (_, forModel, observed, reason) => {
    expect(localAvailability(forModel, limits, observed)).toEqual(refused(reason));
  });
});

describe('remoteAvailability', () => {
  const config: RemoteBackendConfig = {
    baseUrl: 'https://runpod.internal',
    endpointId: 'ep',
    apiKeyEnv: 'RUNPOD_API_KEY',
    timeoutMs: 30_000,
    maxConcurrency: 2,
  };
  const closedBreaker = new CircuitBreaker({ failureThreshold: 1, coolDownMs: 1_000 });
  const healthy = { health: { ok: true }, breaker: closedBreaker, inFlight: 0 } as const;

  it('is available when configured, healthy, closed and under its concurrency limit', () => {
    expect(remoteAvailability(config, healthy)).toEqual(AVAILABLE);
  });

  it('refuses when not configured', () => {
    expect(remoteAvailability(undefined, healthy)).toEqual(refused({ kind: 'not-configured' }));
  });

  it('refuses before any health probe answered, and after a failed one', () => {
    expect(remoteAvailability(config, { ...healthy, health: undefined })).toEqual(refused({ kind: 'unhealthy', detail: 'no health probe has answered yet' }));
    expect(remoteAvailability(config, { ...healthy, health: { ok: false, detail: 'timed out' } })).toEqual(refused({ kind: 'unhealthy', detail: 'timed out' }));
  });

  it('refuses while the circuit is open, saying when to retry', () => {
    const clock = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 1, coolDownMs: 1_000, now: () => clock });
    breaker.recordFailure(breaker.tryAcquire()!);
    expect(remoteAvailability(config, { ...healthy, breaker })).toEqual(refused({ kind: 'circuit-open', retryInMs: 1_000 }));
  });

  it('refuses at its concurrency limit', () => {
    expect(remoteAvailability(config, { ...healthy, inFlight: 2 })).toEqual(refused({ kind: 'at-concurrency-limit', inFlight: 2, limit: 2 }));
  });
});

describe('clientAvailability', () => {
  const config = { enabled: true, maxModelBytes: 10_000_000 };

  it('is available for a model whose files fit', () => {
    expect(clientAvailability(config, model({ modelBytes: 10_000_000 }))).toEqual(AVAILABLE);
  });

  it('refuses when not configured or disabled', () => {
    expect(clientAvailability(undefined, model({ modelBytes: 1 }))).toEqual(refused({ kind: 'not-configured' }));
    expect(clientAvailability({ ...config, enabled: false }, model({ modelBytes: 1 }))).toEqual(refused({ kind: 'client-disabled' }));
  });

  it('refuses a model over the limit, or of unknown size', () => {
    expect(clientAvailability(config, model({ modelBytes: 10_000_001 }))).toEqual(
      refused({ kind: 'too-large-for-client', bytes: 10_000_001, max: 10_000_000 }),
    );
    expect(clientAvailability(config, model())).toEqual(refused({ kind: 'too-large-for-client', bytes: Infinity, max: 10_000_000 }));
  });
});
