import { hostname } from 'node:os';
import { z } from 'zod';
import { blobConfigShape, refineBlobConfig } from '@switchyard/blobs';
import { env, jobSecretsKeySchema, parseConfig, redisConfigSchema } from '@switchyard/shared';

export function loadWorkerConfig(
  appName: string,
  defaultQueues: string[],
  environment: NodeJS.ProcessEnv = process.env,
  defaultConcurrency = 8,
) {
  const schema = redisConfigSchema.extend({
    ...blobConfigShape,
    WORKER_QUEUES: env.list().transform((queues) => (queues.length ? queues : defaultQueues)),
    WORKER_CONCURRENCY: env.positiveInt(defaultConcurrency),
    WORKER_ID: z.string().min(1).default(`${appName}-${hostname()}-${process.pid}`),
    WORKER_STALLED_INTERVAL_MS: env.positiveInt(30_000),
    WORKER_LOCK_DURATION_MS: env.positiveInt(30_000),
    HEALTH_PORT: env.port(0),
    /** RunPod's `error_traceback` in failed jobs' errors; on by default only in development. */
    ERROR_TRACEBACKS: env.boolean(environment.NODE_ENV === 'development'),
    /** Opens the s3Config secrets the gateway sealed (the gateway's JOB_SECRETS_KEY). */
    JOB_SECRETS_KEY: jobSecretsKeySchema,
    S3CONFIG_ALLOW_PRIVATE: env.boolean(false),
    LOG_LEVEL: env.logLevel(),
  }).superRefine(refineBlobConfig);
  return parseConfig(appName, schema, environment);
}

export type WorkerConfig = ReturnType<typeof loadWorkerConfig>;
