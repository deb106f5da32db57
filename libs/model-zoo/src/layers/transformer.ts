import { attr, type GraphBuilder } from '../onnx/graph-builder';
import { BIAS_INIT, EMBEDDING_INIT, NORM_SCALE_INIT, xavierUniform } from './initializers';

/** Added to the attention score of a position that must not be attended to; exp() of it is 0. */
export const MASK_BIAS = -1e9;

const ONNX_FLOAT = 1;

/** x·W + b with W stored as [inDim, outDim] (ONNX MatMul layout). */
export function linear(g: GraphBuilder, x: string, prefix: string, inDim: number, outDim: number, bias = true): string {
  const product = g.op('MatMul', [x, g.weight(`${prefix}.weight`, [inDim, outDim], xavierUniform(inDim, outDim))]);
  return bias ? g.op('Add', [product, g.weight(`${prefix}.bias`, [outDim], BIAS_INIT)]) : product;
}

export function layerNorm(g: GraphBuilder, x: string, prefix: string, width: number, epsilon: number): string {
  const scale = g.weight(`${prefix}.weight`, [width], NORM_SCALE_INIT);
  const shift = g.weight(`${prefix}.bias`, [width], BIAS_INIT);
  return g.op('LayerNormalization', [x, scale, shift], { axis: attr.int(-1), epsilon: attr.float(epsilon) });
}

export type Activation = 'gelu' | 'quick_gelu' | 'relu';

/** GELU (erf form, as BERT and ViT), quick GELU (x·σ(1.702x), as CLIP) or ReLU. */
export function activate(g: GraphBuilder, x: string, activation: Activation): string {
  if (activation === 'relu') return g.op('Relu', [x]);
  if (activation === 'quick_gelu') return g.op('Mul', [x, g.op('Sigmoid', [g.op('Mul', [x, g.scalar(1.702)])])]);
  const erf = g.op('Erf', [g.op('Div', [x, g.scalar(Math.SQRT2)])]);
  return g.op('Mul', [g.op('Mul', [x, g.op('Add', [erf, g.scalar(1)])]), g.scalar(0.5)]);
}

export interface AttentionShape {
  readonly width: number;
  readonly heads: number;
  /** Width of the key/value source when it is not the query (cross-attention). */
  readonly sourceWidth?: number;
}

/**
 * Multi-head scaled dot-product attention of `query` [B,S,width] over `source` [B,T,sourceWidth].
 * `scoreBias` (broadcastable to [B,heads,S,T]) carries padding and causal masks.
 */
export function multiHeadAttention(g: GraphBuilder, query: string, source: string, prefix: string, shape: AttentionShape, scoreBias?: string): string {
  const { width, heads } = shape;
  const sourceWidth = shape.sourceWidth ?? width;
  const headWidth = width / heads;
  const headShape = g.int64s([0, 0, heads, headWidth]);
  const q = g.op('Transpose', [g.op('Reshape', [linear(g, query, `${prefix}.query`, width, width), headShape])], { perm: attr.ints([0, 2, 1, 3]) });
  const kT = g.op('Transpose', [g.op('Reshape', [linear(g, source, `${prefix}.key`, sourceWidth, width), headShape])], { perm: attr.ints([0, 2, 3, 1]) });
  const v = g.op('Transpose', [g.op('Reshape', [linear(g, source, `${prefix}.value`, sourceWidth, width), headShape])], { perm: attr.ints([0, 2, 1, 3]) });
  let scores = g.op('Mul', [g.op('MatMul', [q, kT]), g.scalar(1 / Math.sqrt(headWidth))]);
  if (scoreBias) scores = g.op('Add', [scores, scoreBias]);
  const context = g.op('MatMul', [g.op('Softmax', [scores], { axis: attr.int(-1) }), v]);
  const merged = g.op('Reshape', [g.op('Transpose', [context], { perm: attr.ints([0, 2, 1, 3]) }), g.int64s([0, 0, width])]);
  return linear(g, merged, `${prefix}.output`, width, width);
}

export interface EncoderLayerShape {
  readonly width: number;
  readonly heads: number;
  readonly intermediate: number;
  readonly activation: Activation;
  readonly layerNormEps: number;
}

