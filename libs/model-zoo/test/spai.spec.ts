import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { SpectralFilter, spaiEncoderInputs } from '@switchyard/image-detection';
import * as ort from 'onnxruntime-node';
import { GENERATOR_VERSION, SPAI, SPAI_FEATURE_DIM, writeOnnxFile } from '../src';
import { spaiFrequencyBands } from '../src/models/spai';
import { GraphBuilder } from '../src/onnx/graph-builder';
import { randomValues, referenceBands } from '../../image-detection/test/support/reference';
import { gelu, layerNorm, matmul, softmaxInPlace } from './support/reference-math';
import { floats, maxAbsDifference, patternTensor, TinyZoo, tinyWeights } from './support/tiny-zoo';

const ENCODER = 'onnx/patch_encoder.onnx';
const AGGREGATOR = 'onnx/patch_aggregator.onnx';
const EXCLUDED_ENCODER = 'exclude-preprocessing/onnx/patch_encoder.onnx';
const EXCLUDED_AGGREGATOR = 'exclude-preprocessing/onnx/patch_aggregator.onnx';
const PATCH = 3 * 224 * 224;

/** Runs a session on its inputs by position, as SPAI's own validator does, and returns its first output. */
async function runByPosition(session: ort.InferenceSession, ...inputs: ort.Tensor[]): Promise<ort.Tensor> {
  expect(session.inputNames).toHaveLength(inputs.length);
  const outputs = await session.run(Object.fromEntries(session.inputNames.map((name, i) => [name, inputs[i]])));
  return outputs[session.outputNames[0]];
}

const patchTensor = (data: Float32Array) => new ort.Tensor('float32', data, [data.length / PATCH, 3, 224, 224]);

/** SPAI's spectral context attention and classifier for one image's patch features [L,1096]. */
function aggregateReference(w: (name: string) => Float32Array, patches: Float32Array, count: number): number {
  const { attentionKeyDim: keyDim, classifierHidden: hidden } = SPAI.tiny;
  const keys = matmul(patches, count, SPAI_FEATURE_DIM, w('patches_attention.key.weight'), keyDim, w('patches_attention.key.bias'));
  const scores = softmaxInPlace(matmul(keys, count, keyDim, w('patches_attention.query'), 1).map((s) => s / Math.sqrt(keyDim)));
  const pooled = new Float64Array(SPAI_FEATURE_DIM);
  for (let l = 0; l < count; l++) for (let c = 0; c < SPAI_FEATURE_DIM; c++) pooled[c] += scores[l] * patches[l * SPAI_FEATURE_DIM + c];
  const normed = layerNorm(pooled, 1, SPAI_FEATURE_DIM, w('norm.weight'), w('norm.bias'), 1e-6);
  const inner = gelu(matmul(normed, 1, SPAI_FEATURE_DIM, w('cls_head.fc1.weight'), hidden, w('cls_head.fc1.bias')));
  return matmul(inner, 1, hidden, w('cls_head.fc2.weight'), 1, w('cls_head.fc2.bias'))[0];
}

describe("SPAI's in-graph spectral split", () => {
  let directory: string;
  let session: ort.InferenceSession;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'spai-bands-'));
    const patches = { name: 'x', type: 'float32', dims: ['batch_size', 3, 224, 224] } as const;
    const g = new GraphBuilder('spai-bands', 'spai-bands', {
      file: 'bands.onnx',
      inputs: [patches],
      outputs: [
        { ...patches, name: 'low' },
        { ...patches, name: 'high' },
      ],
    });
    const { low, high } = spaiFrequencyBands(g, g.input('x'));
    g.output('low', low);
    g.output('high', high);
    const path = join(directory, 'bands.onnx');
    await writeOnnxFile(path, g.build(), GENERATOR_VERSION);
    session = await ort.InferenceSession.create(path);
  });
  afterAll(async () => {
    await session?.release();
    await rm(directory, { recursive: true, force: true });
  });

  it('gives the low and high bands of a float64 fft2 → fftshift → mask → ifft2, clamped, for each patch and channel', async () => {
    const data = randomValues(2 * PATCH, 7);
    const { low, high } = await session.run({ x: patchTensor(data) });
    expect(low.dims).toEqual([2, 3, 224, 224]);
    const plane = 224 * 224;
    let worst = 0;
    for (let p = 0; p < 2 * 3; p++) {
      const expected = referenceBands(data.subarray(p * plane, (p + 1) * plane), 224, 16);
      worst = Math.max(worst, maxAbsDifference(floats(low).subarray(p * plane, (p + 1) * plane), expected.low));
      worst = Math.max(worst, maxAbsDifference(floats(high).subarray(p * plane, (p + 1) * plane), expected.high));
    }
    expect(worst).toBeLessThan(1e-4);
  });
});

