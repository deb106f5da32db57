import { circularMask, IMAGENET_MEAN, IMAGENET_STD, SPAI_MASK_RADIUS } from '@switchyard/image-detection';
import { GENERATED_MODELS, graphSignature } from '../manifest';
import { attr, GraphBuilder } from '../onnx/graph-builder';
import { xavierUniform } from '../layers/initializers';
import { activate, layerNorm, linear, preNormEncoderLayer } from '../layers/transformer';
import { addPositionTable, patchEmbedding, prependClassToken } from '../layers/vision';
import { SPAI, SPAI_CONTEXT_DIM, SPAI_FEATURE_DIM, SPAI_PATCH_SIZE, type SpaiArchitecture, type Tier } from './architectures';
import { graphSeed } from './graph-seed';
import { jsonFile, type ModelArtifacts } from './model-artifacts';

const MODEL = GENERATED_MODELS.spai;
const ENCODER_FILE = 'onnx/patch_encoder.onnx';
const AGGREGATOR_FILE = 'onnx/patch_aggregator.onnx';
/**
 * The `--exclude-preprocessing` export, in a folder of its own laid out like the export's
 * `OUT/finetune/<tag>/onnx/`: the same two file names, the same weights.
 */
const EXCLUDE_PREPROCESSING_DIR = 'exclude-preprocessing';
const EXCLUDED_ENCODER_FILE = `${EXCLUDE_PREPROCESSING_DIR}/${ENCODER_FILE}`;
const EXCLUDED_AGGREGATOR_FILE = `${EXCLUDE_PREPROCESSING_DIR}/${AGGREGATOR_FILE}`;

const AGGREGATOR_NORM_EPS = 1e-6;

/** cos(2π·j·k/N) and sin(2π·j·k/N), [N, N] row-major: the DFT's twiddles, symmetric in j and k. */
function twiddles(size: number): { cos: number[]; sin: number[] } {
  const cos: number[] = [];
  const sin: number[] = [];
  for (let j = 0; j < size; j++) {
    for (let k = 0; k < size; k++) {
      const angle = (2 * Math.PI * ((j * k) % size)) / size;
      cos.push(Math.cos(angle));
      sin.push(Math.sin(angle));
    }
  }
  return { cos, sin };
}

/**
 * SPAI's low-pass mask in the natural (unshifted) order of the DFT, with the inverse DFT's 1/N²
 * folded in: `ifftshift(circularMask) / N²`. Multiplying the unshifted spectrum by it is
 * `ifftshift(fftshift(F)·mask) / N²`, since for even N both shifts are the same roll by N/2.
 */
function unshiftedScaledMask(size: number, radius: number): number[] {
  const mask = circularMask(size, radius);
  const half = size / 2;
  const scale = 1 / (size * size);
  const values: number[] = [];
  for (let u = 0; u < size; u++) {
    for (let v = 0; v < size; v++) values.push(mask[((u + half) % size) * size + ((v + half) % size)] * scale);
  }
  return values;
}

/**
 * SPAI's spectral split (filters.py, `filter_image_frequencies`) as a subgraph on `image`
 * [B,3,N,N] in [0,1]: per channel, low = real(ifft2(ifftshift(fftshift(fft2(x))·mask))), clamped to
 * [0,1], and high the same with 1 − mask. The 2-D DFT is matrix products with the constant
 * twiddle matrices C and S (F = C − iS, F⁻¹ = (C + iS)/N²): with X·C = A and X·S = B,
 * F·X·F = (C·A − S·B) − i(C·B + S·A); the mask (shift and 1/N² folded in) multiplies both parts;
 * then (C + iS)·P and the real part of the product with (C + iS). The high band is x − low before
 * clamping: 1 − mask passes exactly the frequencies the mask drops, and the full inverse gives x.
 */
