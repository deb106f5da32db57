import type { ModelSession } from '@switchyard/model-runtime';
import { DiffusionModelError, DiffusionPipeline, type GenerationRequest } from '../../src';
import { DiffusionReplicas, maxAbsDifference, SD_TURBO } from './support/diffusion-replicas';
import { halfPrecisionEdges } from './support/half-precision-graph';

const job: GenerationRequest = { prompt: 'a photo of a cat', negativePrompt: 'a dog', width: 48, height: 32, steps: 2, guidanceScale: 2.5, seed: 3 };
const control = () => ({ signal: new AbortController().signal });

describe('exports that type or shape their tensors differently', () => {
  let replicas: DiffusionReplicas;
  let reference: Uint8Array;

  beforeAll(async () => {
    replicas = await DiffusionReplicas.generate();
    const pipeline = await DiffusionPipeline.load(replicas.store, replicas.sessions, SD_TURBO);
    reference = (await pipeline.generate(job, control())).image.data as Uint8Array;
  });
  afterAll(() => replicas.remove());

  it.each([
    [
      'int64-ids-int64-scalar-timestep',
      {
        'text_encoder/model.onnx': { input_ids: { type: 'int64', dims: ['batch_size', 'sequence_length'] } },
        'unet/model.onnx': { timestep: { type: 'int64', dims: [] } },
      },
    ],
    [
      'int64-ids-float32-scalar-timestep',
      {
        'text_encoder/model.onnx': { input_ids: { type: 'int64', dims: ['batch_size', 'sequence_length'] } },
        'unet/model.onnx': { timestep: { type: 'float32', dims: [] } },
      },
    ],
  ] as const)('runs a variant with %s and gives the same image', async (name, retyped) => {
    const source = await replicas.variant('stableDiffusion', name, retyped);
    const pipeline = await DiffusionPipeline.load(replicas.store, replicas.sessions, source);
    const { image } = await pipeline.generate(job, control());
    expect(Buffer.from(image.data).equals(Buffer.from(reference))).toBe(true);
  });

  it('converts to and from a float16 export’s tensors, close to the float32 image', async () => {
    const source = await replicas.variant('stableDiffusion', 'float16', {});
    await halfPrecisionEdges(replicas.path(source.repo, 'text_encoder/model.onnx'), [], ['last_hidden_state']);
    await halfPrecisionEdges(replicas.path(source.repo, 'unet/model.onnx'), ['sample', 'encoder_hidden_states'], ['out_sample']);
    await halfPrecisionEdges(replicas.path(source.repo, 'vae_decoder/model.onnx'), ['latent_sample'], ['sample']);
    const pipeline = await DiffusionPipeline.load(replicas.store, replicas.sessions, source);
    const unet: ModelSession = await replicas.sessions.load(replicas.path(source.repo, 'unet/model.onnx'));
    const runs = jest.spyOn(unet, 'run');
    const { image } = await pipeline.generate(job, control());
    expect(runs.mock.calls[0][0].sample.type).toBe('float16');
    const data = image.data as Uint8Array;
    const meanDifference = data.reduce((sum, value, i) => sum + Math.abs(value - reference[i]), 0) / data.length;
    expect(meanDifference).toBeLessThan(2);
    expect(Buffer.from(data).equals(Buffer.from(reference))).toBe(false);
  });

  it('runs the two guidance rows one at a time where the UNet’s batch is fixed at 1', async () => {
    const source = await replicas.variant('stableDiffusion', 'batch-1', {
      'unet/model.onnx': {
        sample: { type: 'float32', dims: [1, 4, 'height', 'width'] },
        encoder_hidden_states: { type: 'float32', dims: [1, 'sequence_length', 32] },
      },
    });
    const pipeline = await DiffusionPipeline.load(replicas.store, replicas.sessions, source);
    const unet: ModelSession = await replicas.sessions.load(replicas.path(source.repo, 'unet/model.onnx'));
    const runs = jest.spyOn(unet, 'run');
    const { image } = await pipeline.generate(job, control());
    expect(runs.mock.calls.map(([feeds]) => feeds.sample.dims[0])).toEqual([1, 1, 1, 1]);
    expect(maxAbsDifference(image.data as Uint8Array, reference)).toBeLessThanOrEqual(1);
  });

  it('refuses, naming file and tensor, a UNet input it cannot feed', async () => {
    const source = await replicas.variant('stableDiffusion', 'timestep-cond', {
      'unet/model.onnx': { timestep_cond: { type: 'float32', dims: ['batch_size', 256] } },
    });
    const loading = DiffusionPipeline.load(replicas.store, replicas.sessions, source);
    await expect(loading).rejects.toThrow(DiffusionModelError);
    await expect(loading).rejects.toMatchObject({ file: 'unet/model.onnx', tensor: 'timestep_cond', code: 'diffusion_model' });
  });

  it('refuses an integer timestep for an EDM scheduler, whose timesteps are 0.25·ln σ', async () => {
    const source = await replicas.variant('stableDiffusionXl', 'edm-int-timestep', { 'unet/model.onnx': { timestep: { type: 'int64', dims: [1] } } });
    await expect(DiffusionPipeline.load(replicas.store, replicas.sessions, source)).rejects.toMatchObject({ tensor: 'timestep', file: 'unet/model.onnx' });
  });
});
