import { z } from 'zod';

export const MAX_IMAGE_URL_LENGTH = 2048;

const DATA_URI_PREFIX = /^data:image\/[a-z0-9.+-]+;base64,/i;
// Standard or URL-safe alphabet, optional padding; whitespace is allowed (line-wrapped `base64` output).
const BASE64_BODY = /^[A-Za-z0-9+/_\-\s]*={0,2}\s*$/;

/** The base64 text of an image (a `data:image/…;base64,` URI or bare base64), without prefix. */
export function base64Payload(value: string): string {
  return value.replace(DATA_URI_PREFIX, '');
}

function isBase64(value: string): boolean {
  const payload = base64Payload(value);
  const significant = payload.replace(/[\s=]/g, '').length;
  // A lone sixth of a byte (length ≡ 1 mod 4) cannot come from any input.
  return significant > 0 && significant % 4 !== 1 && BASE64_BODY.test(payload);
}

/** Length of the base64 text of `bytes` bytes, with room for a data URI prefix and line breaks. */
export function maxBase64Length(bytes: number): number {
  const encoded = Math.ceil(bytes / 3) * 4;
  return encoded + Math.ceil(encoded / 76) * 2 + 100;
}

/** An image to fetch: an http or https URL of at most MAX_IMAGE_URL_LENGTH characters. */
export function imageUrlSchema() {
  return z
    .string({ error: 'must be a string' })
    .max(MAX_IMAGE_URL_LENGTH, `is longer than ${MAX_IMAGE_URL_LENGTH} characters`)
    .pipe(z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }));
}

/** An image sent inline: bare base64 or a `data:image/…;base64,` URI of at most `maxBytes` bytes. */
export function imageBase64Schema(maxBytes: number) {
  return z
    .string({ error: 'must be a string' })
    .max(maxBase64Length(maxBytes), `is larger than the limit of ${maxBytes} bytes`)
    .refine(isBase64, 'is not valid base64 (or a data:image/…;base64, URI)');
}

/** Whether an image field holds a URL to fetch rather than inline data (fields that take either form). */
export function isImageUrl(value: string): boolean {
  return /^https?:\/\//i.test(value);
}
