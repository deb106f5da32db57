import { SwitchyardError } from '@switchyard/shared';
import type { BackendName } from './backend-name';
import { describeRefusal, type RefusalReason } from './backend-availability';

/** The routing configuration is invalid; `problems` lists each one as `path: message`. */
export class RoutingConfigError extends SwitchyardError {
  constructor(readonly problems: readonly string[]) {
    super(`invalid routing configuration:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
  }
}

export interface SkippedBackend {
  backend: BackendName;
  reason: RefusalReason;
}

/** Every backend the model may use refused the request; `refusals` says why each did. */
export class NoBackendAvailableError extends SwitchyardError {
  constructor(
    readonly modelId: string,
    readonly refusals: readonly SkippedBackend[],
  ) {
    super(`no backend available for model "${modelId}": ${describeSkipped(refusals)}`);
  }
}

/** A request's `prefer_backend` names no backend the model may use. */
export class UnknownBackendError extends SwitchyardError {
  constructor(
    readonly requested: string,
    readonly modelId: string,
    readonly allowed: readonly BackendName[],
  ) {
    super(`prefer_backend "${requested}" is not a backend of model "${modelId}" (allowed: ${allowed.join(', ')})`);
  }
}

/** `remote: circuit open; local: no live workers` */
export function describeSkipped(skipped: readonly SkippedBackend[]): string {
  return skipped.map(({ backend, reason }) => `${backend}: ${describeRefusal(reason)}`).join('; ');
}
