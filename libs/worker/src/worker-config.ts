import { hostname } from 'node:os';
import { z } from 'zod';
import { blobConfigShape, refineBlobConfig } from '@switchyard/blobs';
import { emptyAsUnset, env, jobSecretsKeySchema, parseConfig, redisConfigSchema, type QueueContract } from '@switchyard/shared';
import { runPodEnvironmentSchema } from './runpod/runpod-worker-protocol';

/** How a worker takes jobs: from the gateway's BullMQ queues, or as a RunPod serverless worker through RunPod's worker protocol. */
export const WORKER_MODES = ['bullmq', 'runpod'] as const;

export function loadWorkerConfig(appName: string, defaultQueues: string[], environment: NodeJS.ProcessEnv = process.env) {
  const schema = redisConfigSchema
    .extend({
      ...blobConfigShape,
      WORKER_MODE: z.enum(WORKER_MODES).default('bullmq'),
      WORKER_QUEUES: env.list().transform((queues) => (queues.length ? queues : defaultQueues)),
      /** Jobs run at once on every queue; unset, each queue's default (see queueConcurrency). */
      WORKER_CONCURRENCY: z.coerce.number().int().positive().optional(),
      /** `queue=n,…`: jobs run at once on the named queues, above WORKER_CONCURRENCY. */
      WORKER_QUEUE_CONCURRENCY: env.keyCounts('the jobs a queue runs at once'),
      WORKER_ID: z.string().min(1).default(`${appName}-${hostname()}-${process.pid}`),
      WORKER_STALLED_INTERVAL_MS: env.positiveInt(30_000),
      WORKER_LOCK_DURATION_MS: env.positiveInt(30_000),
      /** How long a cancelled or timed-out handler may take to stop before its model runs are cut off. */
      WORKER_ABORT_GRACE_MS: env.positiveInt(10_000),
      HEALTH_PORT: env.port(0),
      /** RunPod's `error_traceback` in failed jobs' errors; on by default only in development. */
      ERROR_TRACEBACKS: env.boolean(environment.NODE_ENV === 'development'),
      /** Opens the s3Config secrets the gateway sealed (the gateway's JOB_SECRETS_KEY). */
      JOB_SECRETS_KEY: jobSecretsKeySchema,
      S3CONFIG_ALLOW_PRIVATE: env.boolean(false),
      LOG_LEVEL: env.logLevel(),
      /** Set by the deployer on the workers of a deployment: where to say this worker is ready, and the secret that signs it. */
      SWITCHYARD_READY_URL: emptyAsUnset(env.url(['http:', 'https:']).optional()),
      SWITCHYARD_READY_SECRET: emptyAsUnset(z.string().min(1).optional()),
    })
    .superRefine(refineBlobConfig)
    .transform((config, context) => {
      if (config.WORKER_MODE === 'bullmq') return { ...config, runpod: undefined };
      // RunPod's RUNPOD_* variables are read only in RunPod mode, where they are all required.
      const runpod = runPodEnvironmentSchema.safeParse(environment);
      for (const issue of runpod.error?.issues ?? [])
        context.addIssue({ code: 'custom', path: issue.path, message: `${issue.message} (needed with WORKER_MODE=runpod)` });
      if (config.WORKER_QUEUES.length !== 1) {
        context.addIssue({
          code: 'custom',
          path: ['WORKER_QUEUES'],
          message: `must name exactly one queue with WORKER_MODE=runpod, as a RunPod endpoint's jobs carry no queue name (it names ${config.WORKER_QUEUES.join(', ') || 'none'})`,
        });
      }
      return runpod.success && config.WORKER_QUEUES.length === 1 ? { ...config, runpod: runpod.data } : z.NEVER;
    });
  return parseConfig(appName, schema, environment);
}

export type WorkerConfig = ReturnType<typeof loadWorkerConfig>;

export interface ConcurrencyDefaults {
  /** Jobs at once per queue on a CPU worker. */
  cpu: number;
  /** Whether this worker's models run on a GPU: each queue then defaults to its contract's gpuConcurrency, else 1. */
  onGpu: boolean;
}

/**
 * Jobs each queue runs at once: WORKER_QUEUE_CONCURRENCY, else WORKER_CONCURRENCY, else the
 * default for where the models run. On a GPU a job may hold the device for seconds, so a queue
 * runs one job at a time unless its contract says its jobs share the device (batching).
 */
export function queueConcurrency(config: WorkerConfig, contracts: readonly QueueContract[], defaults: ConcurrencyDefaults): Record<string, number> {
  const unknown = Object.keys(config.WORKER_QUEUE_CONCURRENCY).filter((queue) => !contracts.some((contract) => contract.queue === queue));
  if (unknown.length) throw new Error(`WORKER_QUEUE_CONCURRENCY names queues this worker does not serve: ${unknown.join(', ')}`);
  return Object.fromEntries(
    contracts.map((contract) => [
      contract.queue,
      config.WORKER_QUEUE_CONCURRENCY[contract.queue] ?? config.WORKER_CONCURRENCY ?? (defaults.onGpu ? (contract.gpuConcurrency ?? 1) : defaults.cpu),
    ]),
  );
}
