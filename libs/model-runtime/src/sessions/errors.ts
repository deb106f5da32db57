import { SwitchyardError } from '@switchyard/shared';

/** Base class of the failures of model sessions. */
export abstract class ModelSessionError extends SwitchyardError {}

/** An execution provider was requested that this onnxruntime-node build or installation cannot run. */
export class ExecutionProviderUnavailableError extends ModelSessionError {
  constructor(
    readonly provider: string,
    readonly reason: string,
  ) {
    super(`Execution provider "${provider}" is not available: ${reason}`);
  }
}

/** onnxruntime could not load the model file. */
export class ModelLoadError extends ModelSessionError {
  constructor(
    readonly model: string,
    cause: unknown,
  ) {
    super(`Could not load model "${model}": ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** The model's inputs or outputs differ from what the caller was written for. */
export class ModelSignatureMismatchError extends ModelSessionError {
  constructor(
    readonly model: string,
    readonly mismatches: readonly string[],
  ) {
    super(`Model "${model}" does not have the expected signature: ${mismatches.join('; ')}`);
  }
}

/** A warm-up cannot build a dummy value for an input (a non-tensor or 4-bit input, for instance). */
export class WarmUpUnsupportedError extends ModelSessionError {
  constructor(
    readonly model: string,
    readonly input: string,
    readonly reason: string,
  ) {
    super(`Cannot warm up model "${model}": input "${input}" ${reason}`);
  }
}

/** The inference pool was closed (its sessions released) before or while a request ran. */
export class InferencePoolClosedError extends ModelSessionError {
  constructor() {
    super('The inference pool is closed');
  }
}

/** An inference thread ended (a crash in native code, or running out of memory) while it had requests. */
export class InferenceThreadExitedError extends ModelSessionError {
  constructor(
    readonly thread: number,
    readonly exitCode: number,
  ) {
    super(`Inference thread ${thread} exited with code ${exitCode}; it is replaced on the next request`);
  }
}

/** A run was cut off through its `cutOff` signal: its thread is retired once the run returns, and a fresh one serves the next runs. */
export class InferenceRunCutOffError extends ModelSessionError {
  constructor(readonly thread: number) {
    super(`The run was cut off: inference thread ${thread} is retired and replaced`);
  }
}