export function spaiFrequencyBands(g: GraphBuilder, image: string, size = SPAI_PATCH_SIZE, radius = SPAI_MASK_RADIUS): { low: string; high: string } {
  const { cos: cosValues, sin: sinValues } = twiddles(size);
  const cos = g.constant('float32', cosValues, [size, size]);
  const sin = g.constant('float32', sinValues, [size, size]);
  const mask = g.constant('float32', unshiftedScaledMask(size, radius), [size, size]);
  const matmul = (a: string, b: string) => g.op('MatMul', [a, b]);

  // Forward DFT: rows, then columns.
  const a = matmul(image, cos);
  const b = matmul(image, sin);
  const spectrumRe = g.op('Sub', [matmul(cos, a), matmul(sin, b)]);
  const spectrumIm = g.op('Neg', [g.op('Add', [matmul(cos, b), matmul(sin, a)])]);
  const maskedRe = g.op('Mul', [spectrumRe, mask]);
  const maskedIm = g.op('Mul', [spectrumIm, mask]);

  // Inverse DFT: columns, then rows, keeping the real part.
  const columnsRe = g.op('Sub', [matmul(cos, maskedRe), matmul(sin, maskedIm)]);
  const columnsIm = g.op('Add', [matmul(cos, maskedIm), matmul(sin, maskedRe)]);
  const low = g.op('Sub', [matmul(columnsRe, cos), matmul(columnsIm, sin)]);

  const zero = g.scalar(0);
  const one = g.scalar(1);
  return { low: g.op('Clip', [low, zero, one]), high: g.op('Clip', [g.op('Sub', [image, low]), zero, one]) };
}

function normalizeImageNet(g: GraphBuilder, image: string): string {
  const mean = g.constant('float32', IMAGENET_MEAN, [1, 3, 1, 1]);
  const std = g.constant('float32', IMAGENET_STD, [1, 3, 1, 1]);
  return g.op('Div', [g.op('Sub', [image, mean]), std]);
}

/**
 * For hidden states [3B,N,width] of (image, low band, high band) stacked on the batch axis: the
 * cosine similarities image~low, image~high and low~high, of the mean token and of the class token.
 * Returns [B,6].
 */
function bandSimilarities(g: GraphBuilder, hidden: string, width: number): string {
  const meanToken = g.op('ReduceMean', [hidden], { axes: attr.ints([1]), keepdims: attr.int(1) });
  const classToken = g.op('Slice', [hidden, g.int64s([0]), g.int64s([1]), g.int64s([1])]);
  const summaries = g.op('LpNormalization', [g.op('Concat', [meanToken, classToken], { axis: attr.int(1) })], { axis: attr.int(-1), p: attr.int(2) });
  const [image, low, high] = g.opWithOutputs('Split', [g.op('Reshape', [summaries, g.int64s([3, -1, 2, width])])], 3, { axis: attr.int(0) });
  const cosine = (a: string, b: string) => g.op('ReduceSum', [g.op('Mul', [a, b]), g.int64s([-1])], { keepdims: attr.int(0) });
  const similarities = g.op('Concat', [cosine(image, low), cosine(image, high), cosine(low, high)], { axis: attr.int(2) });
  return g.op('Squeeze', [similarities, g.int64s([0])]);
}

/**
 * A graph builder for one file of the replica, seeded by `seedFile` so that files sharing weights
 * (the two encoder forms, the two aggregator copies) share them. Tensor names are not pinned in
 * SPAI's exports, so the builders take them from the signature by position.
 */
function spaiGraph(name: string, file: string, seedFile: string, tier: Tier) {
  const signature = graphSignature('spai', file);
  const g = new GraphBuilder(name, graphSeed(MODEL.repoId, seedFile, tier), signature);
  return { g, inputs: signature.inputs.map((input) => g.input(input.name)), outputName: signature.outputs[0].name };
}

/**
 * The encoder after preprocessing: (x, x_low, x_high) [B,3,224,224] each, ImageNet-normalised →
 * feature [B,1096], a ViT-B/16-like backbone run on the patch and its two bands.
 */
function encodeBands(g: GraphBuilder, arch: SpaiArchitecture, bands: readonly [string, string, string]): string {
  const { backbone } = arch;
  const stacked = g.op('Concat', [...bands], { axis: attr.int(0) });
  const patches = (backbone.imageSize / backbone.patchSize) ** 2;
  let hidden = patchEmbedding(g, stacked, 'backbone.patch_embed', { channels: 3, width: backbone.width, patch: backbone.patchSize, bias: true });
  hidden = prependClassToken(g, hidden, 'backbone.cls_token', backbone.width);
  hidden = addPositionTable(g, hidden, 'backbone.pos_embed', patches + 1, backbone.width);
  const similarities: string[] = [];
  for (let layer = 0; layer < backbone.layers; layer++) {
    hidden = preNormEncoderLayer(g, hidden, `backbone.blocks.${layer}`, { ...backbone, activation: 'gelu' });
    similarities.push(bandSimilarities(g, hidden, backbone.width));
  }
  const finalClass = g.op('Gather', [layerNorm(g, hidden, 'backbone.norm', backbone.width, backbone.layerNormEps), g.constant('int64', [0], [])], { axis: attr.int(1) });
  const imageClass = g.op('Gather', [g.op('Reshape', [finalClass, g.int64s([3, -1, backbone.width])]), g.constant('int64', [0], [])], { axis: attr.int(0) });
  const context = linear(g, imageClass, 'context_projection', backbone.width, SPAI_CONTEXT_DIM);
  return g.op('Concat', [context, ...similarities], { axis: attr.int(1) });
}