function feedForward(g: GraphBuilder, x: string, prefix: string, shape: EncoderLayerShape): string {
  const hidden = activate(g, linear(g, x, `${prefix}.fc1`, shape.width, shape.intermediate), shape.activation);
  return linear(g, hidden, `${prefix}.fc2`, shape.intermediate, shape.width);
}

/** BERT's layer: normalisation after each residual sum. */
export function postNormEncoderLayer(g: GraphBuilder, x: string, prefix: string, shape: EncoderLayerShape, scoreBias?: string): string {
  const attended = multiHeadAttention(g, x, x, `${prefix}.attention`, shape, scoreBias);
  const h = layerNorm(g, g.op('Add', [x, attended]), `${prefix}.attention_norm`, shape.width, shape.layerNormEps);
  return layerNorm(g, g.op('Add', [h, feedForward(g, h, `${prefix}.mlp`, shape)]), `${prefix}.mlp_norm`, shape.width, shape.layerNormEps);
}

/** CLIP's and ViT's layer: normalisation before attention and before the MLP. */
export function preNormEncoderLayer(g: GraphBuilder, x: string, prefix: string, shape: EncoderLayerShape, scoreBias?: string): string {
  const normed = layerNorm(g, x, `${prefix}.attention_norm`, shape.width, shape.layerNormEps);
  const h = g.op('Add', [x, multiHeadAttention(g, normed, normed, `${prefix}.attention`, shape, scoreBias)]);
  const mlpIn = layerNorm(g, h, `${prefix}.mlp_norm`, shape.width, shape.layerNormEps);
  return g.op('Add', [h, feedForward(g, mlpIn, `${prefix}.mlp`, shape)]);
}

/**
 * Token ids [B,S] → vectors [B,S,width]. With `rank`, the table is factorised into
 * [vocab,rank]·[rank,width]: tiny models keep the real vocabulary without a large table.
 */
export function tokenEmbedding(g: GraphBuilder, ids: string, prefix: string, vocab: number, width: number, rank?: number): string {
  if (rank === undefined) return g.op('Gather', [g.weight(`${prefix}.weight`, [vocab, width], EMBEDDING_INIT), ids], { axis: attr.int(0) });
  const low = g.op('Gather', [g.weight(`${prefix}.weight`, [vocab, rank], EMBEDDING_INIT), ids], { axis: attr.int(0) });
  return g.op('MatMul', [low, g.weight(`${prefix}.projection`, [rank, width], xavierUniform(rank, width))]);
}

/** Learned absolute positions: rows [0, S) of a [maxPositions,width] table, S being ids' second dim. */
export function positionEmbedding(g: GraphBuilder, ids: string, prefix: string, maxPositions: number, width: number): string {
  const table = g.weight(`${prefix}.weight`, [maxPositions, width], EMBEDDING_INIT);
  const sequenceLength = g.op('Shape', [ids], { start: attr.int(1), end: attr.int(2) });
  return g.op('Slice', [table, g.int64s([0]), sequenceLength, g.int64s([0])]);
}

/** attention_mask [B,S] (1 keep, 0 pad) → additive score bias [B,1,1,S]. */
export function paddingMaskBias(g: GraphBuilder, attentionMask: string): string {
  const padding = g.op('Sub', [g.scalar(1), g.op('Cast', [attentionMask], { to: attr.int(ONNX_FLOAT) })]);
  return g.op('Unsqueeze', [g.op('Mul', [padding, g.scalar(MASK_BIAS)]), g.int64s([1, 2])]);
}

/** Bias [S,S] that hides later positions from earlier ones, S being ids' second dim. */
export function causalMaskBias(g: GraphBuilder, ids: string, maxPositions: number): string {
  const values: number[] = [];
  for (let row = 0; row < maxPositions; row++) {
    for (let column = 0; column < maxPositions; column++) values.push(column > row ? MASK_BIAS : 0);
  }
  const table = g.constant('float32', values, [maxPositions, maxPositions]);
  const sequenceLength = g.op('Shape', [ids], { start: attr.int(1), end: attr.int(2) });
  const ends = g.op('Concat', [sequenceLength, sequenceLength], { axis: attr.int(0) });
  return g.op('Slice', [table, g.int64s([0, 0]), ends, g.int64s([0, 1])]);
}
