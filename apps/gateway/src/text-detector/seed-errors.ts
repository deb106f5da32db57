import { ValidationError } from '../http/api-errors';
import type { ErrorBodyWriter } from '../http/api-exception.filter';

/**
 * The seed's FastAPI error shapes: a validation problem is 422 `{detail: [{loc, msg, type}]}`,
 * anything else `{detail: message}` with its status.
 */
export const writeSeedErrorBody: ErrorBodyWriter = (error) => {
  if (!error) return { status: 500, body: { detail: 'Internal server error' } };
  if (error instanceof ValidationError) {
    const field = error.field ?? '';
    const message = error.message.startsWith(`${field}: `) ? error.message.slice(field.length + 2) : error.message;
    return { status: 422, body: { detail: [{ loc: ['body', ...field.split('.').filter(Boolean)], msg: message, type: 'value_error' }] } };
  }
  return { status: error.status, body: { detail: error.message } };
};
