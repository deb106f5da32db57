import type { z } from 'zod';
import { findJsonShapeViolation, inputShapeLimits, type JsonShapeViolation, type QueueContract } from '@switchyard/shared';
import { jsonShapeError, validationError } from '../http/zod-validation';

/** What is wrong with a job's input: a JSON shape limit it breaks, or the first issue of its contract's schema. */
export type JobInputIssue = JsonShapeViolation | z.core.$ZodIssue;

/** Words an input issue as the error an API answers with. */
export type DescribeInputIssue = (issue: JobInputIssue) => Error;

/** The job API's own wording: a 400 naming the field under `input` (and the limit, for a shape limit). */
const describeAsJobApi: DescribeInputIssue = (issue) => ('code' in issue ? validationError(issue, 'input') : jsonShapeError(issue, 'input'));

/**
 * A job's input checked against its endpoint's contract: its JSON shape first, before anything
 * recursive reads it (text Postgres cannot store, U+0000 or unpaired surrogates, is refused there
 * too), then the contract's schema. Answers the parsed input; throws `describe(issue)`.
 */
export function checkedJobInput(contract: QueueContract, input: unknown, describe: DescribeInputIssue = describeAsJobApi): unknown {
  const violation = findJsonShapeViolation(input, inputShapeLimits(contract));
  if (violation) throw describe(violation);
  const parsed = contract.input.safeParse(input);
  if (!parsed.success) throw describe(parsed.error.issues[0]);
  return parsed.data;
}
