/** ImageNet channel means (timm's `IMAGENET_DEFAULT_MEAN`), RGB. */
export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
/** ImageNet channel standard deviations (timm's `IMAGENET_DEFAULT_STD`), RGB. */
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];
/** SPAI's low-pass radius (`MODEL.FRE.MASKING_RADIUS`). */
export const SPAI_MASK_RADIUS = 16;

/**
 * The distance coordinate the reference gives each index of the centre-shifted spectrum
 * (filters.py, `generate_centered_2d_coordinates_grid`): `arange(size/2)` flipped, then
 * `arange(size/2)` again, i.e. size/2 − 1, …, 1, 0, 0, 1, …, size/2 − 1. Both index size/2 − 1 and
 * index size/2 (where `fftshift` puts the zero frequency) get 0, so the mask is centred between
 * them and is not symmetric in frequency: frequencies −radius … radius − 1 fit on each axis.
 */
export function centredCoordinate(index: number, size: number): number {
  const half = size / 2;
  return index < half ? half - 1 - index : index - half;
}

function checkGeometry(size: number, radius: number): void {
  if (!Number.isInteger(size) || size < 2 || size % 2 !== 0) throw new RangeError(`size must be an even integer ≥ 2, got ${size}`);
  if (!(radius > 0)) throw new RangeError(`radius must be positive, got ${radius}`);
}

/**
 * The reference's low-pass mask (filters.py, `generate_circular_mask(size, radius)`), laid out
 * like the `fftshift`ed spectrum it multiplies, row-major [size, size]: 1 where the Euclidean norm of
 * the two {@link centredCoordinate}s is strictly below `radius`, else 0. The same mask serves every
 * channel; the high band uses 1 − mask. 856 of the 224 × 224 entries are 1 at radius 16.
 */
export function circularMask(size = 224, radius = SPAI_MASK_RADIUS): Float32Array {
  checkGeometry(size, radius);
  const mask = new Float32Array(size * size);
  for (let row = 0; row < size; row++) {
    const dy = centredCoordinate(row, size);
    for (let column = 0; column < size; column++) {
      const dx = centredCoordinate(column, size);
      mask[row * size + column] = Math.sqrt(dx * dx + dy * dy) < radius ? 1 : 0;
    }
  }
  return mask;
}

/** One patch's low- and high-frequency images, [C, size, size] each, clamped to [0, 1]. */
export interface FrequencyBands {
  readonly low: Float32Array;
  readonly high: Float32Array;
}

/** The three inputs of SPAI's patch encoder exported with `--exclude-preprocessing`, [L, 3, size, size] each. */
export interface SpaiEncoderInputs {
  readonly x: Float32Array;
  readonly xLow: Float32Array;
  readonly xHigh: Float32Array;
}

/**
 * Applies ImageNet normalisation, `(v − mean[c]) / std[c]` per channel, to [L, 3, H, W] values with
 * `planeSize` = H·W, into a new array (or into `out`).
 */
export function normalizeImageNet(values: Float32Array, planeSize: number, out = new Float32Array(values.length)): Float32Array {
  const channels = IMAGENET_MEAN.length;
  if (values.length % (channels * planeSize) !== 0) throw new RangeError(`${values.length} values are not a whole number of 3×${planeSize} images`);
  for (let offset = 0; offset < values.length; offset += planeSize) {
    const channel = (offset / planeSize) % channels;
    const mean = IMAGENET_MEAN[channel];
    const std = IMAGENET_STD[channel];
    for (let i = offset; i < offset + planeSize; i++) out[i] = (values[i] - mean) / std;
  }
  return out;
}

function clampUnit(value: number): number {
  return value < 0 ? 0 : value > 1 ? 1 : value;
}