describe('SPAI (tiny)', () => {
  let zoo: TinyZoo;
  let encoder: ort.InferenceSession;
  let aggregator: ort.InferenceSession;
  let excludedEncoder: ort.InferenceSession;

  beforeAll(async () => {
    zoo = await TinyZoo.generate(['spai']);
    [encoder, aggregator, excludedEncoder] = await Promise.all([ENCODER, AGGREGATOR, EXCLUDED_ENCODER].map((file) => zoo.session('spai', file)));
  });
  afterAll(async () => {
    await Promise.all([encoder, aggregator, excludedEncoder].map((session) => session?.release()));
    await zoo.remove();
  });

  it('aggregates patch features into the logit an independent implementation computes from the same weights', async () => {
    const x = patternTensor([2, 3, SPAI_FEATURE_DIM]);
    const logits = await runByPosition(aggregator, x);
    expect(logits.dims).toEqual([2, 1]);

    const weights = tinyWeights('spai', AGGREGATOR);
    const perImage = 3 * SPAI_FEATURE_DIM;
    const expected = [0, 1].map((b) => aggregateReference(weights, floats(x).subarray(b * perImage, (b + 1) * perImage), 3));
    expect(maxAbsDifference(floats(logits), expected)).toBeLessThan(1e-4);
  });

  it('scores a set of patches, whatever their order', async () => {
    const features = floats(patternTensor([4, SPAI_FEATURE_DIM], 2));
    const reversed = new Float32Array(features.length);
    for (let l = 0; l < 4; l++) reversed.set(features.subarray(l * SPAI_FEATURE_DIM, (l + 1) * SPAI_FEATURE_DIM), (3 - l) * SPAI_FEATURE_DIM);
    const [forward, backward] = await Promise.all(
      [features, reversed].map((data) => runByPosition(aggregator, new ort.Tensor('float32', data, [1, 4, SPAI_FEATURE_DIM]))),
    );
    expect(maxAbsDifference(floats(forward), floats(backward))).toBeLessThan(1e-5);
  });

  it('encodes each 224×224 patch of a batch into a 1096-d feature that depends on the patch', async () => {
    const patches = new Float32Array(2 * PATCH);
    patches.set(floats(patternTensor([1, 3, 224, 224], 0)));
    patches.set(floats(patternTensor([1, 3, 224, 224], 1)), PATCH);
    const features = await runByPosition(encoder, patchTensor(patches));
    expect(features.dims).toEqual([2, SPAI_FEATURE_DIM]);
    const values = floats(features);
    expect(values.every(Number.isFinite)).toBe(true);
    expect(maxAbsDifference(values.subarray(0, SPAI_FEATURE_DIM), values.subarray(SPAI_FEATURE_DIM))).toBeGreaterThan(0.01);

    const alone = await runByPosition(encoder, patternTensor([1, 3, 224, 224], 1));
    expect(maxAbsDifference(values.subarray(SPAI_FEATURE_DIM), floats(alone))).toBeLessThan(1e-4);
  });

  it('gives the same features in its --exclude-preprocessing form, fed the spectral split and normalisation done outside', async () => {
    const image = { data: randomValues(3 * 448 * 448, 11), channels: 3, height: 448, width: 448 };
    const prepared = spaiEncoderInputs(image, new SpectralFilter());
    expect(prepared.plan.used).toBe(4);
    const inGraph = await runByPosition(encoder, patchTensor(prepared.patches));
    const outside = await runByPosition(excludedEncoder, ...[prepared.x, prepared.xLow, prepared.xHigh].map(patchTensor));
    expect(outside.dims).toEqual([4, SPAI_FEATURE_DIM]);
    expect(maxAbsDifference(floats(inGraph), floats(outside))).toBeLessThan(1e-4);

    // The form's aggregator is the same file.
    expect((await readFile(zoo.path('spai', EXCLUDED_AGGREGATOR))).equals(await readFile(zoo.path('spai', AGGREGATOR)))).toBe(true);
  });
});
