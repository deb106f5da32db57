// Real-ESRGAN x4plus upscaling on the full-size replica (RRDBNet, 64 features, 23 blocks): megapixels
// of input per second through RealEsrganUpscaler (tiling, 8-bit conversion, crops written into the
// output) vs raw `session.run` of the same tile windows, prepared beforehand, in the same run, at
// tile sizes 128, 256 and 512 (pad 10). Prints the ratio per tile size and the peak RSS, sampled
// after each tile.
//
//   npm run bench -- upscaler      (builds, generates the full tier, runs this file)
//   node bench/upscaler.bench.mjs  (after a build and `generate --tier full --model realEsrgan`)
//
// A 148×148 window costs a CPU core about 5 s, so a 1024×680 pass (48 tiles of 128) takes minutes per
// configuration on a small machine: the default input is a 384×256 crop of the same picture, which
// still cuts into several tiles at 128 and 256. BENCH_UPSCALER_INPUT=1024x680 picks the full size.
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import imageGeneration from '@switchyard/image-generation';
import modelRuntime from '@switchyard/model-runtime';
import { fmt, seededRandom } from './support/harness.mjs';

const { RealEsrganUpscaler, tilePlan, DEFAULT_TILE_PAD } = imageGeneration;
const { ModelSessions, ModelStore } = modelRuntime;

const root = join(import.meta.dirname, '..');
const MODEL_DIR = join(root, 'models', 'full');
const REPO = 'ai-forever/Real-ESRGAN';
const GRAPH = join(MODEL_DIR, REPO, 'onnx/RealESRGAN_x4plus.onnx');
const TILE_SIZES = [128, 256, 512];
const [WIDTH, HEIGHT] = (process.env.BENCH_UPSCALER_INPUT ?? '384x256').split('x').map(Number);
const NO_SPINNING = { extra: { 'session.intra_op.allow_spinning': '0', 'session.inter_op.allow_spinning': '0' } };

/** A photo-like 8-bit planar RGB image: gradients with noise. */
function photo(width, height) {
  const random = seededRandom(7);
  const data = new Uint8Array(3 * width * height);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) data[(c * height + y) * width + x] = Math.min(255, ((c === 0 ? x / width : y / height) * 200 + random() * 55) | 0);
    }
  }
  return { data, channels: 3, height, width };
}

/** The windows the upscaler runs for one tile size, as tensors made before the clock starts. */
function tileWindows(image, tileSize) {
  return tilePlan(image.width, image.height, tileSize, tileSize, DEFAULT_TILE_PAD).map(({ x, y }) => {
    const width = x.padEnd - x.padStart;
    const height = y.padEnd - y.padStart;
    const data = new Float32Array(3 * width * height);
    for (let c = 0; c < 3; c++) {
      for (let row = 0; row < height; row++) {
        for (let col = 0; col < width; col++) {
          data[(c * height + row) * width + col] = image.data[(c * image.height + y.padStart + row) * image.width + x.padStart + col] / 255;
        }
      }
    }
    return new ort.Tensor('float32', data, [1, 3, height, width]);
  });
}

let peakRss = 0;
const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage.rss()));

const image = photo(WIDTH, HEIGHT);
const megapixels = (WIDTH * HEIGHT) / 1e6;
const store = new ModelStore({ cacheDir: join(root, '.switchyard', 'bench-upscaler-cache'), modelDir: MODEL_DIR, offline: true });
const sessions = new ModelSessions({ executionProviders: ['cpu'] });
const upscaler = await RealEsrganUpscaler.load(store, sessions, { repo: REPO }, { maxWholeImagePixels: 512 * 512 });
const raw = await ort.InferenceSession.create(GRAPH, NO_SPINNING);
try {
  console.log(
    `Real-ESRGAN x4plus, full-size replica: ${WIDTH}×${HEIGHT} input (${fmt(megapixels, 3)} MP) → ${WIDTH * 4}×${HEIGHT * 4}, tile pad ${DEFAULT_TILE_PAD}, one pass per configuration`,
  );
  await raw.run({ [raw.inputNames[0]]: new ort.Tensor('float32', new Float32Array(3 * 16 * 16), [1, 3, 16, 16]) }); // warm-up
  for (const tileSize of TILE_SIZES) {
    const windows = tileWindows(image, tileSize);
    sampleRss();
    const rssBefore = peakRss;
    let started = performance.now();
    for (const window of windows) {
      await raw.run({ [raw.inputNames[0]]: window });
      sampleRss();
    }
    const rawSeconds = (performance.now() - started) / 1000;
    const rawPeak = peakRss;
    started = performance.now();
    const result = await upscaler.upscale(image, { tileSize, signal: new AbortController().signal, onTile: sampleRss });
    const upscalerSeconds = (performance.now() - started) / 1000;
    if (result.width !== WIDTH * 4 || result.height !== HEIGHT * 4) throw new Error(`unexpected output ${result.width}×${result.height}`);
    console.log(
      `tile ${tileSize}: ${windows.length} tiles | upscaler ${fmt(megapixels / upscalerSeconds, 4)} MP/s (${fmt(upscalerSeconds, 1)} s)` +
        ` | raw session.run ${fmt(megapixels / rawSeconds, 4)} MP/s (${fmt(rawSeconds, 1)} s) | ratio ${fmt(rawSeconds / upscalerSeconds, 3)}x` +
        ` | peak RSS ${fmt(peakRss / 2 ** 20, 0)} MiB (before ${fmt(rssBefore / 2 ** 20, 0)}, after raw ${fmt(rawPeak / 2 ** 20, 0)})`,
    );
  }
} finally {
  await raw.release();
  await sessions.release();
  store.close();
}
