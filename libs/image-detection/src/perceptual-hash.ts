import sharp from 'sharp';
import { UndecodableImageError } from './errors';
import { readImageHeader, undecodable } from './image-header';

/**
 * A 64-bit DCT perceptual hash (pHash), for finding near duplicates of an image already judged:
 * re-encodings, resizes and light edits keep most bits, unrelated images differ in about half.
 *
 * The definition, step by step:
 *
 * 1. Decode the first frame (animated or multi-page images), with NO EXIF auto-rotation (the stored
 *    pixels, as `decodeSpaiImage` sees them). Embedded ICC profiles are honoured (sharp converts to
 *    sRGB), CMYK is converted to sRGB, 16-bit samples are reduced to 8-bit.
 * 2. Alpha is flattened onto white, not dropped: what a viewer shows on a white page, so a
 *    transparent PNG and its JPEG export (which tools flatten onto white) hash alike, and the colour
 *    hidden under transparent pixels (often black, often arbitrary) does not count.
 * 3. Resize to 32×32 ignoring the aspect ratio (`fit: 'fill'`) with the Mitchell–Netravali kernel.
 *    libvips first box-shrinks by the integer part of a large reduction (an area average: the low-pass
 *    filter pHash.org gets from its 7×7 mean filter) and then applies the kernel to the remainder; the
 *    Mitchell kernel rings less than Lanczos. JPEG shrink-on-load is turned off so that a JPEG and a
 *    PNG of the same pixels go through the same resampling.
 * 4. Greyscale: Rec.601 luma, Y = 0.299 R + 0.587 G + 0.114 B on the gamma-encoded sRGB values (as
 *    pHash.org's CImg conversion), rounded to 8 bits: the 32×32 grey thumbnail ({@link perceptualHashThumbnail}).
 * 5. 2-D DCT-II of the thumbnail, unnormalised: C(u, v) = Σ_y Σ_x f(x, y) cos((2y+1)uπ/64) cos((2x+1)vπ/64),
 *    u the vertical and v the horizontal frequency. The orthonormal scale factors are equal for
 *    every u, v ≥ 1, so normalising would not change a bit.
 * 6. Keep the 8×8 low-frequency block without the DC row and column, u, v ∈ [1, 8], as pHash.org's
 *    `ph_dct_imagehash` does.
 * 7. Bit = 1 where the coefficient is above the block's MEDIAN (the mean of its 32nd and 33rd values).
 *    pHash.org uses the median; the mean (which the design note mentions) is pulled by the one or
 *    two large lowest-frequency coefficients most images have, so it gives unbalanced hashes with
 *    fewer informative bits. With the median, 32 bits are set (barring ties) and unrelated images
 *    differ in about 32 bits.
 * 8. Bit order: the block in row-major order, (u, v) = (1, 1), (1, 2), … (1, 8), (2, 1), … (8, 8),
 *    the first coefficient being the most significant bit of the unsigned 64-bit value.
 *
 * The value is not bit-compatible with pHash.org (its resampling and bit order differ).
 */

export const PERCEPTUAL_HASH_SIZE = 32;
/** The side of the low-frequency block: 8×8 = 64 bits. */
export const PERCEPTUAL_HASH_BLOCK = 8;
export const PERCEPTUAL_HASH_BITS = 64;
/** The limit when none is given: larger headers are refused before any pixel is decoded. */
export const DEFAULT_PERCEPTUAL_HASH_MAX_PIXELS = 100_000_000;

const MASK_64 = (1n << 64n) - 1n;
const REC601: [number, number, number] = [0.299, 0.587, 0.114];

export interface PerceptualHashOptions {
  /** Width × height allowed, checked from the header before any pixel is decoded. */
  readonly maxPixels?: number;
}

/**
 * Steps 1–4: the 32×32 8-bit Rec.601 grey thumbnail the hash is computed from, row-major.
 * Throws {@link OversizedImageError} when the header claims more than `maxPixels` pixels and
 * {@link UndecodableImageError} for bytes that are not a raster image, or are truncated or corrupt.
 */
