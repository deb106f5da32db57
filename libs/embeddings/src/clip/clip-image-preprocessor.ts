import sharp from 'sharp';
import { ImageTooLargeError, InvalidImageError } from '@switchyard/outbound';
import { EmbeddingModelError } from '../errors';
import type { JsonObject } from '../model-files';
import { BicubicResampler } from './bicubic-resampler';

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

/**
 * What becomes of transparency: `'drop'` keeps the colour stored under transparent pixels, as
 * CLIPImageProcessor (Pillow's `convert("RGB")`) does and as the model was trained; `flatten`
 * composites the image onto a colour (`#rrggbb`) first.
 */
export type AlphaHandling = 'drop' | { readonly flatten: string };

export interface ClipImageOptions extends ImageLimits {
  /** `'drop'` unless told otherwise. */
  readonly alpha?: AlphaHandling;
}

const HEX_COLOUR = /^#[0-9a-f]{6}$/i;

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
 * CLIP's image preprocessing, equal to transformers' CLIPImageProcessor within one level per
 * channel (docs/embedder.md): sharp decodes the image, turns it upright per its EXIF orientation,
 * makes it 8-bit sRGB (16-bit samples keep their high byte, as Pillow reads a 16-bit RGB PNG;
 * grey becomes three equal channels) and drops alpha, or flattens it onto a colour if so
 * configured. The resize is Pillow's own bicubic, done here bit for bit (pillow-bicubic.ts)
 * rather than by libvips, which samples half a pixel off Pillow when it enlarges. Then the centre
 * crop and (value × rescale − mean) / std per channel, laid out CHW.
 */
export class ClipImagePreprocessor {
  private readonly alpha: AlphaHandling;
  private readonly resampler = new BicubicResampler();

  constructor(
    readonly settings: ClipImageSettings,
    private readonly options: ClipImageOptions,
  ) {
    this.alpha = options.alpha ?? 'drop';
    if (this.alpha !== 'drop' && !HEX_COLOUR.test(this.alpha.flatten))
      throw new RangeError(`Cannot flatten onto "${this.alpha.flatten}": give a colour as #rrggbb`);
  }

  /** Values per image: 3 × crop height × crop width. */
  get size(): number {
    return 3 * this.settings.cropHeight * this.settings.cropWidth;
  }

  async preprocess(bytes: Uint8Array): Promise<Float32Array> {
    const { shortestEdge, cropWidth, cropHeight } = this.settings;
    const { width, height } = await this.orientedSize(bytes);
    const resized = resizedSize(width, height, shortestEdge);
    let decoded: { data: Buffer; info: sharp.OutputInfo };
    try {
      const upright = sharp(bytes, { limitInputPixels: this.options.maxPixels }).rotate();
      const opaque = this.alpha === 'drop' ? upright : upright.flatten({ background: this.alpha.flatten });
      decoded = await opaque.toColourspace('srgb').removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    } catch (error) {
      throw new InvalidImageError(describe(error), { cause: error });
    }
    const { data, info } = decoded;
    if (info.channels !== 3 || info.width !== width || info.height !== height) {
      throw new InvalidImageError(`decoded to ${info.width}×${info.height}×${info.channels}, expected ${width}×${height} RGB`);
    }
    const crop = centerCrop(resized.width, resized.height, cropWidth, cropHeight);
    const pixels = await this.resampler.resize({ pixels: data, width, height }, resized.width, resized.height, crop);
    return this.normalize(pixels);
  }

  /** Ends the resampling thread, if one started. */
  close(): Promise<void> {
    return this.resampler.close();
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
    if (width * height > this.options.maxPixels) {
      throw new ImageTooLargeError(`${width}×${height} pixels is more than the limit of ${this.options.maxPixels} pixels`);
    }
    return { width, height };
  }

  /** Interleaved RGB bytes → (value × rescale − mean) / std, channel-major (CHW). */
  private normalize(rgb: Uint8Array): Float32Array {
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
