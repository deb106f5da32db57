import { SwitchyardError } from '@switchyard/shared';

/** An upscale refused before any model run: an option out of range, or an image too large to run untiled. */
export class UpscaleRefusedError extends SwitchyardError {
  constructor(
    /** The option (or `image`) the refusal is about. */
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}

/** An upscaling model whose files or graph do not describe an RGB super-resolution network this tiler can run. */
export class UpscalerModelError extends SwitchyardError {
  constructor(
    readonly model: string,
    reason: string,
  ) {
    super(`${model}: ${reason}`);
  }
}
