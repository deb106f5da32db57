import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp from 'sharp';
import { AESTHETIC_HEAD_FILE, AestheticPredictor, EmbeddingModelError, loadClipVisionEncoder, SafetensorsFile, type ClipVisionEncoder } from '../src';
import { pngOf } from './support/images';
import { TinyModels } from './support/tiny-models';

const IMAGE_OPTIONS = { maxPixels: 1_000_000 };
/** A folder of the model store that the tests write heads into. */
const TEST_HEADS = { repo: 'test/aesthetic-heads' };

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** A safetensors file written by hand: the header as given, then the data. */
function safetensorsOf(header: Record<string, unknown>, data: Uint8Array): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, data]);
}

function float32Data(values: readonly number[]): Uint8Array {
  const data = Buffer.alloc(values.length * 4);
  values.forEach((value, index) => data.writeFloatLE(value, index * 4));
  return data;
}

/** A well-formed F32 head: weight [1, width], bias [1]. */
function float32Head(weight: readonly number[], bias: number, weightShape: number[] = [1, weight.length]): Uint8Array {
  const weightBytes = weight.length * 4;
  return safetensorsOf(
    {
      weight: { dtype: 'F32', shape: weightShape, data_offsets: [0, weightBytes] },
      bias: { dtype: 'F32', shape: [1], data_offsets: [weightBytes, weightBytes + 4] },
    },
    float32Data([...weight, bias]),
  );
}

/** The head file read independently of SafetensorsFile: header JSON, then little-endian float32s. */
function readHeadByHand(bytes: Buffer): { weight: number[]; bias: number } {
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, HeaderEntry>;
  const floats = ({ data_offsets: [begin, end] }: HeaderEntry) =>
    Array.from({ length: (end - begin) / 4 }, (_, index) => bytes.readFloatLE(8 + headerLength + begin + index * 4));
  expect(header.weight.dtype).toBe('F32');
  expect(header.weight.shape).toEqual([1, 512]);
  return { weight: floats(header.weight), bias: floats(header.bias)[0] };
}

const gradient = (width: number, height: number) => pngOf(width, height, (x, y) => [x % 256, y % 256, 90]);
const stripes = (width: number, height: number) => pngOf(width, height, (x, y) => [((x >> 3) % 2) * 255, (y * 7) % 256, 200]);

