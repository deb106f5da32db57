// The generator on the tiny replicas (playground-v2.5's SDXL shape, Real-ESRGAN, CLIP, the aesthetic head):
//
// 1. Denoising-loop overhead per step: what a step of DiffusionPipeline costs beyond its UNet run
//    (scheduler, guidance, tensor copies), against bare `session.run` of the same UNet on the same
//    feeds in the same process (target < 5% of a step).
// 2. End-to-end `create` and `production` jobs with the seed's defaults, through GeneratorService,
//    broken down by phase.
//
//   npm run bench -- generator          (builds, then runs this file)
//   node bench/generator.bench.mjs      (after `npm run build`, which generates the tiny tier)
//
// Models run on the event loop (MODEL_INFERENCE_THREADS=0) so that the bare runs and the pipeline's
// runs use the same sessions' settings; both keep onnxruntime's threads from spinning, the platform's default.
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import imageGeneration from '@switchyard/image-generation';
import modelRuntime from '@switchyard/model-runtime';
import shared from '@switchyard/shared';
import { fmt, seededRandom } from './support/harness.mjs';

const { DiffusionPipeline, loadImageGenerationServices } = imageGeneration;
const { loadModelRuntimeConfig, ModelSessions, ModelStore } = modelRuntime;
const { DEFAULT_GENERATOR_LIMITS, DEFAULT_UPSCALER_LIMITS, generatorContract, createLogger } = shared;

const root = join(import.meta.dirname, '..');
const MODEL_DIR = join(root, 'models', 'tiny');
const PIPELINE = 'playgroundai/playground-v2.5-1024px-aesthetic';
const STEPS = 25;
const [WIDTH, HEIGHT] = [1152, 768];
const NO_SPINNING = { extra: { 'session.intra_op.allow_spinning': '0', 'session.inter_op.allow_spinning': '0' } };
const runtime = loadModelRuntimeConfig({
  MODEL_DIR,
  HF_HUB_OFFLINE: 'true',
  MODEL_INFERENCE_THREADS: '0',
  MODEL_CACHE_DIR: join(root, '.switchyard', 'bench-cache'),
});
const logger = createLogger('bench', 'warn');

/** Feeds for the UNet of the shape one guided step of a WIDTH×HEIGHT generation gives it (batch 2). */
function unetFeeds(session) {
  const random = seededRandom(3);
  const tensorOf = (metadata, dims) => {
    const size = dims.reduce((a, b) => a * b, 1);
    return new ort.Tensor(
      'float32',
      Float32Array.from({ length: size }, () => random() * 2 - 1),
      dims,
    );
  };
  const feeds = {};
  for (const input of session.inputMetadata) {
    const dims = input.shape.map((dim, axis) => {
      if (typeof dim === 'number') return dim;
      if (input.name === 'sample') return [2, 4, HEIGHT / 8, WIDTH / 8][axis];
      if (input.name === 'encoder_hidden_states') return axis === 0 ? 2 : 77;
      return 2;
    });
    feeds[input.name] = tensorOf(input, dims);
  }
  return feeds;
}

async function loopOverhead() {
  const unetPath = join(MODEL_DIR, PIPELINE, 'unet/model.onnx');
  const { intraOpNumThreads } = runtime.sessions;
  const bare = await ort.InferenceSession.create(unetPath, { ...(intraOpNumThreads ? { intraOpNumThreads } : {}), ...NO_SPINNING });
  const feeds = unetFeeds(bare);
  await bare.run(feeds);

  const store = new ModelStore({ ...runtime.store, logger });
  const sessions = new ModelSessions(runtime.sessions);
  const pipeline = await DiffusionPipeline.load(store, sessions, { repo: PIPELINE });
  const request = {
    prompt: 'a lighthouse on a cliff at dawn',
    negativePrompt: 'blurry',
    width: WIDTH,
    height: HEIGHT,
    steps: STEPS,
    guidanceScale: 7,
    seed: 42,
  };
  const signal = new AbortController().signal;
  await pipeline.generate({ ...request, steps: 2 }, { signal });

  const rounds = 3;
  let bareMs = 0;
  let stepOverheadMs = 0;
  let unetInLoopMs = 0;
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    for (let step = 0; step < STEPS; step++) await bare.run(feeds);
    bareMs += (performance.now() - started) / STEPS;
    const { timingsMs } = await pipeline.generate(request, { signal });
    unetInLoopMs += timingsMs.unet / STEPS;
    stepOverheadMs += (timingsMs.denoise - timingsMs.unet) / STEPS;
  }
  bareMs /= rounds;
  unetInLoopMs /= rounds;
  stepOverheadMs /= rounds;
  console.log(
    `denoising loop, ${WIDTH}×${HEIGHT}, ${STEPS} steps, guidance batch 2, ${pipeline.schedulerName}: ` +
      `bare UNet session.run ${fmt(bareMs)} ms | pipeline step: UNet ${fmt(unetInLoopMs)} ms + loop ${fmt(stepOverheadMs)} ms ` +
      `→ overhead ${fmt((stepOverheadMs / bareMs) * 100, 1)}% of a bare UNet run (target < 5%)`,
  );
  await bare.release();
  await sessions.release();
  store.close();
}

async function endToEnd() {
  const services = await loadImageGenerationServices(
    {
      pipeline: { repo: PIPELINE },
      upscaler: { repo: 'ai-forever/Real-ESRGAN', file: 'onnx/RealESRGAN_x4plus.onnx' },
      clip: { repo: 'openai/clip-vit-base-patch32' },
      aestheticHead: { repo: 'LAION-AI/aesthetic-predictor' },
      clipImage: { maxPixels: DEFAULT_GENERATOR_LIMITS.maxBasePixels },
      generatorLimits: DEFAULT_GENERATOR_LIMITS,
      upscalerLimits: DEFAULT_UPSCALER_LIMITS,
      maxWholeImagePixels: 1024 * 1024,
      jpegQuality: 95,
      fetch: { timeoutMs: 1000, maxRedirects: 0, addressPolicy: undefined },
      runtime,
    },
    logger,
    { generator: true, upscaler: false },
  );
  const job = { signal: new AbortController().signal, progress: async () => {}, stream: async () => {} };
  const cases = [
    ['create (seed defaults: 1152×768, 25 steps)', { route: 'create', prompt: 'A serene mountain landscape at sunset', seed: 1 }],
    ['production (seed defaults: 1024×680, 50 steps, tile 1024)', { route: 'production', prompt: 'a luxury watch', seed: 1 }],
    ['production (1024×680, 50 steps, tile 256)', { route: 'production', prompt: 'a luxury watch', seed: 1, tile_size: 256 }],
  ];
  await services.generator.handle(generatorContract.input.parse({ route: 'create', prompt: 'warm-up', width: 64, height: 64, steps: 1 }), job);
  for (const [label, input] of cases) {
    const started = performance.now();
    const output = await services.generator.handle(generatorContract.input.parse(input), job);
    const total = performance.now() - started;
    if (output.error) throw new Error(output.error);
    const phases = Object.entries(output.metadata.timings_ms)
      .map(([phase, ms]) => `${phase} ${ms}`)
      .join(', ');
    console.log(`${label}: ${fmt(total)} ms in all | ${phases} (ms)${output.metadata.tiles ? ` | ${output.metadata.tiles} tiles` : ''}`);
  }
  await services.close();
}

await loopOverhead();
await endToEnd();
