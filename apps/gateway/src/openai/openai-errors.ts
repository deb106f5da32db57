import { ApiError, LoadSheddingError } from '../http/api-errors';
import type { ErrorBodyWriter } from '../http/api-exception.filter';

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

/** OpenAI's error types and codes for the statuses the gateway answers with. */
function typeAndCode(status: number): { type: string; code: string | null } {
  if (status === 401) return { type: 'invalid_request_error', code: 'invalid_api_key' };
  if (status === 404) return { type: 'invalid_request_error', code: 'not_found' };
  if (status >= 500) return { type: 'server_error', code: null };
  return { type: 'invalid_request_error', code: null };
}

/** The parameter an error of the gateway's own validation is about, in OpenAI's terms. */
function paramOf(field: string | undefined): string | null {
  return !field || field === 'authorization' || field === 'body' ? null : field;
}

/**
 * Errors of the OpenAI-compatible routes in OpenAI's shape, so its clients raise the error classes
 * they know (BadRequestError, AuthenticationError, NotFoundError, RateLimitError…). Load the
 * platform sheds, for whatever reason, is OpenAI's 429 `rate_limit_exceeded`, which the clients
 * retry after `retry-after`.
 */
export const writeOpenAiErrorBody: ErrorBodyWriter = (error) => {
  const body = (status: number, message: string, type: string, param: string | null, code: string | null) => ({
    status,
    body: { error: { message, type, param, code } } satisfies OpenAiErrorBody,
  });
  if (!error) return body(500, 'Internal server error', 'server_error', null, null);
  if (error instanceof OpenAiError) return body(error.status, error.message, error.type, error.param, error.code || null);
  if (error instanceof LoadSheddingError) return body(429, error.message, 'requests', null, 'rate_limit_exceeded');
  const { type, code } = typeAndCode(error.status);
  return body(error.status, error.message, type, paramOf(error.field), code);
};
