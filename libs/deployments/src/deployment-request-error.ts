import { SwitchyardError } from '@switchyard/shared';

/** The field of a deployment request that an error is about. */
export type DeploymentRequestField = 'hf_model_id' | 'hf_token' | 'task' | 'gpu_tier';

/** A deployment request that cannot be served as asked; `field` names the part to change. */
export abstract class DeploymentRequestError extends SwitchyardError {
  protected constructor(
    readonly field: DeploymentRequestField,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
