import sharp from 'sharp';
import type { ChwImage } from '@switchyard/image-detection';

/**
 * numpy's `round`, half to even, which both references use when they turn [0, 1] floats into
 * 8-bit samples (`(x * 255).round().astype(uint8)` in diffusers and Real-ESRGAN).
 */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Planar floats, clamped to [0, 1], as 8-bit samples rounded as the references round them. */
export function toEightBit(values: Float32Array | Float64Array): Uint8Array {
  const samples = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    samples[i] = value > 1 ? 255 : value > 0 ? roundHalfEven(value * 255) : 0;
  }
  return samples;
}

/** An 8-bit planar RGB image from floats in [0, 1] (clamped). */
export function eightBitImage(data: Float32Array | Float64Array, width: number, height: number): ChwImage {
  if (data.length !== 3 * width * height) throw new RangeError(`expected 3×${height}×${width} values, got ${data.length}`);
  return { data: toEightBit(data), channels: 3, height, width };
}

/** Interleaved (row-major RGBRGB…) 8-bit samples of a planar image, as image encoders take them. */
export function interleaved(image: ChwImage): Buffer {
  const { width, height, channels } = image;
  const plane = width * height;
  const out = Buffer.allocUnsafe(plane * channels);
  const source = image.data instanceof Uint8Array ? image.data : toEightBit(image.data);
  for (let c = 0; c < channels; c++) {
    const offset = c * plane;
    for (let i = 0; i < plane; i++) out[i * channels + c] = source[offset + i];
  }
  return out;
}

function encoder(image: ChwImage): sharp.Sharp {
  const { width, height, channels } = image;
  if (channels !== 3) throw new RangeError(`expected an RGB image, got ${channels} channels`);
  return sharp(interleaved(image), { raw: { width, height, channels: 3 }, limitInputPixels: false });
}

/** JPEG bytes of an RGB image (4:2:0 chroma, as Pillow's default `save(format='JPEG')`). */
export function encodeJpeg(image: ChwImage, quality: number): Promise<Buffer> {
  return encoder(image).jpeg({ quality, chromaSubsampling: '4:2:0' }).toBuffer();
}

/** Lossless PNG bytes of an RGB image, for models whose preprocessing starts from encoded bytes. */
export function encodePng(image: ChwImage): Promise<Buffer> {
  return encoder(image).png({ compressionLevel: 1 }).toBuffer();
}
