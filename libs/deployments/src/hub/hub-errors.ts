import { SwitchyardError } from '@switchyard/shared';
import { DeploymentRequestError } from '../deployment-request-error';
import { DEPLOYABLE_TASKS, type DeployableTask } from '../tasks/deployment-task';

/** The Hub has no such model, or hides it as private from the credentials given. */
export class ModelNotFoundError extends DeploymentRequestError {
  constructor(
    readonly modelId: string,
    readonly withToken: boolean,
    readonly mayBePrivate: boolean,
  ) {
    const privately = withToken ? ' and hf_token cannot read it' : ': pass hf_token of an account that can read it';
    super('hf_model_id', `model "${modelId}" was not found on the Hub${mayBePrivate ? `, or it is private${privately}` : ''}`);
  }
}

/** The model is gated: it needs a token whose account was granted access. */
export class ModelGatedError extends DeploymentRequestError {
  constructor(
    readonly modelId: string,
    /** The model's page, where access is asked for. */
    readonly pageUrl: string,
    readonly withToken: boolean,
  ) {
    super(
      'hf_token',
      withToken
        ? `hf_token has no access to gated model "${modelId}": request access at ${pageUrl} with the token's account`
        : `model "${modelId}" is gated: accept its conditions at ${pageUrl} and pass hf_token of an account that has access`,
    );
  }
}

/** The Hub refused hf_token, or the token may not read the model. */
export class ModelAccessDeniedError extends DeploymentRequestError {
  constructor(
    readonly modelId: string,
    reason: string,
  ) {
    super('hf_token', `hf_token cannot be used for model "${modelId}": ${reason}`);
  }
}

/** The task asked for, or the model's own task, is not one a Switchyard endpoint serves. */
export class UnsupportedTaskError extends DeploymentRequestError {
  readonly supportedTasks: readonly DeployableTask[] = DEPLOYABLE_TASKS;

  constructor(
    field: 'task' | 'hf_model_id',
    /** The unsupported task, when there is one to name. */
    readonly task: string | undefined,
    reason: string,
  ) {
    super(field, `${reason}; supported tasks: ${DEPLOYABLE_TASKS.join(', ')}`);
  }
}

/** The task asked for is served, but the model does something else. */
export class TaskMismatchError extends DeploymentRequestError {
  constructor(
    readonly modelId: string,
    readonly requested: DeployableTask,
    readonly modelTask: string,
    readonly evidence: string,
  ) {
    super('task', `task "${requested}" does not fit model "${modelId}", a ${modelTask} model (from its ${evidence})`);
  }
}

/** The Hub could not be asked: a network failure, a timeout, or an answer of 429 or 5xx. Worth retrying. */
export class HubUnavailableError extends SwitchyardError {
  constructor(
    readonly modelId: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`the Hugging Face Hub could not be asked about "${modelId}": ${reason}`, options);
  }
}
