import sharp from 'sharp';
import type { ChwImage } from '@switchyard/image-detection';
import { interleaved } from '../eight-bit';

/**
 * An 8-bit RGB image resized to width×height. The reference resizes with OpenCV's INTER_LANCZOS4
 * (an 8×8 Lanczos window); sharp offers `lanczos3` (6×6), the closest kernel it has, so results
 * differ from OpenCV's by a few levels at edges.
 */
export async function resizeLanczos(image: ChwImage, width: number, height: number): Promise<ChwImage> {
  const samples = await sharp(interleaved(image), { raw: { width: image.width, height: image.height, channels: 3 }, limitInputPixels: false })
    .resize(width, height, { kernel: 'lanczos3', fit: 'fill' })
    .raw()
    .toBuffer();
  const plane = width * height;
  const data = new Uint8Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const offset = c * plane;
    for (let i = 0; i < plane; i++) data[offset + i] = samples[i * 3 + c];
  }
  return { data, channels: 3, height, width };
}
