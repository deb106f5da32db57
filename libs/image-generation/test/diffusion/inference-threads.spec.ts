import { ModelSessions } from '@switchyard/model-runtime';
import { DiffusionPipeline, type GenerationRequest } from '../../src';
import { DiffusionReplicas, SD_TURBO } from './support/diffusion-replicas';

const job: GenerationRequest = { prompt: 'a photo of a cat', negativePrompt: '', width: 64, height: 48, steps: 3, guidanceScale: 2, seed: 9 };

describe('DiffusionPipeline with its sessions in inference threads', () => {
  let replicas: DiffusionReplicas;
  let threaded: ModelSessions;

  beforeAll(async () => {
    replicas = await DiffusionReplicas.generate();
    threaded = new ModelSessions({ executionProviders: ['cpu'], inferenceThreads: 1 });
  });
  afterAll(async () => {
    await threaded.release();
    await replicas.remove();
  });

  it('gives the bytes it gives on the calling thread', async () => {
    const signal = new AbortController().signal;
    const local = await (await DiffusionPipeline.load(replicas.store, replicas.sessions, SD_TURBO)).generate(job, { signal });
    const pooled = await (await DiffusionPipeline.load(replicas.store, threaded, SD_TURBO)).generate(job, { signal });
    expect(Buffer.from(pooled.image.data).equals(Buffer.from(local.image.data))).toBe(true);
  });

  it('fails at once when cut off during a step', async () => {
    const pipeline = await DiffusionPipeline.load(replicas.store, threaded, SD_TURBO);
    const cutOff = new AbortController();
    const running = pipeline.generate(job, {
      signal: new AbortController().signal,
      cutOff: cutOff.signal,
      onStep: (step) => (step === 1 ? cutOff.abort() : undefined),
    });
    await expect(running).rejects.toMatchObject({ name: 'InferenceRunCutOffError' });
  });
});
