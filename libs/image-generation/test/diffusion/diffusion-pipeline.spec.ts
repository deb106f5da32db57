import * as ort from 'onnxruntime-node';
import type { ModelSession } from '@switchyard/model-runtime';
import { DiffusionPipeline, GenerationRequestError, type GenerationRequest } from '../../src';
import { SeededNoise } from '../../src/schedulers';
import { DiffusionReplicas, maxAbsDifference, PLAYGROUND, SD_TURBO, SDXL_TURBO } from './support/diffusion-replicas';

const control = () => ({ signal: new AbortController().signal });
const request = (changes: Partial<GenerationRequest> = {}): GenerationRequest => ({
  prompt: 'a photo of a cat',
  negativePrompt: 'blurry',
  width: 64,
  height: 48,
  steps: 2,
  guidanceScale: 1,
  seed: 7,
  ...changes,
});

/** The pipeline's own session of a file (sessions are shared per path), spied on so each run is seen while the real model runs. */
async function spiedSession(
  replicas: DiffusionReplicas,
  repo: string,
  file: string,
): Promise<jest.SpyInstance<ReturnType<ModelSession['run']>, Parameters<ModelSession['run']>>> {
  const session = await replicas.sessions.load(replicas.path(repo, file));
  return jest.spyOn(session, 'run');
}

const floats = (tensor: ort.Tensor) => tensor.data as Float32Array;

