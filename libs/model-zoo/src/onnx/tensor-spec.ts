import { InvalidTensorError } from '../errors';
import { SeededRandom } from '../random/seeded-random';

/** int32 for graph inputs of exports that take 32-bit token ids. */
export type ElementType = 'float32' | 'int64' | 'int32';

/** How an initializer's values are made: drawn from the seeded generator, or given outright. */
export type TensorInit =
  { readonly kind: 'uniform'; readonly low: number; readonly high: number } | { readonly kind: 'values'; readonly values: readonly number[] };

/**
 * An initializer described, not materialised: its values are produced only when the file is
 * written (or a test asks for them), one tensor at a time, so full-size models never sit in memory.
 */
export interface InitializerSpec {
  readonly name: string;
  readonly type: ElementType;
  readonly dims: readonly number[];
  readonly init: TensorInit;
}

export type TensorData = Float32Array | BigInt64Array | Int32Array;

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((product, dim) => product * dim, 1);
}

export function byteLength(spec: InitializerSpec): number {
  return elementCount(spec.dims) * (spec.type === 'int64' ? 8 : 4);
}

/**
 * The values of an initializer. Random ones are seeded by the graph's seed and the tensor's name,
 * so each tensor is reproducible on its own, whatever the order tensors are made in.
 */
export function materialize(spec: InitializerSpec, graphSeed: string): TensorData {
  const count = elementCount(spec.dims);
  const { init } = spec;
  if (init.kind === 'values') {
    if (init.values.length !== count) {
      throw new InvalidTensorError(spec.name, `${init.values.length} values for dims [${spec.dims.join(', ')}]`);
    }
    if (spec.type === 'int32') return Int32Array.from(init.values);
    return spec.type === 'float32' ? Float32Array.from(init.values) : BigInt64Array.from(init.values, (v) => BigInt(v));
  }
  if (spec.type !== 'float32') throw new InvalidTensorError(spec.name, 'random values must be float32');
  const data = new Float32Array(count);
  new SeededRandom(`${graphSeed}/${spec.name}`).fillUniform(data, init.low, init.high);
  return data;
}
