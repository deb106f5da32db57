import { SwitchyardError } from '@switchyard/shared';

/**
 * A problem with an image a request sent or named (one that cannot be downloaded or decoded, one
 * too large, bad base64): the client's to fix, and reported to it as is.
 */
export abstract class ImageInputError extends SwitchyardError {}

/** The image URL could not be fetched: refused (internal address), unreachable, an error status, too slow, too large or not an image type. */
export class ImageDownloadError extends ImageInputError {
  constructor(
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(`Failed to download image: ${detail}`, options);
  }
}

/** The bytes are not an image the decoder can read. */
export class InvalidImageError extends ImageInputError {
  constructor(
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(`Invalid image: ${detail}`, options);
  }
}

/** The image has more bytes or pixels than the configured limits allow (decompression bombs included). */
export class ImageTooLargeError extends ImageInputError {
  constructor(readonly detail: string) {
    super(`Image too large: ${detail}`);
  }
}
