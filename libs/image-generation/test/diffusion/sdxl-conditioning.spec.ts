import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-node';
import { DiffusionPipeline, type GenerationRequest } from '../../src';
import { createScheduler, SeededNoise } from '../../src/schedulers';
import { DiffusionReplicas, maxAbsDifference, PLAYGROUND } from './support/diffusion-replicas';

const LENGTH = 77;
const job: GenerationRequest = { prompt: 'a red dog', negativePrompt: '', width: 64, height: 40, steps: 1, guidanceScale: 3, seed: 5 };
const floats = (tensor: ort.Tensor) => tensor.data as Float32Array;

/** [77, a] and [77, b] rows side by side, in float64. */
function sideBySide(a: Float32Array, b: Float32Array): Float64Array {
  const [wa, wb] = [a.length / LENGTH, b.length / LENGTH];
  const out = new Float64Array(LENGTH * (wa + wb));
  for (let t = 0; t < LENGTH; t++) {
    for (let i = 0; i < wa; i++) out[t * (wa + wb) + i] = a[t * wa + i];
    for (let i = 0; i < wb; i++) out[t * (wa + wb) + wa + i] = b[t * wb + i];
  }
  return out;
}

describe('SDXL conditioning and decoding (tiny playground-v2.5)', () => {
  let replicas: DiffusionReplicas;
  let pipeline: DiffusionPipeline;
  let unetFeeds: InferenceSession.FeedsType[];
  let unetOutputs: Float32Array[];
  let vaeFeeds: InferenceSession.FeedsType[];
  let encoded: { first: InferenceSession.ReturnType; second: InferenceSession.ReturnType };

  beforeAll(async () => {
    replicas = await DiffusionReplicas.generate();
    pipeline = await DiffusionPipeline.load(replicas.store, replicas.sessions, PLAYGROUND);
    const unet = await replicas.sessions.load(replicas.path(PLAYGROUND.repo, 'unet/model.onnx'));
    const vae = await replicas.sessions.load(replicas.path(PLAYGROUND.repo, 'vae_decoder/model.onnx'));
    unetFeeds = [];
    unetOutputs = [];
    vaeFeeds = [];
    const realUnetRun = unet.run.bind(unet);
    jest.spyOn(unet, 'run').mockImplementation(async (feeds, options, control) => {
      unetFeeds.push(feeds);
      const outputs = await realUnetRun(feeds, options, control);
      unetOutputs.push(Float32Array.from(floats(outputs.out_sample)));
      return outputs;
    });
    const realVaeRun = vae.run.bind(vae);
    jest.spyOn(vae, 'run').mockImplementation((feeds, options, control) => {
      vaeFeeds.push(feeds);
      return realVaeRun(feeds, options, control);
    });
    await pipeline.generate(job, { signal: new AbortController().signal });

    const ids = async (folder: string) => (await replicas.tokenizer(PLAYGROUND.repo, folder)).encode(job.prompt).ids;
    const run = async (file: string, folder: string) =>
      (await replicas.session(PLAYGROUND.repo, file)).run({ input_ids: new ort.Tensor('int32', await ids(folder), [1, LENGTH]) });
    encoded = { first: await run('text_encoder/model.onnx', 'tokenizer'), second: await run('text_encoder_2/model.onnx', 'tokenizer_2') };
  });
  afterAll(() => replicas.remove());

  it('conditions on the penultimate hidden states of both encoders side by side, zeros for the empty negative prompt', () => {
    const [feeds] = unetFeeds;
    expect(unetFeeds).toHaveLength(1);
    const states = feeds.encoder_hidden_states;
    expect(states.dims).toEqual([2, LENGTH, 80]);
    const values = floats(states);
    const half = values.length / 2;
    expect(values.subarray(0, half).every((value) => value === 0)).toBe(true);
    const penultimate = sideBySide(floats(encoded.first['hidden_states.1']), floats(encoded.second['hidden_states.1']));
    expect(maxAbsDifference(values.subarray(half), penultimate)).toBeLessThan(1e-6);
    const last = sideBySide(floats(encoded.first.last_hidden_state), floats(encoded.second.last_hidden_state));
    expect(maxAbsDifference(values.subarray(half), last)).toBeGreaterThan(1e-2);
  });

  it('feeds text_embeds from text_encoder_2’s projection (zeros for the negative) and time_ids [h, w, 0, 0, h, w]', () => {
    const [feeds] = unetFeeds;
    expect(feeds.text_embeds.dims).toEqual([2, 40]);
    expect(Array.from(floats(feeds.text_embeds).subarray(0, 40))).toEqual(new Array(40).fill(0));
    expect(maxAbsDifference(floats(feeds.text_embeds).subarray(40), floats(encoded.second.text_embeds))).toBeLessThan(1e-6);
    expect(feeds.time_ids.dims).toEqual([2, 6]);
    expect(Array.from(floats(feeds.time_ids))).toEqual([40, 64, 0, 0, 40, 64, 40, 64, 0, 0, 40, 64]);
    expect(feeds.timestep.type).toBe('float32');
    expect(feeds.timestep.dims).toEqual([1]);
  });

  it('makes text_embeds and time_ids matter to the UNet', async () => {
    const [feeds] = unetFeeds;
    const unet = await replicas.session(PLAYGROUND.repo, 'unet/model.onnx');
    const base = floats((await unet.run(feeds)).out_sample);
    const otherIds = floats((await unet.run({ ...feeds, time_ids: new ort.Tensor('float32', new Float32Array(12).fill(1024), [2, 6]) })).out_sample);
    const otherPooled = floats((await unet.run({ ...feeds, text_embeds: new ort.Tensor('float32', new Float32Array(80).fill(0.5), [2, 40]) })).out_sample);
    expect(maxAbsDifference(base, otherIds)).toBeGreaterThan(1e-3);
    expect(maxAbsDifference(base, otherPooled)).toBeGreaterThan(1e-3);
  });

  it('decodes z·std/0.5 + mean per channel of the final latents (recomputed in float64 from the UNet output)', async () => {
    const [h, w] = [job.height / 8, job.width / 8];
    const plane = h * w;
    const size = 4 * plane;
    // The pipeline's order of draws: the initial latents first, then whatever the scheduler draws.
    const config = JSON.parse(await readFile(replicas.path(PLAYGROUND.repo, 'scheduler/scheduler_config.json'), 'utf8'));
    const noise = new SeededNoise(job.seed);
    const scheduler = createScheduler(config, job.steps, noise);
    const latents = noise.normal(size).map((value) => value * scheduler.initNoiseSigma);
    const scaled = scheduler.scaleModelInput(latents, 0);
    const sampleFed = floats(unetFeeds[0].sample);
    expect(maxAbsDifference(sampleFed.subarray(0, size), scaled)).toBe(0);
    expect(maxAbsDifference(sampleFed.subarray(size), scaled)).toBe(0);

    const [out] = unetOutputs;
    const epsilon = new Float32Array(size);
    for (let i = 0; i < size; i++) epsilon[i] = out[i] + job.guidanceScale * (out[size + i] - out[i]);
    const final = scheduler.step(epsilon, 0, latents);
    const mean = [-1.6574, 1.886, -1.383, 2.5155];
    const std = [8.4927, 5.9022, 6.5498, 5.2299];
    const expected = Float64Array.from(final, (z, i) => (z * std[Math.floor(i / plane)]) / 0.5 + mean[Math.floor(i / plane)]);
    // The generation of beforeAll: one step, one decode.
    expect(vaeFeeds.length).toBeGreaterThanOrEqual(1);
    const fed = floats(vaeFeeds[0].latent_sample);
    expect(vaeFeeds[0].latent_sample.dims).toEqual([1, 4, h, w]);
    const scale = Math.max(...Array.from(expected, Math.abs));
    expect(maxAbsDifference(fed, expected) / scale).toBeLessThan(1e-6);
  });

  it('encodes a non-empty negative prompt instead of zeros', async () => {
    const before = unetFeeds.length;
    await pipeline.generate({ ...job, negativePrompt: 'blurry' }, { signal: new AbortController().signal });
    const feeds = unetFeeds[before];
    const states = floats(feeds.encoder_hidden_states);
    const unconditioned = states.subarray(0, states.length / 2);
    expect(unconditioned.some((value) => value !== 0)).toBe(true);
    expect(maxAbsDifference(unconditioned, states.subarray(states.length / 2))).toBeGreaterThan(1e-3);
    expect(
      floats(feeds.text_embeds)
        .subarray(0, 40)
        .some((value) => value !== 0),
    ).toBe(true);
  });
});
