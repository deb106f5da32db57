import { STATUS_CODES } from 'node:http';
import type { AddressPolicy } from './address-policy';
import { OutboundError, ResponseTooLargeError } from './errors';
import { ImageDownloadError, ImageTooLargeError, InvalidImageError } from './image-errors';
import { safeRequest, type SafeRequestOptions } from './safe-request';
import { base64Payload } from '@switchyard/shared';

export interface ImageLoaderOptions {
  /** Largest image accepted, downloaded or decoded. */
  readonly maxBytes: number;
  /** For the whole download: DNS, connection, redirects and body. */
  readonly timeoutMs: number;
  /** Each hop is checked against the address policy like the first. */
  readonly maxRedirects: number;
  /** Which destinations image URLs may reach; by default public addresses only. */
  readonly addressPolicy: AddressPolicy;
  /** Certificate authorities to trust instead of Node's (an on-premises CA). */
  readonly ca?: SafeRequestOptions['ca'];
}

/**
 * Object stores often serve images as application/octet-stream; the bytes are decoded (and so
 * checked) anyway. Anything else (an HTML error page, JSON) is refused before it is read.
 */
const IMAGE_CONTENT_TYPES = ['image/', 'application/octet-stream'];

/** Gets the bytes of the images a request names: downloads with the webhook protections, or base64. */
export class ImageLoader {
  constructor(private readonly options: ImageLoaderOptions) {}

  /** The largest image accepted, downloaded or decoded. */
  get maxBytes(): number {
    return this.options.maxBytes;
  }

  async download(url: string): Promise<Buffer> {
    const { maxBytes, timeoutMs, maxRedirects, addressPolicy, ca } = this.options;
    let response;
    try {
      response = await safeRequest(url, {
        headers: { accept: 'image/*' },
        timeoutMs,
        maxResponseBytes: maxBytes,
        redirects: maxRedirects,
        acceptContentTypes: IMAGE_CONTENT_TYPES,
        addressPolicy,
        ca,
      });
    } catch (error) {
      if (error instanceof ResponseTooLargeError) throw new ImageTooLargeError(`${error.target} sent more than the limit of ${maxBytes} bytes`);
      if (error instanceof OutboundError) throw new ImageDownloadError(error.message, { cause: error });
      throw error;
    }
    if (response.status < 200 || response.status > 299) {
      throw new ImageDownloadError(`${response.status} ${STATUS_CODES[response.status] ?? ''}`.trim());
    }
    if (response.body.length === 0) throw new ImageDownloadError('the response was empty');
    return response.body;
  }

  /** Bare base64 or a `data:image/…;base64,` URI (the contract checks the alphabet). */
  decodeBase64(value: string): Buffer {
    const bytes = Buffer.from(base64Payload(value), 'base64');
    if (bytes.length === 0) throw new InvalidImageError('the base64 data is empty');
    if (bytes.length > this.options.maxBytes) {
      throw new ImageTooLargeError(`${bytes.length} bytes is more than the limit of ${this.options.maxBytes} bytes`);
    }
    return bytes;
  }
}
