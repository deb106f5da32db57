import { existsSync } from 'node:fs';
import { copyFile, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelSessions, ModelSignatureMismatchError, ModelStore } from '@switchyard/model-runtime';
import { sigmoid, SPAI_FEATURE_DIM, SPAI_FOLDERS, spaiPatches, SpaiDetector, type ChwImage } from '../src';
import { randomValues } from './support/reference';

// The tiny replica `npm run build` generates (libs/model-zoo imports this library, so the tests cannot generate it).
const TINY = join(__dirname, '../../../models/tiny');
const SPAI = 'mever-team/spai';
const MINI_LM = 'sentence-transformers/all-MiniLM-L6-v2/onnx/model.onnx';

function image(height: number, width: number, seed: number): ChwImage {
  return { data: randomValues(3 * height * width, seed), channels: 3, height, width };
}

/** The logit computed apart, on the bare graphs of the default form: one patch per encoder run, fed by position. */
async function referenceLogit(input: ChwImage, maxPatches?: number): Promise<number> {
  const folder = join(TINY, SPAI, SPAI_FOLDERS.default);
  const encoder = await ort.InferenceSession.create(join(folder, 'patch_encoder.onnx'));
  const aggregator = await ort.InferenceSession.create(join(folder, 'patch_aggregator.onnx'));
  const { plan, patches } = spaiPatches(input, { maxPatches });
  const patchValues = 3 * 224 * 224;
  const features = new Float32Array(plan.used * SPAI_FEATURE_DIM);
  for (let p = 0; p < plan.used; p++) {
    const patch = new ort.Tensor('float32', patches.slice(p * patchValues, (p + 1) * patchValues), [1, 3, 224, 224]);
    const out = await encoder.run({ [encoder.inputNames[0]]: patch });
    features.set(out[encoder.outputNames[0]].data as Float32Array, p * SPAI_FEATURE_DIM);
  }
  const out = await aggregator.run({ [aggregator.inputNames[0]]: new ort.Tensor('float32', features, [1, plan.used, SPAI_FEATURE_DIM]) });
  await Promise.all([encoder.release(), aggregator.release()]);
  return (out[aggregator.outputNames[0]].data as Float32Array)[0];
}

describe('sigmoid', () => {
  it('is 1 / (1 + e^−x) in float64, and stays finite and exact at the extremes', () => {
    for (const x of [-30, -5, -0.5, 0, 0.25, 3, 30]) expect(sigmoid(x)).toBeCloseTo(1 / (1 + Math.exp(-x)), 15);
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(Number.MAX_VALUE)).toBe(1);
    expect(sigmoid(-Number.MAX_VALUE)).toBe(0);
    // Far below zero the naive form rounds 1 + e^−x to e^−x; the stable one keeps relative precision.
    expect(sigmoid(-700) / Math.exp(-700)).toBeCloseTo(1, 12);
    expect(sigmoid(-40) / Math.exp(-40)).toBeCloseTo(1, 12);
  });
});

