import { ImageInputError } from '@switchyard/outbound';

/** An image SPAI was given cannot be used: the caller's to fix. `reason` says what was wrong. */
export abstract class SpaiImageError extends ImageInputError {
  protected constructor(
    readonly reason: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The bytes are not an image the decoder reads, or the image is truncated or corrupt. */
export class UndecodableImageError extends SpaiImageError {
  constructor(reason: string, options?: ErrorOptions) {
    super(reason, `Cannot decode the image: ${reason}`, options);
  }
}

/** The image header claims more pixels than the configured limit (a decompression bomb, say). */
export class OversizedImageError extends SpaiImageError {
  constructor(
    readonly width: number,
    readonly height: number,
    readonly maxPixels: number,
  ) {
    const reason = `${width}×${height} pixels is more than the limit of ${maxPixels} pixels`;
    super(reason, `Image too large: ${reason}`);
  }
}
