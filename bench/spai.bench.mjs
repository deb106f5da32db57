// Issue 10's benchmark: SPAI image verdicts through the whole path (HTTP → gateway → queue →
// detector worker process → result, `/v2/spai/runsync`) for 1024×1024 and 4032×3024 JPEGs at 1
// and 8 concurrent clients, on the full-size replica (a ViT-B/16 backbone run on each patch's
// three views). In the same run and on the same images, the raw baseline: `session.run` of the
// same patch batches (16 patches a run) and the aggregator, one image after another in this
// process. Prints images/s, p50/p99 latency, the ratios, and the time per stage: decode, patching,
// the caller-side spectral split of the `--exclude-preprocessing` form, encoder, aggregator.
//
//   npm run bench -- spai           (builds, generates the full tier, runs this file)
//   node bench/spai.bench.mjs       (after a build and `generate --tier full --model spai`)
//
// A full-size patch costs a CPU core about a second, and a 4032×3024 photo has 234 of them. So on a
// small machine the 12-megapixel runs go through SPAI_BENCH_LARGE_MAX_PATCHES (default 16) evenly
// spaced patches: the cap the platform offers (`max_patches`), printed with the results. Set it to
// 256 on a machine with the cores for it.
import http from 'node:http';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import imageDetection from '@switchyard/image-detection';
import { fmt, load, percentile, postJson, seededRandom, startModelPlatform } from './support/harness.mjs';

const { decodeSpaiImage, spaiPatches, SpectralFilter, SPAI_FEATURE_DIM } = imageDetection;

const root = join(import.meta.dirname, '..');
const MODEL_DIR = join(root, 'models', 'full');
const SPAI = join(MODEL_DIR, 'mever-team/spai');
const BATCH = 16;
const LARGE_MAX_PATCHES = Number(process.env.SPAI_BENCH_LARGE_MAX_PATCHES ?? 16);
const SIZES = [
  {
    name: '1024×1024',
    width: 1024,
    height: 1024,
    maxPatches: undefined,
    runs: [
      { clients: 1, total: 3 },
      { clients: 8, total: 8 },
    ],
  },
  {
    name: '4032×3024',
    width: 4032,
    height: 3024,
    maxPatches: LARGE_MAX_PATCHES,
    runs: [
      { clients: 1, total: 2 },
      { clients: 8, total: 8 },
    ],
  },
];