describe('SpaiDetector (tiny replica)', () => {
  let store: ModelStore;
  let sessions: ModelSessions;
  let cacheDir: string;

  beforeAll(async () => {
    if (!existsSync(join(TINY, SPAI))) throw new Error(`${TINY} has no SPAI replica: run \`npm run build\` first`);
    cacheDir = await mkdtemp(join(tmpdir(), 'spai-detector-'));
    store = new ModelStore({ cacheDir, modelDir: TINY, offline: true });
    sessions = new ModelSessions({ executionProviders: ['cpu'] });
  });

  afterAll(async () => {
    await sessions.release();
    store.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  const load = (folder: string, encoderBatchSize?: number) => SpaiDetector.load(store, sessions, { repo: SPAI, folder }, { encoderBatchSize });

  it('tells the export forms apart from the encoder inputs', async () => {
    expect((await load(SPAI_FOLDERS.default)).form).toBe('default');
    expect((await load(SPAI_FOLDERS.excludePreprocessing)).form).toBe('exclude-preprocessing');
  });

  it.each([
    ['a 448×448 image (2×2 grid)', image(448, 448, 1), 'grid', 4],
    ['a 300×250 image (five-crop)', image(300, 250, 2), 'five-crop', 5],
  ] as const)('gives the same score in both export forms for %s, the sigmoid of the bare graphs’ logit', async (_name, input, mode, patches) => {
    const [byDefault, excluded] = await Promise.all([load(SPAI_FOLDERS.default), load(SPAI_FOLDERS.excludePreprocessing)]);
    const a = await byDefault.detect(input);
    const b = await excluded.detect(input);
    expect(a).toMatchObject({ mode, patchesUsed: patches, patchesTotal: patches });
    expect(b).toMatchObject({ mode, patchesUsed: patches, patchesTotal: patches });
    expect(Math.abs(a.score - b.score)).toBeLessThan(1e-4);
    // Sigmoid in float64 from the logit, and the logit itself against the graphs run apart.
    expect(a.score).toBeCloseTo(1 / (1 + Math.exp(-a.logit)), 12);
    expect(b.score).toBeCloseTo(1 / (1 + Math.exp(-b.logit)), 12);
    expect(Math.abs(a.logit - (await referenceLogit(input)))).toBeLessThan(1e-5);
  });

  it('gives the same score whatever the encoder batch size, and honours maxPatches', async () => {
    const input = image(224 * 3, 224 * 2 + 17, 3);
    const [one, sixteen] = await Promise.all([load(SPAI_FOLDERS.default, 1), load(SPAI_FOLDERS.default, 16)]);
    const a = await one.detect(input);
    const b = await sixteen.detect(input);
    expect(a).toMatchObject({ mode: 'grid', patchesUsed: 6, patchesTotal: 6 });
    expect(Math.abs(a.score - b.score)).toBeLessThan(1e-6);
    const capped = await sixteen.detect(input, { maxPatches: 4 });
    expect(capped).toMatchObject({ patchesUsed: 4, patchesTotal: 6 });
    expect(Math.abs(capped.logit - (await referenceLogit(input, 4)))).toBeLessThan(1e-5);
  });

  it('shares encoder batches across concurrent images, so a small image does not wait behind a large one', async () => {
    const detector = await load(SPAI_FOLDERS.default, 4);
    const large = image(224 * 3, 224 * 4, 5);
    const small = image(230, 240, 6);
    const alone = await detector.detect(small);
    const before = detector.stats().batches;
    const finished: string[] = [];
    const [largeResult, smallResult] = await Promise.all([
      detector.detect(large).then((result) => (finished.push('large'), result)),
      detector.detect(small).then((result) => (finished.push('small'), result)),
    ]);
    expect(finished).toEqual(['small', 'large']);
    expect(largeResult).toMatchObject({ patchesUsed: 12 });
    // 17 patches in batches of 4: 5 batches whichever way they are shared, and the same scores as alone.
    expect(detector.stats().batches - before).toBe(5);
    expect(Math.abs(smallResult.logit - alone.logit)).toBeLessThan(1e-5);
    expect(Math.abs(largeResult.logit - (await referenceLogit(large)))).toBeLessThan(1e-5);
  });

  it('takes 8-bit samples as value / 255', async () => {
    const detector = await load(SPAI_FOLDERS.default);
    const samples = Uint8Array.from({ length: 3 * 300 * 260 }, (_, i) => (i * 2654435761) % 256);
    const eight = await detector.detect({ data: samples, channels: 3, height: 300, width: 260 });
    const float = await detector.detect({ data: Float32Array.from(samples, (value) => value / 255), channels: 3, height: 300, width: 260 });
    expect(eight.logit).toBe(float.logit);
  });

  it('stops on an aborted signal', async () => {
    const detector = await load(SPAI_FOLDERS.default);
    await expect(detector.detect(image(224, 224, 4), { signal: AbortSignal.abort() })).rejects.toThrow();
  });

  describe('with a wrong graph', () => {
    let modelDir: string;
    let wrongStore: ModelStore;
    const folder = SPAI_FOLDERS.default;

    beforeAll(async () => {
      modelDir = await mkdtemp(join(tmpdir(), 'spai-wrong-'));
      for (const repo of ['encoder', 'aggregator']) await cp(join(TINY, SPAI), join(modelDir, 'wrong', repo), { recursive: true });
      await copyFile(join(TINY, MINI_LM), join(modelDir, 'wrong/encoder', folder, 'patch_encoder.onnx'));
      await copyFile(join(TINY, SPAI, folder, 'patch_encoder.onnx'), join(modelDir, 'wrong/aggregator', folder, 'patch_aggregator.onnx'));
      wrongStore = new ModelStore({ cacheDir: join(modelDir, 'cache'), modelDir, offline: true });
    });

    afterAll(async () => {
      wrongStore.close();
      await rm(modelDir, { recursive: true, force: true });
    });

    it('refuses a MiniLM graph as the encoder, naming the file and what it found', async () => {
      const loading = SpaiDetector.load(wrongStore, sessions, { repo: 'wrong/encoder' });
      await expect(loading).rejects.toThrow(ModelSignatureMismatchError);
      await expect(loading).rejects.toThrow(
        /"wrong\/encoder\/onnx\/patch_encoder\.onnx".*input 0 \("input_ids"\) has type int64, expected float32.*found inputs "input_ids" int64/,
      );
    });

    it('refuses an encoder as the aggregator', async () => {
      const loading = SpaiDetector.load(wrongStore, sessions, { repo: 'wrong/aggregator' });
      await expect(loading).rejects.toThrow(/"wrong\/aggregator\/onnx\/patch_aggregator\.onnx".*input 0 \(".*"\) has rank 4/);
    });
  });
});