describe('AestheticPredictor (tiny clip-vit-base-patch32, generated head)', () => {
  let models: TinyModels;
  let predictor: AestheticPredictor;
  let vision: ClipVisionEncoder;

  async function headFrom(file: string, bytes: Uint8Array): Promise<AestheticPredictor> {
    const path = models.path(TEST_HEADS.repo, file);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes);
    return AestheticPredictor.load(models.store, models.sessions, TinyModels.clip, { ...TEST_HEADS, file }, IMAGE_OPTIONS);
  }

  async function headError(file: string, bytes: Uint8Array): Promise<EmbeddingModelError> {
    const error: unknown = await headFrom(file, bytes).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EmbeddingModelError);
    expect((error as Error).message).toContain(`"${file}"`);
    return error as EmbeddingModelError;
  }

  beforeAll(async () => {
    models = await TinyModels.generate();
    predictor = await AestheticPredictor.load(models.store, models.sessions, TinyModels.clip, TinyModels.aestheticHead, IMAGE_OPTIONS);
    vision = await loadClipVisionEncoder(models.store, models.sessions, TinyModels.clip, IMAGE_OPTIONS);
  });
  afterAll(() => models.remove());

  it('names itself after the head', () => {
    expect(predictor.name).toBe('LAION-AI/aesthetic-predictor sa_0_4_vit_b_32_linear');
  });

  it('scores an image as the head computed by hand in float64 on the normalised CLIP embedding', async () => {
    const { weight, bias } = readHeadByHand(await readFile(models.path(TinyModels.aestheticHead.repo, AESTHETIC_HEAD_FILE)));
    const image = await gradient(320, 240);
    const [embedding] = await vision.embedBatch([await vision.preprocessor.preprocess(image)]);
    const length = Math.sqrt(Array.from(embedding).reduce((sum, value) => sum + value * value, 0));
    const expected = Array.from(embedding).reduce((sum, value, index) => sum + (value / length) * weight[index], bias);
    const score = await predictor.score(image);
    expect(Math.abs(score - expected)).toBeLessThan(1e-5);
    expect(score).toBeGreaterThan(0);
    expect(score).toBeLessThan(10);
  });

  it('rates a hand-made embedding as bias plus weight·embedding', async () => {
    const weight = Array.from({ length: 512 }, (_, index) => (index % 4) - 1.5);
    const head = await headFrom('hand-made.safetensors', float32Head(weight, 3.5));
    const embedding = new Float32Array(512);
    embedding[0] = 0.6; // weight −1.5
    embedding[3] = 0.8; // weight 1.5
    expect(head.rate(embedding)).toBeCloseTo(3.5 - 0.9 + 1.2, 6);
    expect(() => head.rate(new Float32Array(511))).toThrow(RangeError);
  });

  it('reads an F16 and a BF16 head, widening exactly', async () => {
    const width = 512;
    // 1.5, −0.25, 0, 2 and a bias of 3.25 are exact in both formats.
    const weight = Array.from({ length: width }, (_, index) => [1.5, -0.25, 0, 2][index % 4]);
    const halves = { 1.5: 0x3e00, [-0.25]: 0xb400, 0: 0x0000, 2: 0x4000, 3.25: 0x4280 } as Record<number, number>;
    const brains = { 1.5: 0x3fc0, [-0.25]: 0xbe80, 0: 0x0000, 2: 0x4000, 3.25: 0x4050 } as Record<number, number>;
    const embedding = new Float32Array(width).fill(1 / Math.sqrt(width));
    const expected = 3.25 + weight.reduce((sum, value) => sum + value / Math.sqrt(width), 0);
    for (const [dtype, bits] of [
      ['F16', halves],
      ['BF16', brains],
    ] as const) {
      const data = Buffer.alloc((width + 1) * 2);
      [...weight, 3.25].forEach((value, index) => data.writeUInt16LE(bits[value], index * 2));
      const bytes = safetensorsOf(
        {
          __metadata__: { format: 'pt' },
          weight: { dtype, shape: [1, width], data_offsets: [0, width * 2] },
          bias: { dtype, shape: [1], data_offsets: [width * 2, width * 2 + 2] },
        },
        data,
      );
      const head = await headFrom(`${dtype}.safetensors`, bytes);
      expect(head.rate(embedding)).toBeCloseTo(expected, 5);
      expect(SafetensorsFile.read('test', dtype, bytes).tensor('weight', [1, width]).values.slice(0, 4)).toEqual(Float32Array.of(1.5, -0.25, 0, 2));
    }
  });

  it('refuses a truncated file, naming the file and the problem', async () => {
    const whole = float32Head(new Array<number>(512).fill(0.1), 3.42);
    expect((await headError('short.safetensors', whole.subarray(0, 5))).message).toMatch(/shorter than the 8-byte header length/);
    expect((await headError('no-header.safetensors', whole.subarray(0, 40))).message).toMatch(/runs past the end/);
    expect((await headError('no-data.safetensors', whole.subarray(0, whole.length - 4))).message).toMatch(
      /the tensors end at byte 2052 of the data, which has 2048/,
    );
  });

  it('refuses a header that is not a JSON object', async () => {
    const badJson = Buffer.concat([Buffer.from([5, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{"wei')]);
    expect((await headError('bad-json.safetensors', badJson)).message).toMatch(/the header is not JSON/);
    expect((await headError('array.safetensors', safetensorsOf([] as unknown as Record<string, unknown>, new Uint8Array()))).message).toMatch(
      /not a JSON object/,
    );
  });

  it('refuses offsets outside the data, overlapping, or not matching the shape', async () => {
    const data = float32Data(new Array<number>(513).fill(0.5));
    const withOffsets = (weight: [number, number], bias: [number, number]) =>
      safetensorsOf({ weight: { dtype: 'F32', shape: [1, 512], data_offsets: weight }, bias: { dtype: 'F32', shape: [1], data_offsets: bias } }, data);
    expect((await headError('beyond.safetensors', withOffsets([0, 2048], [4096, 4100]))).message).toMatch(
      /"bias" starts at byte 4096 of the data, expected 2048/,
    );
    expect((await headError('overlap.safetensors', withOffsets([0, 2048], [2044, 2048]))).message).toMatch(
      /"bias" starts at byte 2044 of the data, expected 2048/,
    );
    expect((await headError('size.safetensors', withOffsets([0, 2052], [2052, 2056]))).message).toMatch(
      /"weight" spans 2052 bytes, but F32 \[1, 512\] takes 2048/,
    );
    expect((await headError('reversed.safetensors', withOffsets([2048, 0], [2048, 2052]))).message).toMatch(/not \[begin, end\]/);
  });

  it('refuses a wrong shape, a width other than the projection dim, a missing tensor and an unknown dtype', async () => {
    const weight = new Array<number>(512).fill(0.01);
    expect((await headError('column.safetensors', float32Head(weight, 3.42, [512, 1]))).message).toMatch(/"weight" has shape \[512, 1\], expected \[1, 512\]/);
    expect((await headError('narrow.safetensors', float32Head(new Array<number>(768).fill(0.01), 3.42))).message).toMatch(
      /"weight" has shape \[1, 768\], expected \[1, 512\]/,
    );
    const weightOnly = safetensorsOf({ weight: { dtype: 'F32', shape: [1, 512], data_offsets: [0, 2048] } }, float32Data(weight));
    expect((await headError('weight-only.safetensors', weightOnly)).message).toMatch(/has no tensor "bias" \(it has weight\)/);
    const doubles = safetensorsOf(
      { weight: { dtype: 'F64', shape: [1, 512], data_offsets: [0, 4096] }, bias: { dtype: 'F64', shape: [1], data_offsets: [4096, 4104] } },
      new Uint8Array(4104),
    );
    expect((await headError('doubles.safetensors', doubles)).message).toMatch(/"weight" has dtype "F64"; only F32, F16, BF16 are read/);
  });

  it('scores the same pixels the same after a PNG round trip, and different images differently', async () => {
    const image = await stripes(300, 260);
    const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
    const again = await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
      .png({ compressionLevel: 1 })
      .toBuffer();
    expect(again.equals(image)).toBe(false);
    const score = await predictor.score(image);
    expect(await predictor.score(again)).toBe(score);
    expect(Math.abs((await predictor.score(await gradient(300, 260))) - score)).toBeGreaterThan(1e-4);
  });
});
