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

describe('the worker mode', () => {
  const runPodEnvironment = {
    RUNPOD_WEBHOOK_GET_JOB: 'https://api.runpod.ai/v2/ep1/job-take/$ID?gpu=A100',
    RUNPOD_WEBHOOK_POST_OUTPUT: 'https://api.runpod.ai/v2/ep1/job-done/$RUNPOD_POD_ID/$ID?gpu=A100',
    RUNPOD_WEBHOOK_POST_STREAM: 'https://api.runpod.ai/v2/ep1/job-stream/$RUNPOD_POD_ID/$ID?gpu=A100',
    RUNPOD_WEBHOOK_PING: 'https://api.runpod.ai/v2/ep1/ping/$RUNPOD_POD_ID?gpu=A100',
    RUNPOD_AI_API_KEY: 'worker-key',
    RUNPOD_POD_ID: 'pod-1',
    RUNPOD_ENDPOINT_ID: 'ep1',
  };
  const loadRunPod = (env: Record<string, string>) => load({ WORKER_MODE: 'runpod', WORKER_QUEUES: 'echo', ...runPodEnvironment, ...env });

  it('defaults to BullMQ, where RunPod’s variables are not read', () => {
    expect(load({})).toMatchObject({ WORKER_MODE: 'bullmq', runpod: undefined });
    expect(load({ RUNPOD_WEBHOOK_GET_JOB: 'not a URL' }).runpod).toBeUndefined();
  });

  it('reads RunPod’s variables in RunPod mode, the ping interval defaulting to the SDK’s 10 s', () => {
    expect(loadRunPod({}).runpod).toEqual({ ...runPodEnvironment, RUNPOD_PING_INTERVAL: 10_000 });
    expect(loadRunPod({ RUNPOD_PING_INTERVAL: '2500' }).runpod?.RUNPOD_PING_INTERVAL).toBe(2_500);
  });

  it('refuses to start in RunPod mode without one of RunPod’s variables, or serving other than one queue', () => {
    const { RUNPOD_WEBHOOK_GET_JOB: _missing, ...withoutTake } = runPodEnvironment;
    expect(() => load({ WORKER_MODE: 'runpod', WORKER_QUEUES: 'echo', ...withoutTake })).toThrow(/RUNPOD_WEBHOOK_GET_JOB: .*needed with WORKER_MODE=runpod/);
    expect(() => loadRunPod({ RUNPOD_WEBHOOK_PING: 'ftp://elsewhere' })).toThrow(/RUNPOD_WEBHOOK_PING/);
    expect(() => loadRunPod({ WORKER_QUEUES: 'echo,embedder' })).toThrow(/WORKER_QUEUES: must name exactly one queue .*echo, embedder/);
    expect(() => load({ ...runPodEnvironment, WORKER_MODE: 'runpod' })).toThrow(/WORKER_QUEUES: must name exactly one queue .*embedder, echo/);
    expect(() => load({ WORKER_MODE: 'lambda' })).toThrow(/WORKER_MODE/);
  });
});
