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
    // RunPod's s3Config: the endpoint's file outputs are uploaded to the caller's bucket.
    s3Config: z
      .object({
        accessId: z.string().min(1).max(256),
        accessSecret: z.string().min(1).max(1024),
        bucketName: z.string().min(3).max(63),
        endpointUrl: z.string().min(1).max(2048),
      })
      .strict()
      .optional(),
    /** Switchyard's: the backend to try first (local, remote; modal is remote), on an endpoint with routing. */
    prefer_backend: z.string().min(1).max(32).optional(),
  })
  .strict();

export type RunRequest = z.infer<typeof runRequestSchema>;

/** How a status answers an output held as a blob: inline (RunPod's way, the default) or as a signed link. */
export const outputQuerySchema = z.object({ output: z.enum(['inline', 'url']).default('inline') });

export const waitQuerySchema = z.object({
  wait: z.coerce.number().int().min(WAIT_LIMITS.min).max(WAIT_LIMITS.max).default(WAIT_LIMITS.default),
});

export const purgeQuerySchema = z.object({
  allProjects: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
});
