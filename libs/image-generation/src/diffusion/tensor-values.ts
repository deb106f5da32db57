import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { DiffusionModelError } from './diffusion-errors';

type ValueMetadata = InferenceSession.ValueMetadata;
export type TensorMetadata = Extract<ValueMetadata, { isTensor: true }>;

/** Where a tensor belongs, for the errors about it. */
export interface TensorPlace {
  readonly repo: string;
  readonly file: string;
}

const FLOAT_TYPES = new Set(['float32', 'float16', 'float64']);
const ID_TYPES = new Set(['int32', 'int64']);

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** IEEE half-precision bits of a float, rounded to nearest even (as numpy's astype(float16)). */
export function toHalfBits(value: number): number {
  scratch[0] = value;
  const bits = scratchBits[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal halves count in steps of 2^-24.
    const steps = Math.abs(scratch[0]) * 2 ** 24;
    const floor = Math.floor(steps);
    const fraction = steps - floor;
    return sign | (fraction > 0.5 || (fraction === 0.5 && floor % 2 === 1) ? floor + 1 : floor);
  }
  const half = (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  const roundUp = remainder > 0x1000 || (remainder === 0x1000 && (half & 1) === 1);
  return sign | (half + (roundUp ? 1 : 0));
}

/** The float of IEEE half-precision bits. */
export function fromHalfBits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** The session's metadata of one input or output, which must be a tensor. */
export function tensorMetadata(place: TensorPlace, values: readonly ValueMetadata[], name: string, kind: 'input' | 'output'): TensorMetadata {
  const found = values.find((value) => value.name === name);
  if (!found)
    throw new DiffusionModelError(place.repo, place.file, `the graph has no ${kind} "${name}" (it has ${values.map((value) => value.name).join(', ')})`, name);
  if (!found.isTensor) throw new DiffusionModelError(place.repo, place.file, `${kind} is not a tensor`, name);
  return found;
}

/** Checks an input can be fed floats (float32, float16 or float64). */
export function assertFloatInput(place: TensorPlace, metadata: TensorMetadata): void {
  if (!FLOAT_TYPES.has(metadata.type))
    throw new DiffusionModelError(place.repo, place.file, `element type ${metadata.type} cannot be fed floats`, metadata.name);
}

/** Checks an input can be fed token ids (int32 or int64). */
export function assertIdInput(place: TensorPlace, metadata: TensorMetadata): void {
  if (!ID_TYPES.has(metadata.type))
    throw new DiffusionModelError(place.repo, place.file, `element type ${metadata.type} cannot be fed token ids`, metadata.name);
}

/** Floats as a tensor of the input's element type (checked by assertFloatInput at load). */
export function floatTensor(metadata: TensorMetadata, data: Float32Array, dims: readonly number[]): Tensor {
  if (metadata.type === 'float32') return new Tensor('float32', data, dims);
  if (metadata.type === 'float64') return new Tensor('float64', Float64Array.from(data), dims);
  const half = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) half[i] = toHalfBits(data[i]);
  const tensor = new Tensor('float16', half, dims);
  // Where the runtime has Float16Array (Node 24), onnxruntime-common keeps Uint16Array data as a
  // Float16Array view, which onnxruntime-node 1.30's native binding reads as empty ("not enough
  // space: expected N, got 0"); it reads the bits from a Uint16Array.
  (tensor as unknown as { cpuData: Uint16Array }).cpuData = half;
  return tensor;
}

/** Token ids as a tensor of the input's element type (checked by assertIdInput at load). */
export function idTensor(metadata: TensorMetadata, ids: Int32Array, dims: readonly number[]): Tensor {
  if (metadata.type === 'int32') return new Tensor('int32', ids, dims);
  return new Tensor(
    'int64',
    BigInt64Array.from(ids, (id) => BigInt(id)),
    dims,
  );
}

/** A float output as float32 values. */
export function floatValues(place: TensorPlace, tensor: Tensor | undefined, name: string): Float32Array {
  if (!tensor) throw new DiffusionModelError(place.repo, place.file, 'the run gave no such output', name);
  const { data } = tensor;
  if (tensor.type === 'float32') return data as Float32Array;
  if (tensor.type === 'float64') return Float32Array.from(data as Float64Array);
  if (tensor.type === 'float16') {
    const values = data as ArrayLike<number>;
    // onnxruntime-node hands float16 out as Uint16Array bits (or a Float16Array where the runtime has one).
    if (values instanceof Uint16Array) return Float32Array.from(values, fromHalfBits);
    return Float32Array.from(values);
  }
  throw new DiffusionModelError(place.repo, place.file, `output has element type ${tensor.type}, not a float`, name);
}
