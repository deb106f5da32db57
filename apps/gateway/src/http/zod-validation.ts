import type { z } from 'zod';
import { ValidationError } from './api-errors';

/**
 * Parses a value with a zod schema; the first issue becomes a 400 naming the field at fault. A
 * custom issue's `params` are added to the error body, so a contract can keep a seed's error shape.
 */
export function parseOrThrow<Schema extends z.ZodType>(schema: Schema, value: unknown, root: string): z.infer<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = [root, ...issue.path.map(String)].filter(Boolean).join('.');
  const details = issue.code === 'custom' && issue.params ? issue.params : {};
  throw new ValidationError(field || root, issue.message, details);
}
