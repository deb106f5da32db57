import type { TensorInit } from '../onnx/tensor-spec';

/**
 * Initial values chosen so that untrained random models stay numerically tame through many
 * layers (activations of order one, no overflow) while every output still depends on the input.
 */

/** Glorot/Xavier uniform: keeps activation variance roughly constant from layer to layer. */
export function xavierUniform(fanIn: number, fanOut: number): TensorInit {
  const bound = Math.sqrt(6 / (fanIn + fanOut));
  return { kind: 'uniform', low: -bound, high: bound };
}

export function uniform(low: number, high: number): TensorInit {
  return { kind: 'uniform', low, high };
}

/** Small but non-zero, so a test notices a bias that is dropped. */
export const BIAS_INIT = uniform(-0.05, 0.05);
/** Layer-norm scale near one. */
export const NORM_SCALE_INIT = uniform(0.9, 1.1);
/** Embedding tables; always followed by a normalisation or a projection. */
export const EMBEDDING_INIT = uniform(-0.5, 0.5);
