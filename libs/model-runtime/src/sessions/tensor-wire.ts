import { Tensor } from 'onnxruntime-node';

/** A tensor as it crosses between threads: its elements in an ArrayBuffer that is transferred, not cloned. */
export interface WireTensor {
  type: Tensor.Type;
  dims: readonly number[];
  /** Strings cannot travel in a buffer; they are the only elements that are cloned. */
  data: ArrayBuffer | string[];
}

export type WireTensors = Record<string, WireTensor>;

type NumericType = Exclude<Tensor.Type, 'string'>;

const ARRAY_TYPES: Record<NumericType, new (buffer: ArrayBuffer) => Exclude<Tensor.DataType, string[]>> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  int4: Int8Array,
  uint4: Uint8Array,
};

function elements(tensor: Tensor): Exclude<Tensor.DataType, string[]> | string[] {
  if (tensor.location !== 'cpu') throw new TypeError(`A tensor on "${tensor.location}" cannot be sent to an inference thread`);
  return tensor.data as Exclude<Tensor.DataType, string[]> | string[];
}

/**
 * A copy of the tensor's elements in a buffer of its own, added to `transfer`: the caller's arrays
 * stay usable (an encoder pools with the attention mask it fed), and a view into a larger buffer
 * sends only its own bytes. One copy, as the structured clone of an untransferred array would make.
 */
export function copyToWire(tensor: Tensor, transfer: ArrayBuffer[]): WireTensor {
  const data = elements(tensor);
  if (Array.isArray(data)) return { type: tensor.type, dims: tensor.dims, data: [...data] };
  const copy = new Uint8Array(data.byteLength);
  copy.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  transfer.push(copy.buffer);
  return { type: tensor.type, dims: tensor.dims, data: copy.buffer };
}

/**
 * The tensor's own buffer when its elements span all of it (an output onnxruntime just made, which
 * nothing else holds), added to `transfer` and so moved without a copy; otherwise a copy.
 */
export function moveToWire(tensor: Tensor, transfer: ArrayBuffer[]): WireTensor {
  const data = elements(tensor);
  if (Array.isArray(data)) return { type: tensor.type, dims: tensor.dims, data: [...data] };
  const { buffer } = data;
  if (!(buffer instanceof ArrayBuffer) || data.byteOffset !== 0 || data.byteLength !== buffer.byteLength) return copyToWire(tensor, transfer);
  transfer.push(buffer);
  return { type: tensor.type, dims: tensor.dims, data: buffer };
}

export function fromWire(wire: WireTensor): Tensor {
  if (Array.isArray(wire.data)) return new Tensor('string', wire.data, wire.dims);
  const ArrayType = ARRAY_TYPES[wire.type as NumericType];
  if (!ArrayType) throw new TypeError(`Tensors of element type ${wire.type} cannot cross threads`);
  return new Tensor(wire.type, new ArrayType(wire.data) as never, wire.dims);
}

export function tensorsToWire(
  tensors: Readonly<Record<string, Tensor>>,
  toWire: (tensor: Tensor, transfer: ArrayBuffer[]) => WireTensor,
  transfer: ArrayBuffer[],
): WireTensors {
  return Object.fromEntries(Object.entries(tensors).map(([name, tensor]) => [name, toWire(tensor, transfer)]));
}

export function tensorsFromWire(wire: WireTensors): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(wire).map(([name, tensor]) => [name, fromWire(tensor)]));
}
