import sharp from 'sharp';
import { OversizedImageError, UndecodableImageError } from './errors';

/** Formats sharp renders but Pillow cannot open, so SPAI's reference never sees them. */
const REFUSED_FORMATS = new Set(['svg', 'pdf']);

/** What an image's header says, read without decoding a pixel. */
export interface ImageHeader {
  readonly width: number;
  readonly height: number;
  /** sharp's name of the format: jpeg, png, webp, gif, tiff, heif… */
  readonly format: string;
}

/** A decoder's failure on bytes the client sent, as the typed error. */
export function undecodable(error: unknown): UndecodableImageError {
  return new UndecodableImageError(error instanceof Error ? error.message : String(error), { cause: error });
}

/**
 * Reads the header of a raster image and checks its size against `maxPixels`, so that a
 * decompression bomb is refused before it is decoded. Throws {@link OversizedImageError} past the
 * limit, and {@link UndecodableImageError} for bytes that are not an image or are SVG/PDF.
 */
export async function readImageHeader(bytes: Buffer, maxPixels: number): Promise<ImageHeader> {
  let metadata: sharp.Metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw undecodable(error);
  }
  const { width, height, format } = metadata;
  if (REFUSED_FORMATS.has(format)) throw new UndecodableImageError(`${format} is not a raster image format`);
  if (!width || !height) throw new UndecodableImageError('the image has no dimensions');
  if (width * height > maxPixels) throw new OversizedImageError(width, height, maxPixels);
  return { width, height, format };
}
