import { attr, type GraphBuilder } from '../onnx/graph-builder';
import { BIAS_INIT, EMBEDDING_INIT, xavierUniform } from './initializers';

export interface Conv2dShape {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: number;
  readonly stride?: number;
  readonly bias?: boolean;
  /** Depthwise and grouped convolutions. */
  readonly groups?: number;
}

/** A square convolution with "same" padding for stride 1 (and none for patch embeddings). */
export function conv2d(g: GraphBuilder, x: string, prefix: string, shape: Conv2dShape): string {
  const { inChannels, outChannels, kernel, stride = 1, bias = true, groups = 1 } = shape;
  const fanIn = (inChannels / groups) * kernel * kernel;
  const weight = g.weight(`${prefix}.weight`, [outChannels, inChannels / groups, kernel, kernel], xavierUniform(fanIn, outChannels * kernel * kernel));
  const inputs = bias ? [x, weight, g.weight(`${prefix}.bias`, [outChannels], BIAS_INIT)] : [x, weight];
  const pad = stride === 1 ? (kernel - 1) / 2 : 0;
  return g.op('Conv', inputs, {
    kernel_shape: attr.ints([kernel, kernel]),
    strides: attr.ints([stride, stride]),
    pads: attr.ints([pad, pad, pad, pad]),
    group: attr.int(groups),
  });
}

/** Nearest-neighbour ×2 upsampling, as PyTorch's F.interpolate(scale_factor=2, mode='nearest') exports. */
export function upsampleNearest2x(g: GraphBuilder, x: string): string {
  return g.op('Resize', [x, '', g.constant('float32', [1, 1, 2, 2])], {
    mode: attr.string('nearest'),
    coordinate_transformation_mode: attr.string('asymmetric'),
    nearest_mode: attr.string('floor'),
  });
}

export function leakyRelu(g: GraphBuilder, x: string, alpha = 0.2): string {
  return g.op('LeakyRelu', [x], { alpha: attr.float(alpha) });
}

/** Image [B,C,H,W] → patch tokens [B, (H/p)·(W/p), width] by a stride-p convolution. */
export function patchEmbedding(
  g: GraphBuilder,
  pixels: string,
  prefix: string,
  shape: { readonly channels: number; readonly width: number; readonly patch: number; readonly bias: boolean },
): string {
  const features = conv2d(g, pixels, prefix, {
    inChannels: shape.channels,
    outChannels: shape.width,
    kernel: shape.patch,
    stride: shape.patch,
    bias: shape.bias,
  });
  return g.op('Transpose', [g.op('Reshape', [features, g.int64s([0, shape.width, -1])])], { perm: attr.ints([0, 2, 1]) });
}

/** Puts a learned class token in front of tokens [B,N,width] → [B,N+1,width]. */
export function prependClassToken(g: GraphBuilder, tokens: string, name: string, width: number): string {
  const classToken = g.weight(name, [1, 1, width], EMBEDDING_INIT);
  const batch = g.op('Shape', [tokens], { start: attr.int(0), end: attr.int(1) });
  const expanded = g.op('Expand', [classToken, g.op('Concat', [batch, g.int64s([1, width])], { axis: attr.int(0) })]);
  return g.op('Concat', [expanded, tokens], { axis: attr.int(1) });
}

/** A learned [N,width] table added to tokens [B,N,width]. */
export function addPositionTable(g: GraphBuilder, tokens: string, name: string, positions: number, width: number): string {
  return g.op('Add', [tokens, g.weight(name, [positions, width], EMBEDDING_INIT)]);
}
