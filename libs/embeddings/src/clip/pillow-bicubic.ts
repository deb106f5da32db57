/** An interleaved 8-bit RGB image, row after row. */
export interface RgbImage {
  readonly pixels: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** A rectangle of an image, in pixels. */
export interface PixelRect {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

// Pillow's fixed point for 8-bit images (libImaging/Resample.c): 32 bits less 8 for the pixel, less 2 of headroom.
const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
const ROUNDING = 1 << (PRECISION_BITS - 1);
const SATURATED = ONE << 8;

/** Pillow's bicubic filter, a = −0.5, support 2. */
function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/** Pillow's clip8: an accumulator back to a byte. */
function clip8(sum: number): number {
  if (sum >= SATURATED) return 255;
  if (sum <= 0) return 0;
  return sum >> PRECISION_BITS;
}

/** For each output sample: the first input sample it reads, how many, and their fixed-point weights (`size` per sample). */
interface Taps {
  readonly first: Int32Array;
  readonly count: Int32Array;
  readonly weights: Float64Array;
  readonly size: number;
}

/**
 * Pillow's precompute_coeffs and normalize_coeffs_8bpc, for the output samples
 * `from` … `from + length − 1` of one axis only (those the centre crop keeps).
 */
function tapsOf(inSize: number, outSize: number, from: number, length: number): Taps {
  const scale = inSize / outSize;
  // Shrinking widens the filter by the scale, so every input pixel counts (antialiasing); enlarging keeps it at 2.
  const filterScale = Math.max(scale, 1);
  const support = 2 * filterScale;
  const inverse = 1 / filterScale;
  const size = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(length);
  const count = new Int32Array(length);
  const weights = new Float64Array(length * size);
  const raw = new Float64Array(size);
  for (let index = 0; index < length; index++) {
    const center = (from + index + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const n = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let total = 0;
    for (let x = 0; x < n; x++) {
      raw[x] = bicubic((x + xmin - center + 0.5) * inverse);
      total += raw[x];
    }
    for (let x = 0; x < n; x++) {
      const weight = total !== 0 ? raw[x] / total : raw[x];
      weights[index * size + x] = Math.trunc(weight * ONE + (weight < 0 ? -0.5 : 0.5));
    }
    first[index] = xmin;
    count[index] = n;
  }
  return { first, count, weights, size };
}

/**
 * Pillow's `Image.resize((width, height), BICUBIC)` of an 8-bit RGB image, bit for bit, of which only
 * the pixels inside `crop` are computed (each output pixel depends on its own taps only, so the
 * crop is the same as cropping the whole result). As Pillow does: a horizontal pass, rounded to
 * bytes, then a vertical pass; an axis whose size does not change is not resampled.
 */
export function resizeBicubicCrop(image: RgbImage, width: number, height: number, crop: PixelRect): Uint8Array {
  const horizontal = width !== image.width;
  const vertical = height !== image.height;
  const rows = vertical ? tapsOf(image.height, height, crop.top, crop.height) : undefined;
  // Input rows the vertical pass reads, so the horizontal pass does only those.
  const rowFrom = rows ? rows.first[0] : crop.top;
  const rowTo = rows ? rows.first[crop.height - 1] + rows.count[crop.height - 1] : crop.top + crop.height;

  const tempWidth = crop.width;
  const temp = new Uint8Array((rowTo - rowFrom) * tempWidth * 3);
  if (horizontal) {
    const { first, count, weights, size } = tapsOf(image.width, width, crop.left, crop.width);
    const source = image.pixels;
    for (let y = rowFrom; y < rowTo; y++) {
      const rowStart = y * image.width * 3;
      let out = (y - rowFrom) * tempWidth * 3;
      for (let x = 0; x < tempWidth; x++) {
        let r = ROUNDING;
        let g = ROUNDING;
        let b = ROUNDING;
        let at = rowStart + first[x] * 3;
        const kernel = x * size;
        const n = count[x];
        for (let k = 0; k < n; k++, at += 3) {
          const weight = weights[kernel + k];
          r += source[at] * weight;
          g += source[at + 1] * weight;
          b += source[at + 2] * weight;
        }
        temp[out++] = clip8(r);
        temp[out++] = clip8(g);
        temp[out++] = clip8(b);
      }
    }
  } else {
    for (let y = rowFrom; y < rowTo; y++) {
      const start = (y * image.width + crop.left) * 3;
      temp.set(image.pixels.subarray(start, start + tempWidth * 3), (y - rowFrom) * tempWidth * 3);
    }
  }
  if (!rows) return temp;

  const output = new Uint8Array(crop.width * crop.height * 3);
  const stride = tempWidth * 3;
  const sums = new Float64Array(stride);
  const { first, count, weights, size } = rows;
  for (let y = 0; y < crop.height; y++) {
    sums.fill(ROUNDING);
    // Row by row rather than column by column: the same sums, read in memory order.
    for (let k = 0, n = count[y]; k < n; k++) {
      const weight = weights[y * size + k];
      const row = (first[y] - rowFrom + k) * stride;
      for (let column = 0; column < stride; column++) sums[column] += temp[row + column] * weight;
    }
    const out = y * stride;
    for (let column = 0; column < stride; column++) output[out + column] = clip8(sums[column]);
  }
  return output;
}

/** About how many multiply-adds `resizeBicubicCrop` does: the filter spans 4 × max(scale, 1) pixels on each axis. */
export function resizeWork(image: Pick<RgbImage, 'width' | 'height'>, width: number, height: number, crop: PixelRect): number {
  const span = (inSize: number, outSize: number) => (inSize === outSize ? 0 : 4 * Math.max(inSize / outSize, 1));
  const rowsRead = Math.min(image.height, crop.height * Math.max(image.height / height, 1) + 4);
  return 3 * crop.width * (rowsRead * span(image.width, width) + crop.height * span(image.height, height));
}
