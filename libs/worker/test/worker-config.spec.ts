import { echoContract, embedderContract } from '@switchyard/shared';
import { loadWorkerConfig, queueConcurrency } from '../src/worker-config';

const contracts = [embedderContract, echoContract];
const load = (env: Record<string, string>) => loadWorkerConfig('test-worker', ['embedder', 'echo'], env);

describe('how many jobs each queue runs at once', () => {
  it('defaults to the app’s CPU concurrency, and on a GPU to each contract’s, else one job holding the device', () => {
    expect(queueConcurrency(load({}), contracts, { cpu: 64, onGpu: false })).toEqual({ embedder: 64, echo: 64 });
    expect(queueConcurrency(load({}), contracts, { cpu: 64, onGpu: true })).toEqual({ embedder: 64, echo: 8 });
    const heavy = { ...echoContract, queue: 'generator', gpuConcurrency: undefined };
    expect(queueConcurrency(load({}), [heavy], { cpu: 8, onGpu: true })).toEqual({ generator: 1 });
  });

  it('takes WORKER_CONCURRENCY for every queue and WORKER_QUEUE_CONCURRENCY above it', () => {
    const config = load({ WORKER_CONCURRENCY: '4', WORKER_QUEUE_CONCURRENCY: 'embedder=2' });
    expect(queueConcurrency(config, contracts, { cpu: 64, onGpu: true })).toEqual({ embedder: 2, echo: 4 });
  });

  it('refuses per-queue settings that are not positive numbers, or name a queue the worker does not serve', () => {
    expect(() => load({ WORKER_QUEUE_CONCURRENCY: 'embedder=0' })).toThrow(/WORKER_QUEUE_CONCURRENCY/);
    expect(() => load({ WORKER_QUEUE_CONCURRENCY: 'embedder' })).toThrow(/is not key=value/);
    expect(() => queueConcurrency(load({ WORKER_QUEUE_CONCURRENCY: 'spai=1' }), contracts, { cpu: 8, onGpu: false })).toThrow(/spai/);
  });

  it('reads the abort grace period and leaves tracebacks off outside development', () => {
    expect(load({})).toMatchObject({ WORKER_ABORT_GRACE_MS: 10_000, ERROR_TRACEBACKS: false });
    expect(load({ NODE_ENV: 'development', WORKER_ABORT_GRACE_MS: '2500' })).toMatchObject({ WORKER_ABORT_GRACE_MS: 2_500, ERROR_TRACEBACKS: true });
  });
});
