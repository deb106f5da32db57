// Issue 8's benchmark: the event loop's lag (p50/p99/max, from perf_hooks.monitorEventLoopDelay)
// while full-size replicas of CLIP ViT-B/32's vision tower and Real-ESRGAN x4plus run, with
// session.run on the event loop (MODEL_INFERENCE_THREADS=0, as before) and in an inference thread
// (MODEL_INFERENCE_THREADS=1), side by side in the same run. Target: p99 under 20 ms in a thread.
//
//   npm run bench -- inference-threads     (builds, generates the full tier, runs this file)
//   node bench/inference-threads.bench.mjs (after a build and `generate --tier full`)
//   ESRGAN_SIZE=128 node bench/inference-threads.bench.mjs   (a smaller image: 256×256 takes seconds a run on few cores)
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import ort from 'onnxruntime-node';
import runtime from '@switchyard/model-runtime';
import { fmt } from './support/harness.mjs';

// CommonJS packages whose exports Node cannot name statically.
const { ModelSessions } = runtime;
const { Tensor } = ort;

const MODEL_DIR = join(import.meta.dirname, '..', 'models', 'full');
const ESRGAN_SIZE = Number(process.env.ESRGAN_SIZE ?? 256);
const CORES = availableParallelism();
// What the platform configures by default: one inference thread, the cores for its operators.
const INTRA_OP_THREADS = Math.max(1, CORES);

const MODELS = [
  {
    label: 'CLIP ViT-B/32 vision, 1×224×224',
    path: join(MODEL_DIR, 'openai', 'clip-vit-base-patch32', 'onnx', 'vision_model.onnx'),
    feeds: () => ({ pixel_values: new Tensor('float32', new Float32Array(3 * 224 * 224).fill(0.1), [1, 3, 224, 224]) }),
    warmUp: () => ({ pixel_values: new Tensor('float32', new Float32Array(3 * 224 * 224), [1, 3, 224, 224]) }),
    runs: 10,
  },
  {
    label: `Real-ESRGAN x4plus, 1×${ESRGAN_SIZE}×${ESRGAN_SIZE}`,
    path: join(MODEL_DIR, 'ai-forever', 'Real-ESRGAN', 'onnx', 'RealESRGAN_x4plus.onnx'),
    feeds: () => ({ input: new Tensor('float32', new Float32Array(3 * ESRGAN_SIZE * ESRGAN_SIZE).fill(0.5), [1, 3, ESRGAN_SIZE, ESRGAN_SIZE]) }),
    warmUp: () => ({ input: new Tensor('float32', new Float32Array(3 * 32 * 32), [1, 3, 32, 32]) }),
    runs: 1,
  },
];

/** Lag of the event loop (ms) while `runs` runs of the model follow one another, and the mean run time. */
async function lagWhileRunning(inferenceThreads, model) {
  const sessions = new ModelSessions({ executionProviders: ['cpu'], intraOpNumThreads: INTRA_OP_THREADS, inferenceThreads });
  try {
    const session = await sessions.load(model.path);
    await session.run(model.warmUp());
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    // Work on the loop meanwhile, as BullMQ's lock renewals and the health checks are.
    const ticker = setInterval(() => undefined, 5);
    histogram.enable();
    await sleep(20);
    const started = performance.now();
    for (let run = 0; run < model.runs; run++) await session.run(model.feeds());
    const runMs = (performance.now() - started) / model.runs;
    // A stall is recorded when the histogram's timer fires after it.
    await sleep(20);
    histogram.disable();
    clearInterval(ticker);
    const ms = (nanoseconds) => nanoseconds / 1e6;
    return { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max), runMs };
  } finally {
    await sessions.release();
  }
}

const line = ({ p50, p99, max, runMs }) =>
  `lag p50 ${fmt(p50, 1).padStart(6)} ms  p99 ${fmt(p99, 1).padStart(6)} ms  max ${fmt(max, 1).padStart(7)} ms  (a run ${fmt(runMs, 0).padStart(6)} ms)`;

console.log(`event-loop lag during inference on cpu, full-size replicas; ${CORES} cores, intra-op threads ${INTRA_OP_THREADS}; ticker every 5 ms`);
for (const model of MODELS) {
  const before = await lagWhileRunning(0, model);
  const after = await lagWhileRunning(1, model);
  console.log(`${model.label.padEnd(34)} session.run on the event loop: ${line(before)}`);
  console.log(
    `${''.padEnd(34)} in an inference thread:        ${line(after)}  → p99 ${after.p99 < 20 ? '<' : '≥'} 20 ms, ` +
      `max ${fmt(before.max / Math.max(after.max, 0.001), 0)}× lower`,
  );
}
