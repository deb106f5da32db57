import sharp from 'sharp';
import type { ClipImageSettings } from '../../src';

export type Rgb = readonly [number, number, number];

/**
 * A lossless PNG of `width`×`height` whose pixel (x, y) has the colour `colourAt(x, y)`, so tests
 * know every input pixel exactly.
 */
export function pngOf(width: number, height: number, colourAt: (x: number, y: number) => Rgb, options: { orientation?: number } = {}): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) raw.set(colourAt(x, y), (y * width + x) * 3);
  }
  const image = sharp(raw, { raw: { width, height, channels: 3 } });
  return (options.orientation ? image.withMetadata({ orientation: options.orientation }) : image).png().toBuffer();
}

/** openai/clip-vit-base-patch32's preprocessor_config.json, written out: shorter side to 224, a 224×224 crop, CLIP's mean and std. */
export const CLIP_VIT_B32_SETTINGS: ClipImageSettings = {
  shortestEdge: 224,
  cropHeight: 224,
  cropWidth: 224,
  mean: [0.48145466, 0.4578275, 0.40821073],
  std: [0.26862954, 0.26130258, 0.27577711],
  rescaleFactor: 1 / 255,
};

/** The value CLIP preprocessing gives a channel value, computed by hand: (v/255 − mean)/std. */
export function clipValue(value: number, channel: 0 | 1 | 2): number {
  const { mean, std } = CLIP_VIT_B32_SETTINGS;
  return (value / 255 - mean[channel]) / std[channel];
}

/** The preprocessed (CHW) values of pixel (x, y) of a 224×224 crop. */
export function pixelAt(values: Float32Array, x: number, y: number, size = 224): [number, number, number] {
  const plane = size * size;
  return [0, 1, 2].map((channel) => values[channel * plane + y * size + x]) as [number, number, number];
}
