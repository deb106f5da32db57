import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Logger } from '@switchyard/shared';
import { ApiError } from './api-errors';

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
      return { status: error.status, body: { error: error.message, code: error.code, ...(error.field ? { field: error.field } : {}) }, headers: error.headers };
    }
    const fastifyError = error as { statusCode?: number; code?: string; message?: string };
    if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return { status: 413, body: { error: 'Request body is larger than this route accepts', code: 'payload_too_large', field: 'body' }, headers: {} };
    }
    if (fastifyError.code?.startsWith('FST_ERR_CTP') || (error instanceof SyntaxError && fastifyError.statusCode === 400)) {
      return { status: fastifyError.statusCode ?? 400, body: { error: `Body is not valid JSON: ${fastifyError.message}`, code: 'invalid_json', field: 'body' }, headers: {} };
    }
    if (error instanceof HttpException) {
      return { status: error.getStatus(), body: { error: error.message, code: 'http_error' }, headers: {} };
    }
    if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode < 500) {
      return { status: fastifyError.statusCode, body: { error: fastifyError.message ?? 'Bad request', code: 'bad_request' }, headers: {} };
    }
    this.logger.error({ err: error }, 'unhandled error');
    return { status: 500, body: { error: 'Internal server error', code: 'internal' }, headers: {} };
  }
}
