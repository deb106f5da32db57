import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { emptyAsUnset } from '@switchyard/shared';
import { unappliedProviderOptions, type ModelSessionsOptions } from './sessions/session-options';
import { DEFAULT_HUB_URL } from './store/hub-model-source';
import type { ModelStoreOptions } from './store/model-store';

export interface ModelRuntimeConfig {
  store: ModelStoreOptions;
  sessions: ModelSessionsOptions;
  /** The cores the process may use, as Node sees them (os.availableParallelism). */
  cores: number;
}

export class ModelRuntimeConfigError extends Error {
  constructor(readonly issues: string) {
    super(`Invalid model runtime configuration:\n${issues}`);
    this.name = 'ModelRuntimeConfigError';
  }
}

// Compose files and shells often set variables to an empty string to mean "unset".
const httpUrl = () => z.url({ protocol: /^https?$/ });

const envSchema = z.object({
  MODEL_DIR: emptyAsUnset(z.string().optional()),
  MODEL_CACHE_DIR: emptyAsUnset(z.string().default('.switchyard/models')),
  HF_ENDPOINT: emptyAsUnset(httpUrl().default(DEFAULT_HUB_URL)),
  HF_TOKEN: emptyAsUnset(z.string().startsWith('hf_', 'a Hugging Face token starts with "hf_"').optional()),
  HF_HUB_OFFLINE: emptyAsUnset(z.stringbool().default(false)),
  MODEL_S3_BUCKET: emptyAsUnset(z.string().optional()),
  MODEL_S3_PREFIX: emptyAsUnset(z.string().default('models')),
  S3_ENDPOINT: emptyAsUnset(httpUrl().optional()),
  S3_REGION: emptyAsUnset(z.string().default('us-east-1')),
  MODEL_EXECUTION_PROVIDERS: emptyAsUnset(z.string().default('cpu')),
  MODEL_INFERENCE_THREADS: emptyAsUnset(z.coerce.number().int().min(0).optional()),
  MODEL_INTRA_OP_THREADS: emptyAsUnset(z.coerce.number().int().positive().optional()),
  MODEL_INTER_OP_THREADS: emptyAsUnset(z.coerce.number().int().positive().optional()),
  MODEL_GRAPH_OPTIMIZATION: emptyAsUnset(z.enum(['disabled', 'basic', 'extended', 'all']).optional()),
  MODEL_THREAD_SPINNING: emptyAsUnset(z.stringbool().default(false)),
  MODEL_CUDA_DEVICE_ID: emptyAsUnset(z.coerce.number().int().min(0).optional()),
  MODEL_CUDA_GPU_MEM_LIMIT: emptyAsUnset(z.coerce.number().int().positive().optional()),
  MODEL_CUDA_ARENA_EXTEND_STRATEGY: emptyAsUnset(z.enum(['kNextPowerOfTwo', 'kSameAsRequested']).optional()),
});

/**
 * Inference threads when MODEL_INFERENCE_THREADS is unset: one per four cores, at least one, so
 * that each thread's operators still get several cores (one thread on two cores).
 */
export const defaultInferenceThreads = (cores: number) => Math.max(1, Math.floor(cores / 4));

// Parsed on its own so that its rule is reported together with any problem of the other variables.
const credentialsSchema = z
  .object({ AWS_ACCESS_KEY_ID: emptyAsUnset(z.string().optional()), AWS_SECRET_ACCESS_KEY: emptyAsUnset(z.string().optional()) })
  .refine((env) => (env.AWS_ACCESS_KEY_ID === undefined) === (env.AWS_SECRET_ACCESS_KEY === undefined), {
    message: 'set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither (to use the AWS default credential chain)',
    path: ['AWS_SECRET_ACCESS_KEY'],
  });

/**
 * Reads the model runtime's settings from the environment, once, into typed options:
 * MODEL_DIR, MODEL_CACHE_DIR (default `.switchyard/models`), HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE,
 * MODEL_S3_BUCKET (turns the S3 cache on), MODEL_S3_PREFIX, S3_ENDPOINT, S3_REGION,
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, MODEL_EXECUTION_PROVIDERS (comma-separated, default `cpu`),
 * MODEL_INFERENCE_THREADS (default one per four cores, 0 runs models on the event loop),
 * MODEL_INTRA_OP_THREADS (default: the cores shared among the inference threads),
 * MODEL_INTER_OP_THREADS, MODEL_GRAPH_OPTIMIZATION, MODEL_THREAD_SPINNING (default off), MODEL_CUDA_DEVICE_ID, MODEL_CUDA_GPU_MEM_LIMIT,
 * MODEL_CUDA_ARENA_EXTEND_STRATEGY. Relative paths are resolved against `cwd`.
 */
