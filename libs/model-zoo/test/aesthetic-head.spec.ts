import { buildModel, CLIP_PROJECTION_DIM, type BinaryFile } from '../src';

const HEAD_FILE = 'sa_0_4_vit_b_32_linear.safetensors';

function headBytes(tier: 'tiny' | 'full'): Buffer {
  const file = buildModel('aestheticHead', tier).files.find((candidate) => candidate.path === HEAD_FILE) as BinaryFile;
  return Buffer.from(file.content);
}

describe('aesthetic head replica', () => {
  it('is a safetensors file of weight [1, 512] and bias [1] in F32, its data 8-byte aligned', () => {
    const bytes = headBytes('tiny');
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect(headerLength % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, unknown>;
    expect(header).toEqual({
      __metadata__: { format: 'pt' },
      weight: { dtype: 'F32', shape: [1, CLIP_PROJECTION_DIM], data_offsets: [0, CLIP_PROJECTION_DIM * 4] },
      bias: { dtype: 'F32', shape: [1], data_offsets: [CLIP_PROJECTION_DIM * 4, CLIP_PROJECTION_DIM * 4 + 4] },
    });
    expect(bytes.length).toBe(8 + headerLength + (CLIP_PROJECTION_DIM + 1) * 4);
    expect(bytes.readFloatLE(bytes.length - 4)).toBeCloseTo(3.42, 6);
    const weights = Array.from({ length: CLIP_PROJECTION_DIM }, (_, index) => bytes.readFloatLE(8 + headerLength + index * 4));
    expect(Math.max(...weights.map(Math.abs))).toBeLessThanOrEqual(1);
    expect(new Set(weights).size).toBe(CLIP_PROJECTION_DIM);
  });

  it('has the same bytes on every build, and other weights in the full tier', () => {
    expect(headBytes('tiny').equals(headBytes('tiny'))).toBe(true);
    expect(headBytes('full').equals(headBytes('tiny'))).toBe(false);
  });
});
