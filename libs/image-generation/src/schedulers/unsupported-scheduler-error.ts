import { SwitchyardError } from '@switchyard/shared';

/** A scheduler_config.json names a scheduler class, or an option value, that this implementation does not run. */
export class UnsupportedSchedulerError extends SwitchyardError {
  constructor(
    readonly scheduler: string,
    readonly option: string,
    readonly value: unknown,
    readonly supported: readonly string[],
  ) {
    super(`${scheduler}: ${option} ${JSON.stringify(value)} is not supported; supported: ${supported.join(', ')}`);
  }
}
