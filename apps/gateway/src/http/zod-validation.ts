import type { z } from 'zod';
import type { JsonShapeViolation } from '@switchyard/shared';
import { JsonShapeError, ValidationError } from './api-errors';

/** A field as the API's errors name it: `input.texts.2`. */
export function fieldPath(root: string, path: readonly PropertyKey[]): string {
  return [root, ...path.map(String)].filter(Boolean).join('.');
}

/**
 * A zod issue as a 400 naming the field at fault. A custom issue's `params` are added to the error
 * body, so a contract can keep a seed's error shape.
 */
export function validationError(issue: z.core.$ZodIssue, root: string): ValidationError {
  // An unknown field is named itself, not the object holding it.
  const field = fieldPath(root, issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path);
  const details = issue.code === 'custom' && issue.params ? issue.params : {};
  return new ValidationError(field || root, issue.message, details);
}

/** A value past a JSON shape limit (depth, keys, string length) or holding text Postgres cannot store, as a 400 naming the limit and where. */
export function jsonShapeError(violation: JsonShapeViolation, root: string): JsonShapeError {
  return new JsonShapeError(fieldPath(root, violation.path) || root, violation.message, violation.limit);
}

/** Parses a value with a zod schema; the first issue becomes a 400 naming the field at fault. */
export function parseOrThrow<Schema extends z.ZodType>(schema: Schema, value: unknown, root: string): z.infer<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw validationError(result.error.issues[0], root);
}