describe('DiffusionPipeline on the tiny replicas', () => {
  let replicas: DiffusionReplicas;

  beforeAll(async () => {
    replicas = await DiffusionReplicas.generate();
  });
  afterAll(() => replicas.remove());
  afterEach(() => jest.restoreAllMocks());

  describe.each([
    ['sd-turbo', SD_TURBO, 'stable-diffusion', 'EulerDiscreteScheduler'],
    ['playground-v2.5', PLAYGROUND, 'stable-diffusion-xl', 'EDMDPMSolverMultistepScheduler'],
    ['sdxl-turbo', SDXL_TURBO, 'stable-diffusion-xl', 'EulerAncestralDiscreteScheduler'],
  ] as const)('%s', (_name, source, family, scheduler) => {
    let pipeline: DiffusionPipeline;
    beforeAll(async () => {
      pipeline = await DiffusionPipeline.load(replicas.store, replicas.sessions, source);
    });

    it('reads its family, scheduler and size multiple from the files', () => {
      expect([pipeline.repo, pipeline.family, pipeline.schedulerName, pipeline.sizeMultiple]).toEqual([source.repo, family, scheduler, 8]);
      expect(pipeline.describe()).toMatchObject({ family, scheduler });
    });

    it('gives the same bytes for a seed, others for another seed, at the requested size', async () => {
      const guided = request({ width: 256, height: 192, guidanceScale: 4 });
      const [first, again, other] = [
        await pipeline.generate(guided, control()),
        await pipeline.generate(guided, control()),
        await pipeline.generate({ ...guided, seed: 8 }, control()),
      ];
      expect(first.image).toMatchObject({ width: 256, height: 192, channels: 3 });
      expect(first.image.data).toHaveLength(3 * 256 * 192);
      expect(Buffer.from(again.image.data).equals(Buffer.from(first.image.data))).toBe(true);
      expect(Buffer.from(other.image.data).equals(Buffer.from(first.image.data))).toBe(false);
      const wide = await pipeline.generate(request({ width: 72, height: 40 }), control());
      expect(wide.image).toMatchObject({ width: 72, height: 40 });
      expect(first.timingsMs.unet).toBeGreaterThan(0);
      expect(first.timingsMs.unet).toBeLessThanOrEqual(first.timingsMs.denoise);
    });

    it('refuses sizes that are not multiples of the VAE’s scale factor, and bad steps or seeds', async () => {
      await expect(pipeline.generate(request({ width: 60 }), control())).rejects.toThrow(GenerationRequestError);
      await expect(pipeline.generate(request({ height: 44 }), control())).rejects.toThrow(/height 44 is not a multiple of 8/);
      await expect(pipeline.generate(request({ steps: 0 }), control())).rejects.toThrow(GenerationRequestError);
      await expect(pipeline.generate(request({ seed: -1 }), control())).rejects.toThrow(GenerationRequestError);
    });

    it('reports prompts over 77 tokens as truncated', async () => {
      const long = new Array(90).fill('cat').join(' ');
      const result = await pipeline.generate(request({ prompt: long, negativePrompt: long, guidanceScale: 2, steps: 1 }), control());
      expect([result.promptTruncated, result.negativePromptTruncated]).toEqual([true, true]);
      const short = await pipeline.generate(request({ steps: 1 }), control());
      expect([short.promptTruncated, short.negativePromptTruncated]).toEqual([false, false]);
    });

    it('runs the UNet once a step without guidance, on [uncond, cond] as a batch of 2 with it', async () => {
      const unet = await spiedSession(replicas, source.repo, 'unet/model.onnx');
      await pipeline.generate(request({ steps: 3, guidanceScale: 1 }), control());
      expect(unet.mock.calls.map(([feeds]) => feeds.sample.dims[0])).toEqual([1, 1, 1]);
      unet.mockClear();
      await pipeline.generate(request({ steps: 3, guidanceScale: 5 }), control());
      expect(unet.mock.calls.map(([feeds]) => feeds.sample.dims[0])).toEqual([2, 2, 2]);
    });

    it('calls onStep after each step, and stops within a step when aborted', async () => {
      const seen: [number, number][] = [];
      await pipeline.generate(request({ steps: 4 }), { ...control(), onStep: (step, steps) => void seen.push([step, steps]) });
      expect(seen).toEqual([
        [1, 4],
        [2, 4],
        [3, 4],
        [4, 4],
      ]);
      const unet = await spiedSession(replicas, source.repo, 'unet/model.onnx');
      const vae = await spiedSession(replicas, source.repo, 'vae_decoder/model.onnx');
      const abort = new AbortController();
      const cutOff = new AbortController().signal;
      const running = pipeline.generate(request({ steps: 6 }), { signal: abort.signal, cutOff, onStep: (step) => (step === 2 ? abort.abort() : undefined) });
      await expect(running).rejects.toMatchObject({ name: 'AbortError' });
      expect(unet).toHaveBeenCalledTimes(2);
      expect(unet.mock.calls.every(([, , runControl]) => runControl?.cutOff === cutOff)).toBe(true);
      expect(vae).not.toHaveBeenCalled();
    });
  });

  describe('sd-turbo guidance, against a float64 recomputation of one Euler step', () => {
    it('gives ε_u + g·(ε_c − ε_u), stepped to σ = 0 and decoded, within one 8-bit level', async () => {
      const pipeline = await DiffusionPipeline.load(replicas.store, replicas.sessions, SD_TURBO);
      const guidance = 3.5;
      const job = request({ steps: 1, guidanceScale: guidance, width: 48, height: 40, seed: 11 });
      const { image } = await pipeline.generate(job, control());

      // EulerDiscrete, scaled_linear betas, trailing spacing: one step at timestep 999, σ = √((1 − ᾱ)/ᾱ).
      let alphaBar = 1;
      for (let t = 0; t < 1000; t++) alphaBar *= 1 - (Math.sqrt(0.00085) + (t / 999) * (Math.sqrt(0.012) - Math.sqrt(0.00085))) ** 2;
      const sigma = Math.sqrt((1 - alphaBar) / alphaBar);
      const [h, w] = [job.height / 8, job.width / 8];
      const size = 4 * h * w;
      const latents = Float64Array.from(new SeededNoise(job.seed).normal(size), (value) => value * sigma);

      const [textEncoder, unet, vae] = await Promise.all(
        ['text_encoder/model.onnx', 'unet/model.onnx', 'vae_decoder/model.onnx'].map((file) => replicas.session(SD_TURBO.repo, file)),
      );
      const tokenizer = await replicas.tokenizer(SD_TURBO.repo, 'tokenizer');
      const encode = async (text: string) => {
        const { ids } = tokenizer.encode(text);
        return floats((await textEncoder.run({ input_ids: new ort.Tensor('int32', ids, [1, 77]) })).last_hidden_state);
      };
      const states = new Float32Array(2 * 77 * 32);
      states.set(await encode(job.negativePrompt));
      states.set(await encode(job.prompt), 77 * 32);
      const input = new Float32Array(2 * size);
      for (let i = 0; i < size; i++) input[i] = input[size + i] = latents[i] / Math.sqrt(sigma * sigma + 1);
      const { out_sample: prediction } = await unet.run({
        sample: new ort.Tensor('float32', input, [2, 4, h, w]),
        timestep: new ort.Tensor('int64', BigInt64Array.of(999n), [1]),
        encoder_hidden_states: new ort.Tensor('float32', states, [2, 77, 32]),
      });
      const noise = floats(prediction);
      const decoded = new Float32Array(size);
      for (let i = 0; i < size; i++) {
        const epsilon = noise[i] + guidance * (noise[size + i] - noise[i]);
        decoded[i] = (latents[i] - sigma * epsilon) / 0.18215;
      }
      const { sample } = await vae.run({ latent_sample: new ort.Tensor('float32', decoded, [1, 4, h, w]) });
      const expected = Array.from(floats(sample), (value) => Math.round(Math.min(1, Math.max(0, value / 2 + 0.5)) * 255));
      expect(maxAbsDifference(image.data as Uint8Array, expected)).toBeLessThanOrEqual(1);
      await Promise.all([textEncoder, unet, vae].map((session) => session.release()));
    });
  });
});
