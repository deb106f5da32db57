import { ApiError } from '../http/api-errors';

/** OpenAI's error body: `{error: {message, type, param, code}}`. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** An error already phrased as OpenAI phrases it (its `type`, `param` and `code`). */
export class OpenAiError extends ApiError {
  constructor(
    status: number,
    readonly type: string,
    message: string,
    readonly param: string | null = null,
    code: string | null = null,
  ) {
    super(status, code ?? '', message, param ?? undefined);
  }
}

export class ModelNotFoundError extends OpenAiError {
  constructor(model: string) {
    super(404, 'invalid_request_error', `The model \`${model}\` does not exist`, 'model', 'model_not_found');
  }
}

export class InvalidEmbeddingsRequestError extends OpenAiError {
  constructor(param: string | null, message: string) {
    super(400, 'invalid_request_error', message, param, null);
  }
}

/** The embedding job could not produce vectors: the input's fault (400) or the worker's (500). */
export class EmbeddingJobError extends OpenAiError {}
