import * as ort from 'onnxruntime-node';
import { SPAI, SPAI_FEATURE_DIM } from '../src';
import { gelu, layerNorm, matmul, softmaxInPlace } from './support/reference-math';
import { floats, maxAbsDifference, patternTensor, TinyZoo, tinyWeights } from './support/tiny-zoo';

const ENCODER = 'onnx/patch_encoder.onnx';
const AGGREGATOR = 'onnx/patch_aggregator.onnx';

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

describe('SPAI (tiny)', () => {
  let zoo: TinyZoo;
  let encoder: ort.InferenceSession;
  let aggregator: ort.InferenceSession;

  beforeAll(async () => {
    zoo = await TinyZoo.generate(['spai']);
    [encoder, aggregator] = await Promise.all([zoo.session('spai', ENCODER), zoo.session('spai', AGGREGATOR)]);
  });
  afterAll(() => zoo.remove());

  it('aggregates patch features into the logit an independent implementation computes from the same weights', async () => {
    const x = patternTensor([2, 3, SPAI_FEATURE_DIM]);
    const { logits } = await aggregator.run({ x });
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
      [features, reversed].map((data) => aggregator.run({ x: new ort.Tensor('float32', data, [1, 4, SPAI_FEATURE_DIM]) })),
    );
    expect(maxAbsDifference(floats(forward.logits), floats(backward.logits))).toBeLessThan(1e-5);
  });

  it('encodes each 224×224 patch of a batch into a 1096-d feature that depends on the patch', async () => {
    const patches = new Float32Array(2 * 3 * 224 * 224);
    patches.set(floats(patternTensor([1, 3, 224, 224], 0)));
    patches.set(floats(patternTensor([1, 3, 224, 224], 1)), 3 * 224 * 224);
    const { patch_features: features } = await encoder.run({ x: new ort.Tensor('float32', patches, [2, 3, 224, 224]) });
    expect(features.dims).toEqual([2, SPAI_FEATURE_DIM]);
    const values = floats(features);
    expect(values.every(Number.isFinite)).toBe(true);
    expect(maxAbsDifference(values.subarray(0, SPAI_FEATURE_DIM), values.subarray(SPAI_FEATURE_DIM))).toBeGreaterThan(0.01);

    const alone = await encoder.run({ x: patternTensor([1, 3, 224, 224], 1) });
    expect(maxAbsDifference(values.subarray(SPAI_FEATURE_DIM), floats(alone.patch_features))).toBeLessThan(1e-4);
  });
});
