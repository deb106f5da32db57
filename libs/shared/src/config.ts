import { z } from 'zod';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Parses an app's environment once, at start-up, into a typed object. Every problem is listed
 * with the variable at fault, so a misconfigured deployment fails fast and says why.
 */
export function parseConfig<Schema extends z.ZodType>(appName: string, schema: Schema, env: NodeJS.ProcessEnv = process.env): z.infer<Schema> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(environment)'}: ${issue.message}`);
  throw new ConfigError(`${appName}: invalid configuration\n${problems.join('\n')}`);
}

/** An empty variable reads as unset (Kubernetes ConfigMaps and compose files write unset values as ""). */
export const emptyAsUnset = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === '' ? undefined : value), schema);

/** Reusable environment variable parsers. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  boolean: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(fallback ? 'true' : 'false')
      .transform((value) => value === 'true' || value === '1' || value === 'yes'),
  url: (protocols: string[]) =>
    z.string().refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      `must be a URL with protocol ${protocols.join(' or ')}`,
    ),
  list: () =>
    z
      .string()
      .default('')
      .transform((value) =>
        value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean),
      ),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  /** `key=value,key=value` as a record. */
  keyValues: () =>
    z
      .string()
      .default('')
      .transform((value, ctx) => {
        const pairs: Record<string, string> = {};
        for (const item of value
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean)) {
          const [key, target, ...rest] = item.split('=');
          if (!key || !target || rest.length) ctx.addIssue({ code: 'custom', message: `"${item}" is not key=value` });
          else pairs[key] = target;
        }
        return pairs;
      }),
  /** `key=count,…` as a record of positive integers; `what` says what a count is, for the error. */
  keyCounts: (what: string) =>
    env.keyValues().pipe(
      z.record(
        z.string(),
        z
          .string()
          .regex(/^[1-9]\d*$/, `${what} must be a positive integer`)
          .transform(Number),
      ),
    ),
};

/** JOB_SECRETS_KEY: 32 bytes, base64; seals callers' secrets (s3Config) for the workers. */
export const jobSecretsKeySchema = emptyAsUnset(
  z
    .string()
    .transform((value, ctx) => {
      const key = Buffer.from(value, 'base64');
      if (key.length !== 32) ctx.addIssue({ code: 'custom', message: 'must be 32 bytes in base64 (openssl rand -base64 32)' });
      return key;
    })
    .optional(),
);

/** Settings every app shares: where Redis is and how keys are prefixed. */
export const redisConfigSchema = z.object({
  REDIS_URL: env.url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  REDIS_PREFIX: z
    .string()
    .regex(/^[^:\s{}]+$/, 'must not contain ":", braces or spaces (each queue adds its own hash tag)')
    .default('sy'),
});
