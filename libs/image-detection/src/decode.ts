import sharp from 'sharp';
import type { ChwImage } from './chw-image';
import { UndecodableImageError } from './errors';
import { readImageHeader, undecodable } from './image-header';

export interface SpaiDecodeLimits {
  /** Width × height allowed, checked from the header before any pixel is decoded. */
  readonly maxPixels: number;
}

/**
 * Decodes an image as SPAI's reference does (`Image.open(path).convert('RGB')`, then /255):
 * planar RGB at the original size, no resize, as 8-bit samples (which ChwImage reads as / 255).
 *
 * - EXIF orientation is NOT applied: Pillow does not rotate by itself, so the reference sees
 *   the stored pixels, and so does this (sharp does not auto-orient unless asked). A photo
 *   tagged orientation 6 comes out sideways, as the model saw such photos.
 * - Embedded ICC profiles are ignored, as Pillow ignores them: the stored values are used.
 * - Grey becomes three equal channels. Alpha is dropped without compositing, keeping the colour
 *   stored under transparent pixels, as `convert('RGB')` does (palette transparency likewise).
 * - 16-bit samples become 8-bit by sharp's conversion (the high byte), which is what Pillow gives
 *   a 16-bit RGB PNG; for 16-bit grey Pillow clamps instead (values over 255 become 255), which
 *   this does not imitate.
 * - CMYK is converted to sRGB by sharp (with its default CMYK profile), not Pillow's naive
 *   formula, so CMYK JPEGs differ slightly from the reference.
 * - Animated or multi-page images give their first frame.
 *
 * Throws {@link OversizedImageError} when the header claims more than `limits.maxPixels`
 * pixels, and {@link UndecodableImageError} for bytes that are not an image, truncated or
 * corrupt data, or SVG/PDF.
 */
export async function decodeSpaiImage(bytes: Buffer, limits: SpaiDecodeLimits): Promise<ChwImage> {
  const { maxPixels } = limits;
  const { width, height } = await readImageHeader(bytes, maxPixels);

  let decoded: { data: Buffer; info: sharp.OutputInfo };
  try {
    decoded = await sharp(bytes, { limitInputPixels: maxPixels, ignoreIcc: true, pages: 1, failOn: 'warning' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw undecodable(error);
  }
  const { data, info } = decoded;
  if (info.channels !== 3 || info.width !== width || info.height !== height) {
    throw new UndecodableImageError(`decoded to ${info.width}×${info.height}×${info.channels}, expected ${width}×${height} RGB`);
  }
  const plane = width * height;
  const values = new Uint8Array(3 * plane);
  for (let pixel = 0; pixel < plane; pixel++) {
    for (let channel = 0; channel < 3; channel++) values[channel * plane + pixel] = data[pixel * 3 + channel];
  }
  return { data: values, channels: 3, height, width };
}