/** A photo as phones send it: smooth gradients with fine detail (noise), JPEG quality 90. */
async function photo(width, height, seed) {
  const random = seededRandom(seed);
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = (x * 255) / width + random() * 30;
      raw[i + 1] = (y * 255) / height + random() * 30;
      raw[i + 2] = 128 + random() * 60;
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** The gateway and the detector worker, each in its own process, with a runsync client and the worker's stage totals. */
async function startPlatform() {
  const platform = await startModelPlatform({ app: 'detector-worker', modelDir: MODEL_DIR });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const url = new URL('/v2/spai/runsync?wait=300000', platform.baseUrl);
  return {
    async runsync(input) {
      const body = JSON.parse(await postJson(agent, url, platform.apiKey, JSON.stringify({ input })));
      if (body.status !== 'COMPLETED') throw new Error(`Job ended ${body.status}: ${body.error ?? JSON.stringify(body)}`);
      return body.output;
    },
    stages: async () => (await platform.health()).spai.stages,
    stop: () => platform.stop(),
  };
}

/** The bare graphs, fed by position: what a team would run without the platform. */
async function rawSessions() {
  const options = { intraOpNumThreads: 0 };
  const encoder = await ort.InferenceSession.create(join(SPAI, 'onnx/patch_encoder.onnx'), options);
  const aggregator = await ort.InferenceSession.create(join(SPAI, 'onnx/patch_aggregator.onnx'), options);
  return { encoder, aggregator };
}

/** Raw `session.run` of the encoder on batches of 16 patches, then the aggregator: ms for one image. */
async function rawImageMs({ encoder, aggregator }, { plan, patches }) {
  const started = performance.now();
  const size = 3 * 224 * 224;
  const features = new Float32Array(plan.used * SPAI_FEATURE_DIM);
  let encoderMs = 0;
  for (let start = 0; start < plan.used; start += BATCH) {
    const count = Math.min(BATCH, plan.used - start);
    const t0 = performance.now();
    const input = new ort.Tensor('float32', patches.slice(start * size, (start + count) * size), [count, 3, 224, 224]);
    const out = await encoder.run({ [encoder.inputNames[0]]: input });
    encoderMs += performance.now() - t0;
    features.set(out[encoder.outputNames[0]].data, start * SPAI_FEATURE_DIM);
  }
  const t1 = performance.now();
  await aggregator.run({ [aggregator.inputNames[0]]: new ort.Tensor('float32', features, [1, plan.used, SPAI_FEATURE_DIM]) });
  return { totalMs: performance.now() - started, encoderMs, aggregatorMs: performance.now() - t1 };
}

/**
 * One image's patches as the worker cuts them (the same rules and cap), ready for session.run, with
 * the caller-side stage times: decode, patching, the JS spectral split per patch.
 */
async function preparedImage(bytes, maxPatches) {
  let t = performance.now();
  const decoded = await decodeSpaiImage(bytes, { maxPixels: 100_000_000 });
  const decodeMs = performance.now() - t;
  t = performance.now();
  const { plan, patches } = spaiPatches(decoded, { maxPatches });
  const patchingMs = performance.now() - t;
  const sample = Math.min(plan.used, 8);
  t = performance.now();
  new SpectralFilter().encoderInputs(patches.subarray(0, sample * 3 * 224 * 224), sample);
  const filterMsPerPatch = (performance.now() - t) / sample;
  return { plan, patches, decodeMs, patchingMs, filterMsPerPatch };
}

const platform = await startPlatform();
const raw = await rawSessions();
try {
  console.log(
    `spai through /v2/spai/runsync vs raw session.run of the same patch batches (${BATCH} a run), full-size replica, ${process.env.MODEL_INFERENCE_THREADS ?? 'default'} inference threads`,
  );
  for (const size of SIZES) {
    const images = await Promise.all(Array.from({ length: 8 }, (_, i) => photo(size.width, size.height, 10 + i)));
    const prepared = await preparedImage(images[0], size.maxPatches);
    await rawImageMs(raw, await preparedImage(await photo(224, 224, 1), 1)); // warm-up
    const rawRuns = [];
    for (let i = 0; i < 2; i++) rawRuns.push(await rawImageMs(raw, prepared));
    const rawMs = Math.min(...rawRuns.map((run) => run.totalMs));
    const rawBest = rawRuns.find((run) => run.totalMs === rawMs);
    const cap = size.maxPatches ? { max_patches: size.maxPatches } : {};
    console.log(
      `\n${size.name} JPEG: ${prepared.plan.used} of ${prepared.plan.total} patches${prepared.plan.used < prepared.plan.total ? ` (max_patches ${size.maxPatches})` : ''}` +
        ` | decode ${fmt(prepared.decodeMs, 1)} ms, patching ${fmt(prepared.patchingMs, 1)} ms, spectral split (JS, --exclude-preprocessing form) ${fmt(prepared.filterMsPerPatch, 1)} ms/patch` +
        ` | raw: encoder ${fmt(rawBest.encoderMs, 0)} ms (${fmt(rawBest.encoderMs / prepared.plan.used, 1)} ms/patch), aggregator ${fmt(rawBest.aggregatorMs, 1)} ms, ${fmt(1000 / rawMs, 3)} images/s`,
    );
    await platform.runsync({ image_base64: images[0].toString('base64'), ...cap }); // warm-up
    for (const run of size.runs) {
      const before = await platform.stages();
      const timings = [];
      const result = await load(
        async (index) => timings.push((await platform.runsync({ image_base64: images[index % images.length].toString('base64'), ...cap })).timings_ms),
        run,
      );
      const after = await platform.stages();
      const mean = (key) => timings.reduce((sum, timing) => sum + timing[key], 0) / timings.length;
      const batches = after.batches - before.batches;
      const patchesRun = after.patches - before.patches;
      console.log(
        `  ${String(run.clients).padStart(2)} client(s), ${run.total} images: ${fmt(result.perSecond, 3)} images/s (raw ${fmt(1000 / rawMs, 3)}, ratio ${fmt((result.perSecond * rawMs) / 1000)}x)` +
          ` | p50 ${fmt(percentile(result.latencies, 50), 0)} ms p99 ${fmt(percentile(result.latencies, 99), 0)} ms (raw one image ${fmt(rawMs, 0)} ms, p50 ratio ${fmt(percentile(result.latencies, 50) / rawMs)}x)` +
          ` | per job: decode ${fmt(mean('decode'), 1)} ms, encoder wait ${fmt(mean('encoder'), 0)} ms, aggregator ${fmt(mean('aggregator'), 1)} ms` +
          ` | worker: ${batches} encoder batches of ${fmt(patchesRun / Math.max(1, batches), 1)} patches, patching ${fmt((after.preparingMs - before.preparingMs) / Math.max(1, patchesRun), 2)} ms/patch, encoder ${fmt((after.encoderMs - before.encoderMs) / Math.max(1, patchesRun), 1)} ms/patch`,
      );
    }
  }
} finally {
  await raw.encoder.release();
  await raw.aggregator.release();
  await platform.stop();
}