/** The default export: patch [B,3,224,224] in [0,1] → feature [B,1096], the spectral split inside. */
function buildPatchEncoder(arch: SpaiArchitecture, tier: Tier) {
  const { g, inputs, outputName } = spaiGraph('spai-patch-encoder', ENCODER_FILE, ENCODER_FILE, tier);
  const [image] = inputs;
  const { low, high } = spaiFrequencyBands(g, image);
  const bands = [image, low, high].map((band) => normalizeImageNet(g, band)) as [string, string, string];
  g.output(outputName, encodeBands(g, arch, bands));
  return g.build();
}

/** The `--exclude-preprocessing` export: (x, x_low, x_high), already normalised → feature [B,1096]. */
function buildExcludedPreprocessingEncoder(arch: SpaiArchitecture, tier: Tier) {
  const { g, inputs, outputName } = spaiGraph('spai-patch-encoder-exclude-preprocessing', EXCLUDED_ENCODER_FILE, ENCODER_FILE, tier);
  g.output(outputName, encodeBands(g, arch, inputs as [string, string, string]));
  return g.build();
}

/**
 * Patch features [B,L,1096] → logit [B,1]: attention pooling over the L patches with a learned
 * query (SPAI's spectral context attention), layer norm, then a two-layer classifier.
 */
function buildPatchAggregator(arch: SpaiArchitecture, tier: Tier) {
  const { g, inputs, outputName } = spaiGraph('spai-patch-aggregator', AGGREGATOR_FILE, AGGREGATOR_FILE, tier);
  const [features] = inputs;
  const keys = linear(g, features, 'patches_attention.key', SPAI_FEATURE_DIM, arch.attentionKeyDim);
  const query = g.weight('patches_attention.query', [arch.attentionKeyDim, 1], xavierUniform(arch.attentionKeyDim, 1));
  const scores = g.op('Mul', [g.op('MatMul', [keys, query]), g.scalar(1 / Math.sqrt(arch.attentionKeyDim))]);
  const weights = g.op('Softmax', [scores], { axis: attr.int(1) });
  const pooled = g.op('ReduceSum', [g.op('Mul', [weights, features]), g.int64s([1])], { keepdims: attr.int(0) });
  const normed = layerNorm(g, pooled, 'norm', SPAI_FEATURE_DIM, AGGREGATOR_NORM_EPS);
  const hidden = activate(g, linear(g, normed, 'cls_head.fc1', SPAI_FEATURE_DIM, arch.classifierHidden), 'gelu');
  g.output(outputName, linear(g, hidden, 'cls_head.fc2', arch.classifierHidden, 1));
  return g.build();
}

/**
 * SPAI (CVPR 2025) as its export-onnx command splits it, a per-patch encoder and an aggregator, in
 * both of the command's forms: the default one under `onnx/` and the `--exclude-preprocessing` one
 * under `exclude-preprocessing/onnx/`, with the same weights (the aggregators are identical files).
 */
export function buildSpai(tier: Tier): ModelArtifacts {
  const arch = SPAI[tier];
  const aggregator = buildPatchAggregator(arch, tier);
  return {
    graphs: [
      { path: ENCODER_FILE, graph: buildPatchEncoder(arch, tier) },
      { path: AGGREGATOR_FILE, graph: aggregator },
      { path: EXCLUDED_ENCODER_FILE, graph: buildExcludedPreprocessingEncoder(arch, tier) },
      { path: EXCLUDED_AGGREGATOR_FILE, graph: aggregator },
    ],
    files: [
      jsonFile('config.json', {
        model_type: 'spai',
        patch_size: SPAI_PATCH_SIZE,
        patch_stride: SPAI_PATCH_SIZE,
        feature_dim: SPAI_FEATURE_DIM,
        input_range: [0, 1],
        backbone: {
          patch_size: arch.backbone.patchSize,
          hidden_size: arch.backbone.width,
          num_hidden_layers: arch.backbone.layers,
          num_attention_heads: arch.backbone.heads,
          intermediate_size: arch.backbone.intermediate,
        },
      }),
    ],
  };
}
