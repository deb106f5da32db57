import { SwitchyardError } from '@switchyard/shared';

/**
 * A problem with what a request asked to embed (an image that cannot be downloaded or decoded,
 * one too large, bad base64): the client's to fix, and reported to it as is.
 */
export abstract class EmbeddingInputError extends SwitchyardError {}

/** The image URL could not be fetched: refused (internal address), unreachable, an error status, too slow, too large or not an image type. */
export class ImageDownloadError extends EmbeddingInputError {
  constructor(
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(`Failed to download image: ${detail}`, options);
  }
}

/** The bytes are not an image the decoder can read. */
export class InvalidImageError extends EmbeddingInputError {
  constructor(
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(`Invalid image: ${detail}`, options);
  }
}

/** The image has more bytes or pixels than the configured limits allow (decompression bombs included). */
export class ImageTooLargeError extends EmbeddingInputError {
  constructor(readonly detail: string) {
    super(`Image too large: ${detail}`);
  }
}

/** The model's files do not describe a model this pipeline can run; raised at start-up. */
export class EmbeddingModelError extends Error {
  override readonly name = 'EmbeddingModelError';

  constructor(
    readonly model: string,
    detail: string,
  ) {
    super(`Model "${model}" cannot be served: ${detail}`);
  }
}