export function loadModelRuntimeConfig(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string = process.cwd(),
  cores: number = availableParallelism(),
): ModelRuntimeConfig {
  const parsed = envSchema.safeParse(env);
  const parsedCredentials = credentialsSchema.safeParse(env);
  if (!parsed.success || !parsedCredentials.success) {
    const issues = [...(parsed.error?.issues ?? []), ...(parsedCredentials.error?.issues ?? [])];
    throw new ModelRuntimeConfigError(z.prettifyError(new z.ZodError(issues)));
  }
  const values = parsed.data;
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = parsedCredentials.data;
  const credentials = accessKeyId !== undefined && secretAccessKey !== undefined ? { accessKeyId, secretAccessKey } : undefined;
  const inferenceThreads = values.MODEL_INFERENCE_THREADS ?? defaultInferenceThreads(cores);
  const cuda = {
    ...(values.MODEL_CUDA_DEVICE_ID !== undefined && { deviceId: values.MODEL_CUDA_DEVICE_ID }),
    ...(values.MODEL_CUDA_GPU_MEM_LIMIT !== undefined && { gpuMemLimit: values.MODEL_CUDA_GPU_MEM_LIMIT }),
    ...(values.MODEL_CUDA_ARENA_EXTEND_STRATEGY !== undefined && { arenaExtendStrategy: values.MODEL_CUDA_ARENA_EXTEND_STRATEGY }),
  };

  return {
    store: {
      cacheDir: resolve(cwd, values.MODEL_CACHE_DIR),
      modelDir: values.MODEL_DIR === undefined ? undefined : resolve(cwd, values.MODEL_DIR),
      hub: { url: values.HF_ENDPOINT, accessToken: values.HF_TOKEN },
      offline: values.HF_HUB_OFFLINE,
      s3:
        values.MODEL_S3_BUCKET === undefined
          ? undefined
          : {
              bucket: values.MODEL_S3_BUCKET,
              prefix: values.MODEL_S3_PREFIX,
              endpoint: values.S3_ENDPOINT,
              region: values.S3_REGION,
              credentials,
              // Custom endpoints (MinIO, s3rver, R2) are addressed path-style; AWS itself virtual-host style.
              forcePathStyle: values.S3_ENDPOINT !== undefined,
            },
    },
    sessions: {
      executionProviders: values.MODEL_EXECUTION_PROVIDERS.split(',')
        .map((name) => name.trim())
        .filter(Boolean),
      ...(Object.keys(cuda).length > 0 && { cuda }),
      inferenceThreads,
      // onnxruntime's own default is a thread per core for every session, which threads running at once would oversubscribe.
      intraOpNumThreads: values.MODEL_INTRA_OP_THREADS ?? (inferenceThreads > 0 ? Math.max(1, Math.floor(cores / inferenceThreads)) : undefined),
      interOpNumThreads: values.MODEL_INTER_OP_THREADS,
      graphOptimizationLevel: values.MODEL_GRAPH_OPTIMIZATION,
      threadSpinning: values.MODEL_THREAD_SPINNING,
    },
    cores,
  };
}

/**
 * What a worker should say at start-up about its session settings: more CPU threads than cores
 * (inference threads × intra-op threads, or × inter-op threads where those run in parallel), and
 * provider options this onnxruntime-node build ignores. Warnings, not errors: oversubscription
 * slows runs down but computes the same results, the cores a container may use are often fewer
 * or more than Node can see (a CPU quota is not an affinity mask), and on a GPU node the CPU
 * threads mostly wait for the device.
 */
export function sessionStartupWarnings(config: Pick<ModelRuntimeConfig, 'sessions' | 'cores'>): string[] {
  const { sessions, cores } = config;
  const warnings: string[] = [];
  const threads = Math.max(1, sessions.inferenceThreads ?? 0);
  const perSession = (sessions.intraOpNumThreads ?? cores) * Math.max(1, sessions.interOpNumThreads ?? 1);
  if (threads * perSession > cores) {
    warnings.push(
      `${threads} inference thread(s) × ${perSession} onnxruntime thread(s) each is ${threads * perSession}, more than the ${cores} cores available: ` +
        'runs compete for the cores; lower MODEL_INFERENCE_THREADS or MODEL_INTRA_OP_THREADS',
    );
  }
  const unapplied = unappliedProviderOptions(sessions);
  if (unapplied.length > 0) {
    warnings.push(`onnxruntime-node passes only device_id to the CUDA provider; ${unapplied.join(' and ')} are not applied`);
  }
  return warnings;
}

/** Execution providers that run models on an accelerator rather than the CPU. */
const ACCELERATOR_PROVIDERS = new Set(['cuda', 'tensorrt', 'dml', 'webgpu', 'coreml', 'rocm', 'migraphx', 'openvino', 'qnn']);

/** Whether models configured with these providers (in order of preference) run on a GPU or other accelerator. */
export function usesGpu(executionProviders: readonly string[]): boolean {
  return executionProviders.length > 0 && ACCELERATOR_PROVIDERS.has(executionProviders[0]);
}
