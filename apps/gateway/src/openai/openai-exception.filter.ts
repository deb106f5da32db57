import { ArgumentsHost, Catch, HttpException, Inject, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Logger } from '@switchyard/shared';
import { ApiError } from '../http/api-errors';
import { LOGGER } from '../infra/tokens';
import { OpenAiError, type OpenAiErrorBody } from './openai-errors';

/** OpenAI's error types and codes for the statuses the gateway answers with. */
function typeAndCode(status: number): { type: string; code: string | null } {
  if (status === 401) return { type: 'invalid_request_error', code: 'invalid_api_key' };
  if (status === 404) return { type: 'invalid_request_error', code: 'not_found' };
  if (status === 429) return { type: 'requests', code: 'rate_limit_exceeded' };
  if (status >= 500) return { type: 'server_error', code: null };
  return { type: 'invalid_request_error', code: null };
}

/** The parameter an error of the gateway's own validation is about, in OpenAI's terms. */
function paramOf(field: string | undefined): string | null {
  if (!field || field === 'authorization') return null;
  return field === 'body' ? null : field;
}

/**
 * Answers errors of the OpenAI-compatible routes in OpenAI's shape, so its clients raise the
 * error classes they know (BadRequestError, AuthenticationError, NotFoundError, RateLimitError…).
 */
@Catch()
export class OpenAiExceptionFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body, headers } = this.describe(error);
    reply.headers(headers).status(status).send(body);
  }

  private describe(error: unknown): { status: number; body: OpenAiErrorBody; headers: Record<string, string> } {
    if (error instanceof OpenAiError) {
      return { status: error.status, body: { error: { message: error.message, type: error.type, param: error.param, code: error.code || null } }, headers: error.headers };
    }
    if (error instanceof ApiError) {
      return { status: error.status, body: { error: { message: error.message, ...typeAndCode(error.status), param: paramOf(error.field) } }, headers: error.headers };
    }
    const status = error instanceof HttpException ? error.getStatus() : (error as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const message = error instanceof Error ? error.message : 'Bad request';
      return { status, body: { error: { message, ...typeAndCode(status), param: null } }, headers: {} };
    }
    this.logger.error({ err: error }, 'unhandled error');
    return { status: 500, body: { error: { message: 'Internal server error', type: 'server_error', param: null, code: null } }, headers: {} };
  }
}
