import { ConfigError, SwitchyardError } from '@switchyard/shared';

/** The text detector's model registry (TEXT_DETECTOR_MODELS, its file) is invalid; raised at start-up. */
export class TextDetectorRegistryError extends ConfigError {}

/** A request names a model the registry does not hold: the caller's to fix. `field` is the input field at fault. */
export class UnknownTextModelError extends SwitchyardError {
  readonly field = 'model_id';

  constructor(
    readonly modelId: string,
    readonly known: readonly string[],
  ) {
    super(`model_id: unknown model "${modelId}"; the models are ${known.join(', ')}`);
  }
}

/** A model's files do not describe a sequence classifier this detector can run (missing, unreadable, inconsistent); raised at start-up. */
export class TextDetectorModelError extends SwitchyardError {
  constructor(
    readonly modelId: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`Text detector model "${modelId}" cannot be served: ${detail}`, options);
  }
}

/** A text reads in more windows than the worker allows (TEXT_DETECTOR_MAX_WINDOWS): the caller's to fix. */
export class TooManyWindowsError extends SwitchyardError {
  constructor(
    readonly index: number,
    readonly windows: number,
    readonly maxWindows: number,
  ) {
    super(`text ${index}: reads in ${windows} windows, more than the limit of ${maxWindows}`);
  }
}
