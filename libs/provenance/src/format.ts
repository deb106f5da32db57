import { ascii, startsWith } from './bytes';
import type { ImageFormat } from './types';

export function detectFormat(bytes: Uint8Array): ImageFormat {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (startsWith(bytes, '\x89PNG\r\n\x1a\n')) return 'png';
  if (startsWith(bytes, 'RIFF') && bytes.length >= 12 && ascii(bytes, 8, 4) === 'WEBP') return 'webp';
  return 'other';
}
