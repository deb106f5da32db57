import { JOB_STATUSES } from '@switchyard/shared';
import { z } from 'zod';

// The answers of RunPod's serverless job API (see reference.md). Unknown fields are dropped: RunPod
// adds fields over time (workerId, retries…), and only these are acted on.

const jobStatusSchema = z.enum(JOB_STATUSES);
const millisSchema = z.number().nonnegative();
const countSchema = z.number().int().nonnegative();

export const runAnswerSchema = z.object({ id: z.string().min(1), status: jobStatusSchema });

export const statusAnswerSchema = z.object({
  id: z.string().min(1).optional(),
  status: jobStatusSchema,
  delayTime: millisSchema.optional(),
  executionTime: millisSchema.optional(),
  output: z.unknown().optional(),
  error: z.unknown().optional(),
});

export const streamAnswerSchema = z.object({
  status: jobStatusSchema,
  // RunPod leaves `stream` out of some answers with nothing to drain.
  stream: z.array(z.object({ output: z.unknown() })).default([]),
});

export const cancelAnswerSchema = z.object({ id: z.string().min(1).optional(), status: jobStatusSchema });

export const healthAnswerSchema = z.object({
  jobs: z.object({
    completed: countSchema.optional(),
    failed: countSchema.optional(),
    inProgress: countSchema,
    inQueue: countSchema,
    retried: countSchema.optional(),
  }),
  workers: z.object({ idle: countSchema, running: countSchema }),
});

export type RunAnswer = z.infer<typeof runAnswerSchema>;
export type StatusAnswer = z.infer<typeof statusAnswerSchema>;
export type StreamAnswer = z.infer<typeof streamAnswerSchema>;
export type CancelAnswer = z.infer<typeof cancelAnswerSchema>;
export type HealthAnswer = z.infer<typeof healthAnswerSchema>;

/** What the RunPod API took from a job's `policy` (milliseconds, camelCase as RunPod reads them). */
export interface RunPodJobPolicy {
  executionTimeout?: number;
  ttl?: number;
  lowPriority?: boolean;
}

/** The first problems zod found, as `path: message`, for an error message. */
export function describeSchemaProblems(error: z.ZodError, maxProblems = 3): string {
  const problems = error.issues.slice(0, maxProblems).map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  const more = error.issues.length - problems.length;
  return problems.join('; ') + (more > 0 ? `; and ${more} more` : '');
}
