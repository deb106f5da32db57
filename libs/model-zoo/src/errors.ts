import { SwitchyardError } from '@switchyard/shared';

/** Base class of every error this package throws, so callers can catch the package's failures as one kind. */
export class ModelZooError extends SwitchyardError {
  constructor(message: string) {
    super(message);
  }
}

/** A tier name that is not `tiny` or `full`. */
export class UnknownTierError extends ModelZooError {
  constructor(readonly tier: string) {
    super(`Unknown model tier "${tier}": expected "tiny", "full" or "all".`);
  }
}

/** A tier that a model is not generated in (some models have a tiny tier only). */
export class TierNotAvailableError extends ModelZooError {
  constructor(
    readonly model: string,
    readonly tier: string,
  ) {
    super(`${model} has no "${tier}" tier.`);
  }
}

/** A graph file that a model does not have. */
export class UnknownGraphError extends ModelZooError {
  constructor(
    readonly repoId: string,
    readonly file: string,
  ) {
    super(`${repoId} has no graph "${file}".`);
  }
}

/** A model key that is not in GENERATED_MODELS. */
export class UnknownModelError extends ModelZooError {
  constructor(
    readonly model: string,
    known: readonly string[],
  ) {
    super(`Unknown model "${model}": expected one of ${known.join(', ')}.`);
  }
}

/** A graph that refers to a tensor nobody produces, or declares one name twice. */
export class InvalidGraphError extends ModelZooError {
  constructor(
    readonly graph: string,
    detail: string,
  ) {
    super(`Graph "${graph}" is invalid: ${detail}.`);
  }
}

/** An initializer whose description cannot be turned into values. */
export class InvalidTensorError extends ModelZooError {
  constructor(
    readonly tensor: string,
    detail: string,
  ) {
    super(`Initializer "${tensor}" is invalid: ${detail}.`);
  }
}

/** The command line was called with arguments it does not understand. */
export class CliUsageError extends ModelZooError {}