/**
 * SPAI's spectral split (filters.py, `filter_image_frequencies`, as `MFViT.forward` and the
 * `--exclude-preprocessing` export use it): per channel, low = real(ifft2(ifftshift(fftshift(fft2(x)) · mask))),
 * high = the same with 1 − mask, each then clamped to [0, 1].
 *
 * How: the mask keeps only frequencies −radius … radius − 1 on each axis (2·radius of the 224; see
 * {@link centredCoordinate}), and every other frequency is multiplied by 0. So rather than a full
 * FFT (224 = 2⁵·7 needs mixed radix) the low band is computed exactly as a direct DFT restricted to
 * that band, with precomputed twiddle matrices: a forward DFT of each row onto the 2r kept column
 * frequencies, of each of those columns onto the 2r kept row frequencies, the disc mask on that
 * 2r × 2r block, and the two inverse steps back. That is about 4·N²·2r multiply-adds per channel
 * (≈ 6.4 M at N = 224, r = 16) against 4·N³ (≈ 45 M) for full matrix DFTs, with no FFT code to get
 * wrong. The high band is x − low before clamping: the complement mask passes every other frequency,
 * and ifft2 of the whole spectrum is x. Sums run in float64; the reference runs float32
 * (`x.float()`), so the two agree to float32 rounding (~1e-6), not bit for bit.
 */
export class SpectralFilter {
  readonly size: number;
  readonly radius: number;
  /** Natural-order (unshifted) DFT index of each kept frequency. */
  private readonly band: Int32Array;
  /** `keep[a * m + b]`: whether row frequency a and column frequency b lie inside the disc. */
  private readonly keep: Uint8Array;
  /** cos and sin of 2π·k_b·n/N, [m, N]. */
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  // Scratch, reused across calls.
  private readonly rowRe: Float64Array;
  private readonly rowIm: Float64Array;
  private readonly specRe: Float64Array;
  private readonly specIm: Float64Array;

  constructor(size = 224, radius = SPAI_MASK_RADIUS) {
    checkGeometry(size, radius);
    this.size = size;
    this.radius = radius;
    const half = size / 2;
    const shifted: number[] = [];
    for (let index = 0; index < size; index++) if (centredCoordinate(index, size) < radius) shifted.push(index);
    // Shifted index i holds frequency i − N/2, whose natural index is (i − N/2) mod N.
    this.band = Int32Array.from(shifted, (index) => (index - half + size) % size);
    const m = shifted.length;
    this.keep = new Uint8Array(m * m);
    for (let a = 0; a < m; a++) {
      const dy = centredCoordinate(shifted[a], size);
      for (let b = 0; b < m; b++) {
        const dx = centredCoordinate(shifted[b], size);
        this.keep[a * m + b] = Math.sqrt(dx * dx + dy * dy) < radius ? 1 : 0;
      }
    }
    this.cos = new Float64Array(m * size);
    this.sin = new Float64Array(m * size);
    for (let b = 0; b < m; b++) {
      for (let n = 0; n < size; n++) {
        const angle = (2 * Math.PI * ((this.band[b] * n) % size)) / size;
        this.cos[b * size + n] = Math.cos(angle);
        this.sin[b * size + n] = Math.sin(angle);
      }
    }
    this.rowRe = new Float64Array(size * m);
    this.rowIm = new Float64Array(size * m);
    this.specRe = new Float64Array(m * m);
    this.specIm = new Float64Array(m * m);
  }

  /**
   * Low and high bands of one [channels, size, size] patch (values in [0, 1]) read from `patch` at
   * `offset`, written to `low` and `high` at `outOffset`.
   */
  filterInto(patch: Float32Array, offset: number, channels: number, low: Float32Array, high: Float32Array, outOffset: number): void {
    const plane = this.size * this.size;
    if (offset < 0 || offset + channels * plane > patch.length) throw new RangeError('patch lies outside the input array');
    if (outOffset < 0 || outOffset + channels * plane > low.length || outOffset + channels * plane > high.length) {
      throw new RangeError('patch lies outside the output arrays');
    }
    for (let c = 0; c < channels; c++) this.filterPlane(patch, offset + c * plane, low, high, outOffset + c * plane);
  }

