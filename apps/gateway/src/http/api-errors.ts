/**
 * Every error the API answers with. The filter turns them into `{error, code, field?}` with the
 * status below; messages never carry secrets.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
    /** Extra members of the error body, e.g. the seeds' `received_keys`/`expected_keys`. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export class ValidationError extends ApiError {
  /** With `details` (a contract's own error shape), the message is kept exactly as the contract wrote it. */
  constructor(field: string, message: string, details: Record<string, unknown> = {}) {
    super(400, 'invalid_request', Object.keys(details).length ? message : `${field}: ${message}`, field, {}, details);
  }
}

export class NotFoundError extends ApiError {
  constructor(what: string, field: string) {
    super(404, 'not_found', `${what} not found`, field);
  }
}

export class ConflictError extends ApiError {
  constructor(message: string, field?: string) {
    super(409, 'conflict', message, field);
  }
}

export class UnauthorizedError extends ApiError {
  constructor(message: string) {
    super(401, 'unauthorized', message, 'authorization', { 'www-authenticate': 'Bearer' });
  }
}

export class RateLimitedError extends ApiError {
  constructor(retryAfterSeconds: number, limit: number) {
    super(429, 'rate_limited', `Rate limit of ${limit} requests per 10 s exceeded; retry after ${retryAfterSeconds} s`, undefined, {
      'retry-after': String(retryAfterSeconds),
    });
  }
}

export class ServiceUnavailableError extends ApiError {
  constructor(message: string) {
    super(503, 'unavailable', message);
  }
}
