import { z } from 'zod';
import { jobPolicySchema } from '@switchyard/shared';

export const RUN_BODY_LIMIT_BYTES = 10 * 1024 * 1024;
export const RUNSYNC_BODY_LIMIT_BYTES = 20 * 1024 * 1024;

/** RunPod's wait bounds for runsync and status-sync, in ms. */
export const WAIT_LIMITS = { min: 1_000, max: 300_000, default: 90_000 } as const;

/** Results stay in the fast store this long after the job ends (RunPod's retention), then in Postgres until the TTL. */
export const RESULT_RETENTION_MS = { run: 30 * 60_000, runsync: 60_000 } as const;

export const runRequestSchema = z
  .object({
    input: z.record(z.string(), z.unknown(), { error: (issue) => (issue.input === undefined ? 'is required' : 'must be a JSON object') }),
    webhook: z.string().max(2048).optional(),
    policy: jobPolicySchema.optional(),
    // RunPod's s3Config (outputs written to the caller's bucket) is not implemented: refused rather
    // than silently ignored, so no client believes its output went to S3.
    s3Config: z.never({ error: 'is not supported: outputs are returned in the status object' }).optional(),
  })
  .strict();

export type RunRequest = z.infer<typeof runRequestSchema>;

export const waitQuerySchema = z.object({
  wait: z.coerce.number().int().min(WAIT_LIMITS.min).max(WAIT_LIMITS.max).default(WAIT_LIMITS.default),
});

export const purgeQuerySchema = z
  .object({ allProjects: z.enum(['true', 'false']).default('false').transform((value) => value === 'true') });