  /** {@link filterInto} for a single [channels, size, size] patch, into new arrays. */
  filter(patch: Float32Array, channels = 3): FrequencyBands {
    const low = new Float32Array(channels * this.size * this.size);
    const high = new Float32Array(low.length);
    if (patch.length !== low.length) throw new RangeError(`expected ${low.length} values, got ${patch.length}`);
    this.filterInto(patch, 0, channels, low, high, 0);
    return { low, high };
  }

  /**
   * The `--exclude-preprocessing` encoder's inputs for `count` RGB patches stored back to back in
   * `patches` ([count, 3, size, size], values in [0, 1]): x, x_low and x_high, all three
   * ImageNet-normalised, as `export_onnx_without_fft` prepares them (the bands are split and clamped
   * before any normalisation).
   */
  encoderInputs(patches: Float32Array, count: number): SpaiEncoderInputs {
    const plane = this.size * this.size;
    const patchValues = 3 * plane;
    if (!Number.isInteger(count) || count < 0 || patches.length !== count * patchValues) {
      throw new RangeError(`expected ${count} patches of 3×${this.size}×${this.size} (${count * patchValues} values), got ${patches.length}`);
    }
    const xLow = new Float32Array(patches.length);
    const xHigh = new Float32Array(patches.length);
    for (let p = 0; p < count; p++) this.filterInto(patches, p * patchValues, 3, xLow, xHigh, p * patchValues);
    return { x: normalizeImageNet(patches, plane), xLow: normalizeImageNet(xLow, plane, xLow), xHigh: normalizeImageNet(xHigh, plane, xHigh) };
  }

  private filterPlane(input: Float32Array, offset: number, low: Float32Array, high: Float32Array, outOffset: number): void {
    const { size: n, cos, sin, rowRe, rowIm, specRe, specIm, keep } = this;
    const m = this.band.length;

    // Forward DFT of every row onto the kept column frequencies: R[y, b] = Σx x[y, x]·e^{−2πi·k_b·x/N}.
    for (let y = 0; y < n; y++) {
      const row = offset + y * n;
      for (let b = 0; b < m; b++) {
        const twiddle = b * n;
        let re = 0;
        let im = 0;
        for (let x = 0; x < n; x++) {
          const value = input[row + x];
          re += value * cos[twiddle + x];
          im -= value * sin[twiddle + x];
        }
        rowRe[y * m + b] = re;
        rowIm[y * m + b] = im;
      }
    }

    // Forward DFT of those columns onto the kept row frequencies, masked by the disc.
    for (let a = 0; a < m; a++) {
      const twiddle = a * n;
      for (let b = 0; b < m; b++) {
        let re = 0;
        let im = 0;
        if (keep[a * m + b]) {
          for (let y = 0; y < n; y++) {
            const c = cos[twiddle + y];
            const s = sin[twiddle + y];
            const r = rowRe[y * m + b];
            const i = rowIm[y * m + b];
            re += r * c + i * s;
            im += i * c - r * s;
          }
        }
        specRe[a * m + b] = re;
        specIm[a * m + b] = im;
      }
    }

    // Inverse along the rows' axis: H[y, b] = Σa F[a, b]·e^{+2πi·k_a·y/N} (reusing the row buffers).
    for (let y = 0; y < n; y++) {
      for (let b = 0; b < m; b++) {
        let re = 0;
        let im = 0;
        for (let a = 0; a < m; a++) {
          const c = cos[a * n + y];
          const s = sin[a * n + y];
          const r = specRe[a * m + b];
          const i = specIm[a * m + b];
          re += r * c - i * s;
          im += r * s + i * c;
        }
        rowRe[y * m + b] = re;
        rowIm[y * m + b] = im;
      }
    }

    // Inverse along the columns' axis, real part only, scaled by 1/N²; high = x − low.
    const scale = 1 / (n * n);
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        let sum = 0;
        for (let b = 0; b < m; b++) sum += rowRe[y * m + b] * cos[b * n + x] - rowIm[y * m + b] * sin[b * n + x];
        const value = sum * scale;
        const at = y * n + x;
        low[outOffset + at] = clampUnit(value);
        high[outOffset + at] = clampUnit(input[offset + at] - value);
      }
    }
  }
}
