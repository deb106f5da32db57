/** One float32 tensor of a safetensors file. */
export interface Float32TensorEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** The header is padded with spaces so that the data starts 8-byte aligned, as safetensors writes it. */
const HEADER_ALIGNMENT = 8;

/**
 * A safetensors file (8-byte little-endian header length, JSON header, raw little-endian data) of
 * float32 tensors, in the order given.
 */
export function safetensorsBytes(tensors: readonly Float32TensorEntry[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const { name, shape, values } of tensors) {
    const elements = shape.reduce((product, dim) => product * dim, 1);
    if (elements !== values.length) throw new RangeError(`Tensor "${name}" has ${values.length} values for shape [${shape.join(', ')}]`);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + values.byteLength] };
    offset += values.byteLength;
  }
  const json = JSON.stringify(header);
  const headerLength = Math.ceil(Buffer.byteLength(json) / HEADER_ALIGNMENT) * HEADER_ALIGNMENT;
  const bytes = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  bytes.fill(0x20, 8, 8 + headerLength);
  bytes.set(Buffer.from(json), 8);
  let position = 8 + headerLength;
  for (const { values } of tensors) {
    for (const value of values) {
      view.setFloat32(position, value, true);
      position += 4;
    }
  }
  return bytes;
}
