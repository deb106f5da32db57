import { z } from 'zod';

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;

/** RunPod's defaults and the bounds we accept; values are milliseconds, as in RunPod's API. */
export const POLICY_LIMITS = {
  executionTimeout: { min: 1 * SECOND, max: 7 * DAY, default: 600 * SECOND },
  ttl: { min: 10 * SECOND, max: 7 * DAY, default: 1 * DAY },
} as const;

const boundedMillis = (limits: { min: number; max: number }) => z.number().int().min(limits.min).max(limits.max);

export const jobPolicySchema = z
  .object({
    executionTimeout: boundedMillis(POLICY_LIMITS.executionTimeout).optional(),
    ttl: boundedMillis(POLICY_LIMITS.ttl).optional(),
    lowPriority: z.boolean().optional(),
  })
  .strict();

export interface JobPolicy {
  executionTimeout: number;
  ttl: number;
  lowPriority: boolean;
}

export function resolvePolicy(requested: z.infer<typeof jobPolicySchema> | undefined): JobPolicy {
  return {
    executionTimeout: requested?.executionTimeout ?? POLICY_LIMITS.executionTimeout.default,
    ttl: requested?.ttl ?? POLICY_LIMITS.ttl.default,
    lowPriority: requested?.lowPriority ?? false,
  };
}
