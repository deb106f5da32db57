import { EmbeddingModelError } from '../errors';

/** The dtypes read, widened to float32, with their sizes in bytes. */
const DTYPE_BYTES = { F32: 4, F16: 2, BF16: 2 } as const;
export type SafetensorsDtype = keyof typeof DTYPE_BYTES;

const LENGTH_PREFIX_BYTES = 8;
/** The reference implementation's bound, against a corrupt length making us read the whole file as JSON. */
const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsTensor {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** The values widened to float32, row-major. */
  readonly values: Float32Array;
}

// bfloat16 is the top half of a float32: widened through one shared word.
const bfloat16Word = new Uint32Array(1);
const bfloat16Value = new Float32Array(bfloat16Word.buffer);

function bfloat16ToNumber(bits: number): number {
  bfloat16Word[0] = bits << 16;
  return bfloat16Value[0];
}

interface TensorEntry {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

/** IEEE 754 half precision to a number (exact: every half is a float32). */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * A safetensors file's tensors, read strictly: the header must be a JSON object of tensors whose
 * byte ranges tile the data exactly (as the reference `safetensors` crate validates), each of a
 * floating dtype and of the size its shape says.
 */
export class SafetensorsFile {
  private constructor(
    private readonly repo: string,
    readonly file: string,
    private readonly tensors: ReadonlyMap<string, SafetensorsTensor>,
  ) {}

  static read(repo: string, file: string, bytes: Uint8Array): SafetensorsFile {
    const fail = (problem: string): never => {
      throw new EmbeddingModelError(repo, `"${file}" is not a valid safetensors file: ${problem}`);
    };
    if (bytes.length < LENGTH_PREFIX_BYTES) fail(`${bytes.length} bytes, shorter than the 8-byte header length`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const headerLength = view.getBigUint64(0, true);
    if (headerLength > BigInt(Math.min(MAX_HEADER_BYTES, bytes.length - LENGTH_PREFIX_BYTES))) {
      fail(`the header length ${headerLength} runs past the end of the ${bytes.length}-byte file`);
    }
    const dataStart = LENGTH_PREFIX_BYTES + Number(headerLength);
    const entries = SafetensorsFile.entries(bytes.subarray(LENGTH_PREFIX_BYTES, dataStart), fail);
    SafetensorsFile.checkTiling(entries, bytes.length - dataStart, fail);
    const tensors = new Map<string, SafetensorsTensor>();
    for (const entry of entries) {
      const values = SafetensorsFile.decode(entry, new DataView(bytes.buffer, bytes.byteOffset + dataStart + entry.begin, entry.end - entry.begin));
      tensors.set(entry.name, { dtype: entry.dtype, shape: entry.shape, values });
    }
    return new SafetensorsFile(repo, file, tensors);
  }

  get names(): string[] {
    return [...this.tensors.keys()];
  }

  /** The tensor called `name`, which must have exactly `shape`. */
  tensor(name: string, shape: readonly number[]): SafetensorsTensor {
    const tensor = this.tensors.get(name);
    if (!tensor) throw new EmbeddingModelError(this.repo, `"${this.file}" has no tensor "${name}" (it has ${this.names.join(', ') || 'none'})`);
    if (tensor.shape.length !== shape.length || tensor.shape.some((dim, axis) => dim !== shape[axis])) {
      throw new EmbeddingModelError(this.repo, `"${this.file}": tensor "${name}" has shape [${tensor.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
    return tensor;
  }

  private static entries(headerBytes: Uint8Array, fail: (problem: string) => never): TensorEntry[] {
    let header: unknown;
    try {
      header = JSON.parse(Buffer.from(headerBytes).toString('utf8'));
    } catch (error) {
      fail(`the header is not JSON (${(error as Error).message})`);
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('the header is not a JSON object');
    return Object.entries(header as Record<string, unknown>)
      .filter(([name]) => name !== '__metadata__')
      .map(([name, value]) => {
        const { dtype, shape, data_offsets: offsets } = (value ?? {}) as Record<string, unknown>;
        if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) {
          fail(`tensor "${name}" has dtype ${JSON.stringify(dtype)}; only ${Object.keys(DTYPE_BYTES).join(', ')} are read`);
        }
        if (!Array.isArray(shape) || !shape.every(isCount)) fail(`tensor "${name}" has shape ${JSON.stringify(shape)}, not a list of sizes`);
        if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
          fail(`tensor "${name}" has data_offsets ${JSON.stringify(offsets)}, not [begin, end]`);
        }
        const [begin, end] = offsets as [number, number];
        const expected = (shape as number[]).reduce((product, dim) => product * dim, 1) * DTYPE_BYTES[dtype as SafetensorsDtype];
        if (end - begin !== expected) fail(`tensor "${name}" spans ${end - begin} bytes, but ${dtype} [${(shape as number[]).join(', ')}] takes ${expected}`);
        return { name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end };
      });
  }

  /** The tensors' ranges, in order, must cover the data from its first byte to its last with no gap or overlap. */
  private static checkTiling(entries: readonly TensorEntry[], dataLength: number, fail: (problem: string) => never): void {
    let position = 0;
    for (const entry of [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end)) {
      if (entry.begin !== position) fail(`tensor "${entry.name}" starts at byte ${entry.begin} of the data, expected ${position}`);
      position = entry.end;
    }
    if (position !== dataLength) fail(`the tensors end at byte ${position} of the data, which has ${dataLength}`);
  }

  private static decode(entry: TensorEntry, data: DataView): Float32Array {
    const count = data.byteLength / DTYPE_BYTES[entry.dtype];
    const values = new Float32Array(count);
    for (let index = 0; index < count; index++) {
      if (entry.dtype === 'F32') values[index] = data.getFloat32(index * 4, true);
      else if (entry.dtype === 'BF16') values[index] = bfloat16ToNumber(data.getUint16(index * 2, true));
      else values[index] = halfToNumber(data.getUint16(index * 2, true));
    }
    return values;
  }
}