export async function perceptualHashThumbnail(bytes: Buffer, options: PerceptualHashOptions = {}): Promise<Uint8Array> {
  const maxPixels = options.maxPixels ?? DEFAULT_PERCEPTUAL_HASH_MAX_PIXELS;
  await readImageHeader(bytes, maxPixels);

  let decoded: { data: Buffer; info: sharp.OutputInfo };
  try {
    decoded = await sharp(bytes, { limitInputPixels: maxPixels, pages: 1, failOn: 'warning' })
      .toColourspace('srgb')
      .flatten({ background: '#ffffff' })
      .resize(PERCEPTUAL_HASH_SIZE, PERCEPTUAL_HASH_SIZE, { fit: 'fill', kernel: 'mitchell', fastShrinkOnLoad: false })
      .recomb([REC601, REC601, REC601])
      .extractChannel(0)
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw undecodable(error);
  }
  const { data, info } = decoded;
  if (info.channels !== 1 || info.width !== PERCEPTUAL_HASH_SIZE || info.height !== PERCEPTUAL_HASH_SIZE) {
    throw new UndecodableImageError(`resized to ${info.width}×${info.height}×${info.channels}, expected 32×32 grey`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

/** cos((2i+1)kπ/64) for k ∈ [0, 8], i ∈ [0, 32): the DCT-II basis rows the block needs. */
const COSINES: Float64Array[] = Array.from({ length: PERCEPTUAL_HASH_BLOCK + 1 }, (_, k) =>
  Float64Array.from({ length: PERCEPTUAL_HASH_SIZE }, (_, i) => Math.cos(((2 * i + 1) * k * Math.PI) / (2 * PERCEPTUAL_HASH_SIZE))),
);

/** Steps 5–8 over a 32×32 row-major grey thumbnail: the unsigned 64-bit hash. */
export function perceptualHashOfThumbnail(pixels: ArrayLike<number>): bigint {
  const n = PERCEPTUAL_HASH_SIZE;
  const b = PERCEPTUAL_HASH_BLOCK;
  if (pixels.length !== n * n) throw new RangeError(`a ${n}×${n} thumbnail has ${n * n} pixels, not ${pixels.length}`);
  // Separable: first along x (horizontal frequency v), then along y (vertical frequency u).
  const rows = new Float64Array(n * b); // rows[y * b + (v - 1)]
  for (let y = 0; y < n; y++) {
    for (let v = 1; v <= b; v++) {
      const basis = COSINES[v];
      let sum = 0;
      for (let x = 0; x < n; x++) sum += pixels[y * n + x] * basis[x];
      rows[y * b + v - 1] = sum;
    }
  }
  const block = new Float64Array(b * b); // block[(u - 1) * b + (v - 1)]
  for (let u = 1; u <= b; u++) {
    const basis = COSINES[u];
    for (let v = 0; v < b; v++) {
      let sum = 0;
      for (let y = 0; y < n; y++) sum += rows[y * b + v] * basis[y];
      block[(u - 1) * b + v] = sum;
    }
  }
  const sorted = Float64Array.from(block).sort();
  const median = (sorted[(b * b) / 2 - 1] + sorted[(b * b) / 2]) / 2;
  let hash = 0n;
  for (let i = 0; i < b * b; i++) hash = (hash << 1n) | (block[i] > median ? 1n : 0n);
  return hash;
}

/**
 * The image's 64-bit perceptual hash as an unsigned bigint in [0, 2⁶⁴), defined above.
 * Throws {@link OversizedImageError} or {@link UndecodableImageError} as {@link perceptualHashThumbnail}.
 */
export async function perceptualHash(bytes: Buffer, options: PerceptualHashOptions = {}): Promise<bigint> {
  return perceptualHashOfThumbnail(await perceptualHashThumbnail(bytes, options));
}

function checkHash(hash: bigint, name: string): void {
  if (typeof hash !== 'bigint' || hash < 0n || hash > MASK_64) throw new RangeError(`${name} is not an unsigned 64-bit hash: ${String(hash)}`);
}

function popCount32(value: number): number {
  let v = value >>> 0;
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** The number of bits in which two unsigned 64-bit hashes differ (0..64). */
export function hammingDistance(a: bigint, b: bigint): number {
  checkHash(a, 'a');
  checkHash(b, 'b');
  const difference = a ^ b;
  return popCount32(Number(difference & 0xffffffffn)) + popCount32(Number(difference >> 32n));
}

/** 16 lowercase hex digits, zero-padded: the hash as APIs and logs show it. */
export function perceptualHashToHex(hash: bigint): string {
  checkHash(hash, 'hash');
  return hash.toString(16).padStart(16, '0');
}

/** The inverse of {@link perceptualHashToHex}; accepts 16 hex digits in either case. */
export function perceptualHashFromHex(hex: string): bigint {
  if (!/^[0-9a-fA-F]{16}$/.test(hex)) throw new RangeError(`a perceptual hash is 16 hex digits, not ${JSON.stringify(hex)}`);
  return BigInt(`0x${hex}`);
}
