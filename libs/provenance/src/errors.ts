import { SwitchyardError } from '@switchyard/shared';

/** A metadata block is truncated, corrupt or over a size limit. Caught by the readers and reported in `unreadable`. */
export class MalformedMetadataError extends SwitchyardError {
  constructor(
    readonly block: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`${block}: ${reason}`, options);
  }
}

/** The caller passed something other than bytes. */
export class InvalidProvenanceInputError extends SwitchyardError {
  constructor(received: string) {
    super(`readProvenance expects a Uint8Array, got ${received}`);
  }
}
