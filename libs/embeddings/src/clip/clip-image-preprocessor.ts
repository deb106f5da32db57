import sharp from 'sharp';
import { EmbeddingModelError, ImageTooLargeError, InvalidImageError } from '../errors';
import type { JsonObject } from '../model-files';

/** CLIPImageProcessor's settings, from a preprocessor_config.json. */
export interface ClipImageSettings {
  /** The shorter side is resized to this, keeping the aspect ratio. */
  readonly shortestEdge: number;
  readonly cropHeight: number;
  readonly cropWidth: number;
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  /** Pixel values are multiplied by this before normalization (1/255). */
  readonly rescaleFactor: number;
}

export interface ImageLimits {
  /** Width × height, checked from the header before anything is decoded. */
  readonly maxPixels: number;
}

const PIL_BICUBIC = 3;

function triple(repo: string, key: string, value: unknown): [number, number, number] {
  if (!Array.isArray(value) || value.length !== 3 || !value.every((item) => typeof item === 'number')) {
    throw new EmbeddingModelError(repo, `"${key}" of preprocessor_config.json must be three numbers`);
  }
  return value as [number, number, number];
}

function size(repo: string, key: string, value: unknown, field: string): number {
  const found = typeof value === 'number' ? value : (value as Record<string, unknown> | undefined)?.[field];
  if (typeof found !== 'number' || !Number.isInteger(found) || found <= 0) {
    throw new EmbeddingModelError(repo, `"${key}.${field}" of preprocessor_config.json must be a positive whole number`);
  }
  return found;
}

/** Reads CLIPImageProcessor's preprocessor_config.json; refuses settings this pipeline does not implement. */
export function clipImageSettings(repo: string, config: JsonObject): ClipImageSettings {
  const unsupported = (what: string) => new EmbeddingModelError(repo, `preprocessor_config.json asks for ${what}, which is not supported`);
  if (config.do_resize === false || config.do_center_crop === false || config.do_normalize === false) {
    throw unsupported('skipping resize, center crop or normalization');
  }
  if (config.resample !== undefined && config.resample !== PIL_BICUBIC) throw unsupported(`resampling filter ${String(config.resample)} (only bicubic, 3)`);
  const settings: ClipImageSettings = {
    shortestEdge: size(repo, 'size', config.size, 'shortest_edge'),
    cropHeight: size(repo, 'crop_size', config.crop_size, 'height'),
    cropWidth: size(repo, 'crop_size', config.crop_size, 'width'),
    mean: triple(repo, 'image_mean', config.image_mean),
    std: triple(repo, 'image_std', config.image_std),
    rescaleFactor: typeof config.rescale_factor === 'number' ? config.rescale_factor : 1 / 255,
  };
  if (settings.cropHeight > settings.shortestEdge || settings.cropWidth > settings.shortestEdge) {
    throw unsupported('a crop larger than the resized image');
  }
  return settings;
}

/** transformers' size for `shortest_edge`: the short side becomes `edge`, the long one is scaled and truncated. */
export function resizedSize(width: number, height: number, edge: number): { width: number; height: number } {
  if (width <= height) return { width: edge, height: Math.floor((edge * height) / width) };
  return { width: Math.floor((edge * width) / height), height: edge };
}

/** transformers' center_crop offsets: (size − crop) // 2 on each axis. */
export function centerCrop(width: number, height: number, cropWidth: number, cropHeight: number) {
  return { left: Math.floor((width - cropWidth) / 2), top: Math.floor((height - cropHeight) / 2), width: cropWidth, height: cropHeight };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * CLIP's image preprocessing, as transformers' CLIPImageProcessor does it: EXIF orientation
 * applied, transparency flattened onto white, the shorter side resized to 224 with bicubic
 * resampling, a center crop of 224×224, then (value/255 − mean)/std per channel, laid out CHW.
 */
export class ClipImagePreprocessor {
  constructor(
    readonly settings: ClipImageSettings,
    private readonly limits: ImageLimits,
  ) {}

  /** Values per image: 3 × crop height × crop width. */
  get size(): number {
    return 3 * this.settings.cropHeight * this.settings.cropWidth;
  }

  async preprocess(bytes: Uint8Array): Promise<Float32Array> {
    const { shortestEdge, cropWidth, cropHeight } = this.settings;
    const { width, height } = await this.orientedSize(bytes);
    const resized = resizedSize(width, height, shortestEdge);
    let pixels: Buffer;
    try {
      pixels = await sharp(bytes, { limitInputPixels: this.limits.maxPixels })
        .rotate()
        .flatten({ background: '#ffffff' })
        .toColourspace('srgb')
        .resize(resized.width, resized.height, { kernel: 'cubic', fit: 'fill' })
        .extract(centerCrop(resized.width, resized.height, cropWidth, cropHeight))
        .removeAlpha()
        .raw({ depth: 'uchar' })
        .toBuffer();
    } catch (error) {
      throw new InvalidImageError(describe(error), { cause: error });
    }
    return this.normalize(pixels);
  }

  /** The displayed size (after EXIF orientation), read from the header, so a decompression bomb is refused before decoding. */
  private async orientedSize(bytes: Uint8Array): Promise<{ width: number; height: number }> {
    let metadata: sharp.Metadata;
    try {
      metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
    } catch (error) {
      throw new InvalidImageError(describe(error), { cause: error });
    }
    const { width, height } = metadata.autoOrient ?? metadata;
    if (!width || !height) throw new InvalidImageError('the image has no dimensions');
    if (width * height > this.limits.maxPixels) {
      throw new ImageTooLargeError(`${width}×${height} pixels is more than the limit of ${this.limits.maxPixels} pixels`);
    }
    return { width, height };
  }

  /** Interleaved RGB bytes → (value × rescale − mean) / std, channel-major (CHW). */
  private normalize(rgb: Buffer): Float32Array {
    const { cropWidth, cropHeight, mean, std, rescaleFactor } = this.settings;
    const plane = cropWidth * cropHeight;
    if (rgb.length !== plane * 3) throw new InvalidImageError(`decoded to ${rgb.length} bytes, expected ${plane * 3} (RGB)`);
    const values = new Float32Array(plane * 3);
    for (let channel = 0; channel < 3; channel++) {
      for (let pixel = 0; pixel < plane; pixel++) {
        values[channel * plane + pixel] = (rgb[pixel * 3 + channel] * rescaleFactor - mean[channel]) / std[channel];
      }
    }
    return values;
  }
}
