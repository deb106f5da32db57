import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Logger } from '@switchyard/shared';
import { ApiError } from './api-errors';

const CLIENT_ERROR_CODES: Record<number, string> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

/** Maps every error to one JSON shape, once, here. Unknown errors are logged and answered as 500. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body, headers } = this.describe(error);
    reply.headers(headers).status(status).send(body);
  }

  private describe(error: unknown): { status: number; body: Record<string, unknown>; headers: Record<string, string> } {
    if (error instanceof ApiError) {
      return { status: error.status, body: { error: error.message, code: error.code, ...(error.field ? { field: error.field } : {}), ...error.details }, headers: error.headers };
    }
    const status = error instanceof HttpException ? error.getStatus() : (error as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const message = error instanceof Error ? error.message : 'Bad request';
      const code = CLIENT_ERROR_CODES[status] ?? 'bad_request';
      const field = status === 413 || status === 415 || /json|body/i.test(message) ? 'body' : undefined;
      return { status, body: { error: message, code: /json/i.test(message) ? 'invalid_json' : code, ...(field ? { field } : {}) }, headers: {} };
    }
    this.logger.error({ err: error }, 'unhandled error');
    return { status: 500, body: { error: 'Internal server error', code: 'internal' }, headers: {} };
  }
}
