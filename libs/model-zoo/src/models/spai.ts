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

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];
const AGGREGATOR_NORM_EPS = 1e-6;

/**
 * Splits an image into low and high spatial frequencies. SPAI masks the image's 2-D FFT; a fixed
 * 5×5 binomial blur is the same idea at a negligible fraction of the backbone's cost.
 */
function frequencyBands(g: GraphBuilder, image: string): { low: string; high: string } {
  const taps = [1, 4, 6, 4, 1];
  const kernel: number[] = [];
  for (let channel = 0; channel < 3; channel++) {
    for (const row of taps) for (const column of taps) kernel.push((row * column) / 256);
  }
  const blurred = g.op('Conv', [image, g.constant('float32', kernel, [3, 1, 5, 5])], {
    kernel_shape: attr.ints([5, 5]),
    pads: attr.ints([2, 2, 2, 2]),
    group: attr.int(3),
  });
  const zero = g.scalar(0);
  const one = g.scalar(1);
  return {
    low: g.op('Clip', [blurred, zero, one]),
    high: g.op('Clip', [g.op('Sub', [image, blurred]), zero, one]),
  };
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

/** Patch [B,3,224,224] in [0,1] → feature [B,1096]: ViT-B/16-like backbone run on the patch and its two bands. */
function buildPatchEncoder(arch: SpaiArchitecture, tier: Tier) {
  const { backbone } = arch;
  const g = new GraphBuilder('spai-patch-encoder', graphSeed(MODEL.repoId, ENCODER_FILE, tier), graphSignature('spai', ENCODER_FILE));
  const image = g.input('x');
  const { low, high } = frequencyBands(g, image);
  const stacked = g.op('Concat', [image, low, high].map((band) => normalizeImageNet(g, band)), { axis: attr.int(0) });

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
  g.output('patch_features', g.op('Concat', [context, ...similarities], { axis: attr.int(1) }));
  return g.build();
}

/**
 * Patch features [B,L,1096] → logit [B,1]: attention pooling over the L patches with a learned
 * query (SPAI's spectral context attention), layer norm, then a two-layer classifier.
 */
function buildPatchAggregator(arch: SpaiArchitecture, tier: Tier) {
  const g = new GraphBuilder('spai-patch-aggregator', graphSeed(MODEL.repoId, AGGREGATOR_FILE, tier), graphSignature('spai', AGGREGATOR_FILE));
  const features = g.input('x');
  const keys = linear(g, features, 'patches_attention.key', SPAI_FEATURE_DIM, arch.attentionKeyDim);
  const query = g.weight('patches_attention.query', [arch.attentionKeyDim, 1], xavierUniform(arch.attentionKeyDim, 1));
  const scores = g.op('Mul', [g.op('MatMul', [keys, query]), g.scalar(1 / Math.sqrt(arch.attentionKeyDim))]);
  const weights = g.op('Softmax', [scores], { axis: attr.int(1) });
  const pooled = g.op('ReduceSum', [g.op('Mul', [weights, features]), g.int64s([1])], { keepdims: attr.int(0) });
  const normed = layerNorm(g, pooled, 'norm', SPAI_FEATURE_DIM, AGGREGATOR_NORM_EPS);
  const hidden = activate(g, linear(g, normed, 'cls_head.fc1', SPAI_FEATURE_DIM, arch.classifierHidden), 'gelu');
  g.output('logits', linear(g, hidden, 'cls_head.fc2', arch.classifierHidden, 1));
  return g.build();
}

/** SPAI (CVPR 2025) as its export-onnx command splits it: a per-patch encoder and an aggregator. */
export function buildSpai(tier: Tier): ModelArtifacts {
  const arch = SPAI[tier];
  return {
    graphs: [
      { path: ENCODER_FILE, graph: buildPatchEncoder(arch, tier) },
      { path: AGGREGATOR_FILE, graph: buildPatchAggregator(arch, tier) },
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
