import { open } from 'node:fs/promises';

export interface SafetensorsTensor {
  dtype: string;
  shape: readonly number[];
}

// Element sizes of the safetensors format, in bits (F4 and F6 pack several elements into a byte).
const DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  F64: 64,
  I64: 64,
  U64: 64,
};

export function tensorElements(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

/**
 * A valid safetensors file: an 8-byte little-endian header length, the JSON header (each tensor's
 * dtype, shape and byte range), then the tensors' bytes (zeros).
 */
export function safetensorsFile(tensors: Readonly<Record<string, SafetensorsTensor>>, metadata?: Record<string, string>): Buffer {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const [name, { dtype, shape }] of Object.entries(tensors)) {
    const bits = DTYPE_BITS[dtype];
    if (bits === undefined) throw new Error(`safetensors has no dtype "${dtype}"`);
    const bytes = Math.ceil((tensorElements(shape) * bits) / 8);
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  // The format pads the header with spaces to a multiple of 8 bytes.
  const json = Buffer.from(JSON.stringify(header));
  const padded = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, ' ')]);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(padded.length));
  return Buffer.concat([length, padded, Buffer.alloc(offset)]);
}

/** The tensors a safetensors file declares, read from its header alone. */
export async function readSafetensorsHeader(path: string): Promise<Record<string, SafetensorsTensor>> {
  const file = await open(path);
  try {
    const lengthBytes = Buffer.alloc(8);
    await file.read(lengthBytes, 0, 8, 0);
    const length = Number(lengthBytes.readBigUInt64LE());
    const json = Buffer.alloc(length);
    await file.read(json, 0, length, 8);
    const header = JSON.parse(json.toString('utf8')) as Record<string, SafetensorsTensor>;
    delete header.__metadata__;
    return header;
  } finally {
    await file.close();
  }
}
