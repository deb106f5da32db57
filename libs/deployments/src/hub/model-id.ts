import { DeploymentRequestError } from '../deployment-request-error';

/** `hf_model_id` is not a Hub repo id of the form `owner/name`. */
export class InvalidModelIdError extends DeploymentRequestError {
  constructor(
    readonly modelId: string,
    reason: string,
  ) {
    super('hf_model_id', `hf_model_id "${modelId}" is not a Hugging Face model id (owner/name): ${reason}`);
  }
}

const MAX_REPO_ID_LENGTH = 96;
// The Hub's rule (huggingface_hub's validate_repo_id): letters, digits, `_`, `-` and `.`, starting and ending with a letter, digit or `_`.
const SEGMENT = /^\w(?:[\w.-]*\w)?$/;

/** The id, if the Hub could have such a repo; throws InvalidModelIdError saying why not. */
export function assertValidModelId(modelId: string): string {
  const segments = modelId.split('/');
  if (segments.length !== 2) throw new InvalidModelIdError(modelId, 'it needs exactly one "/" between the owner and the name');
  if (modelId.length > MAX_REPO_ID_LENGTH) throw new InvalidModelIdError(modelId, `it is longer than ${MAX_REPO_ID_LENGTH} characters`);
  if (!segments.every((segment) => SEGMENT.test(segment))) {
    throw new InvalidModelIdError(modelId, 'owner and name take letters, digits, "_", "-" and ".", and start and end with a letter, digit or "_"');
  }
  if (modelId.includes('--') || modelId.includes('..')) throw new InvalidModelIdError(modelId, 'it may not contain "--" or ".."');
  if (modelId.endsWith('.git')) throw new InvalidModelIdError(modelId, 'it may not end with ".git"');
  return modelId;
}
