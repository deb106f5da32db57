import { SwitchyardError } from '@switchyard/shared';

/**
 * Every error the API answers with. The filter writes them in the shape of the route's API, with
 * the status below; messages never carry secrets.
 */
export class ApiError extends SwitchyardError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
    /** Extra members of the error body, e.g. the seeds' `received_keys`/`expected_keys`. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message, { code });
  }
}

export class ValidationError extends ApiError {
  /** With `details` (a contract's own error shape), the message is kept exactly as the contract wrote it. */
  constructor(field: string, message: string, details: Record<string, unknown> = {}) {
    super(400, 'invalid_request', Object.keys(details).length ? message : `${field}: ${message}`, field, {}, details);
  }
}

/** A value past one of the JSON shape limits (depth, keys, string length) or holding text that cannot be stored. */
export class JsonShapeError extends ApiError {
  constructor(field: string, message: string, limit: string) {
    super(400, 'invalid_request', `${field}: ${message}`, field, {}, { limit });
  }
}

export class InvalidJsonError extends ApiError {
  constructor(message = 'The body is not valid JSON') {
    super(400, 'invalid_json', message, 'body');
  }
}

/** Something about the body other than its JSON (an empty body, a bad Content-Length). */
export class InvalidBodyError extends ApiError {
  constructor(message: string) {
    super(400, 'bad_request', message, 'body');
  }
}

export class NotFoundError extends ApiError {
  constructor(what: string, field?: string) {
    super(404, 'not_found', `${what} not found`, field);
  }
}

export class MethodNotAllowedError extends ApiError {
  constructor(message: string) {
    super(405, 'method_not_allowed', message);
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

export class PayloadTooLargeError extends ApiError {
  constructor(message: string) {
    super(413, 'payload_too_large', message, 'body');
  }
}

export class UnsupportedMediaTypeError extends ApiError {
  constructor(message: string) {
    super(415, 'unsupported_media_type', message, 'body');
  }
}

/** Load the platform declines: the client should come back after `retryAfterSeconds`. */
export abstract class LoadSheddingError extends ApiError {
  protected constructor(status: number, code: string, message: string, retryAfterSeconds: number) {
    super(status, code, message, undefined, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
  }
}

export class RateLimitedError extends LoadSheddingError {
  constructor(retryAfterSeconds: number, limit: number, of = 'requests') {
    super(429, 'rate_limited', `Rate limit of ${limit} ${of} per 10 s exceeded; retry after ${retryAfterSeconds} s`, retryAfterSeconds);
  }
}

/** The endpoint already holds its maximum of queued jobs. */
export class QueueFullError extends LoadSheddingError {
  constructor(endpointId: string, maxQueued: number, retryAfterSeconds: number) {
    super(429, 'queue_full', `Endpoint "${endpointId}" already has ${maxQueued} jobs queued; retry later`, retryAfterSeconds);
  }
}

/** A worker refused the job for lack of capacity (a full batch queue, say). */
export class OverloadedError extends LoadSheddingError {
  constructor(message: string, retryAfterSeconds: number) {
    super(503, 'overloaded', message, retryAfterSeconds);
  }
}

export class ServiceUnavailableError extends ApiError {
  constructor(message: string) {
    super(503, 'unavailable', message);
  }
}

/** The caller may not do this: its key's permissions do not cover the call, or a signed link is invalid. */
export class ForbiddenError extends ApiError {
  constructor(message: string, field = 'authorization') {
    super(403, 'forbidden', message, field);
  }
}
