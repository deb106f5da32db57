import type { z } from 'zod';
import { findJsonShapeViolation, type JsonShapeLimits } from '@switchyard/shared';
import { JsonShapeError, ValidationError } from './api-errors';

/** A field as the API's errors name it: `input.texts.2`. */
export function fieldPath(root: string, path: readonly PropertyKey[]): string {
  return [root, ...path.map(String)].filter(Boolean).join('.');
}

/**
 * Parses a value with a zod schema; the first issue becomes a 400 naming the field at fault. A
 * custom issue's `params` are added to the error body, so a contract can keep a seed's error shape.
 */
export function parseOrThrow<Schema extends z.ZodType>(schema: Schema, value: unknown, root: string): z.infer<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = fieldPath(root, issue.path);
  const details = issue.code === 'custom' && issue.params ? issue.params : {};
  throw new ValidationError(field || root, issue.message, details);
}

/** Refuses a value past `limits` (depth, keys, string length) or holding text Postgres cannot store, naming the limit and where. */
export function checkJsonShape(value: unknown, limits: JsonShapeLimits, root: string): void {
  const violation = findJsonShapeViolation(value, limits);
  if (violation) throw new JsonShapeError(fieldPath(root, violation.path) || root, violation.message, violation.limit);
}
