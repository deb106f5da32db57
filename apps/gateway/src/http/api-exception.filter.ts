import { ArgumentsHost, Catch, HttpException, NotFoundException, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@switchyard/shared';
import {
  ApiError,
  InvalidBodyError,
  InvalidJsonError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from './api-errors';

/** An error body in the shape one API's clients expect; `undefined` means an unexpected error (500). */
export type ErrorBodyWriter = (error: ApiError | undefined) => { status: number; body: unknown };

/** Switchyard's and RunPod's `{error, code, field?}`. */
export const writeApiErrorBody: ErrorBodyWriter = (error) =>
  error
    ? { status: error.status, body: { error: error.message, code: error.code, ...(error.field ? { field: error.field } : {}), ...error.details } }
    : { status: 500, body: { error: 'Internal server error', code: 'internal' } };

/** Fastify's body errors, by their codes, as the API's own error types. */
const FASTIFY_ERRORS: Record<string, (message: string) => ApiError> = {
  FST_ERR_CTP_INVALID_JSON_BODY: () => new InvalidJsonError(),
  FST_ERR_CTP_EMPTY_JSON_BODY: (message) => new InvalidJsonError(message),
  FST_ERR_CTP_BODY_TOO_LARGE: (message) => new PayloadTooLargeError(message),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (message) => new UnsupportedMediaTypeError(message),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: (message) => new InvalidBodyError(message),
};

/** The API error an error stands for, by its type (never by its message); undefined when unexpected. */
export function toApiError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  const message = error instanceof Error ? error.message : 'Bad request';
  // Nest's Fastify adapter wraps Fastify's client errors in an HttpException, keeping the original as the cause.
  const fastifyCode = [error, (error as { cause?: unknown } | null)?.cause]
    .map((candidate) => (candidate as { code?: unknown } | null)?.code)
    .find((code) => typeof code === 'string');
  if (typeof fastifyCode === 'string' && FASTIFY_ERRORS[fastifyCode]) return FASTIFY_ERRORS[fastifyCode](message);
  if (error instanceof NotFoundException) return new NotFoundError('Route');
  const status = error instanceof HttpException ? error.getStatus() : (error as { statusCode?: unknown } | null)?.statusCode;
  if (status === 405) return new MethodNotAllowedError(message);
  if (typeof status === 'number' && status >= 400 && status < 500) return new ApiError(status, 'bad_request', message);
  return undefined;
}

/**
 * Maps every error to the error shape of the API its route belongs to, once, here: the body
 * writer of the longest matching path prefix, else Switchyard's own. Unexpected errors are logged
 * and answered as 500 without details.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(
    private readonly logger: Logger,
    private readonly writers: Readonly<Record<string, ErrorBodyWriter>> = {},
  ) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const apiError = toApiError(error);
    if (!apiError) this.logger.error({ err: error }, 'unhandled error');
    const { status, body } = this.writerFor(http.getRequest<FastifyRequest>().url)(apiError);
    reply
      .headers(apiError?.headers ?? {})
      .status(status)
      .send(body);
  }

  private writerFor(url: string): ErrorBodyWriter {
    const prefix = Object.keys(this.writers)
      .filter((candidate) => url.startsWith(candidate))
      .sort((a, b) => b.length - a.length)[0];
    return prefix ? this.writers[prefix] : writeApiErrorBody;
  }
}
