import type { DeployOperation } from '@switchyard/shared';

/** The variable through which each worker app is told which model to serve, by the task it deploys for. */
const MODEL_VARIABLES: Readonly<Record<string, string>> = {
  'text-to-image': 'GENERATOR_MODEL_REPO',
  'feature-extraction': 'EMBEDDER_MINILM_REPO',
  'sentence-similarity': 'EMBEDDER_MINILM_REPO',
  'zero-shot-image-classification': 'EMBEDDER_CLIP_REPO',
  'image-classification': 'SPAI_REPO',
  'text-classification': 'TEXT_DETECTOR_DEFAULT_MODEL',
};

export interface WorkerSecrets {
  hfToken?: string;
  cacheAccessKeyId?: string;
  cacheSecretAccessKey?: string;
}

export interface WorkerEnvironmentSettings {
  /** Where the deployed worker reports its readiness: the gateway's `/v1/deployments/{id}/ready`. */
  readinessUrl: string;
  readinessSecret: string;
  logLevel?: string;
}

/**
 * The environment of a deployed worker container: what it serves and how (RunPod's worker
 * protocol), its model, the model cache and its readiness callback. Only what the worker needs:
 * the caller's RunPod key, the platform's secrets and other deployments' settings never go there.
 */
export function workerEnvironment(operation: DeployOperation, secrets: WorkerSecrets, settings: WorkerEnvironmentSettings): Record<string, string> {
  const modelVariable = MODEL_VARIABLES[operation.task];
  if (!modelVariable) throw new RangeError(`No worker serves the task "${operation.task}"`);
  const environment: Record<string, string> = {
    WORKER_MODE: 'runpod',
    WORKER_APP: operation.worker_app,
    WORKER_QUEUES: operation.endpoint,
    [modelVariable]: operation.model_id,
    SWITCHYARD_DEPLOYMENT_ID: operation.deployment_id,
    SWITCHYARD_READY_URL: settings.readinessUrl,
    SWITCHYARD_READY_SECRET: settings.readinessSecret,
    LOG_LEVEL: settings.logLevel ?? 'info',
  };
  if (secrets.hfToken) environment.HF_TOKEN = secrets.hfToken;
  const { cache } = operation;
  if (cache.scope !== 'off') {
    environment.MODEL_S3_BUCKET = cache.bucket;
    environment.MODEL_S3_PREFIX = cache.prefix;
    environment.S3_REGION = cache.region;
    if (cache.endpointUrl) environment.S3_ENDPOINT = cache.endpointUrl;
    if (secrets.cacheAccessKeyId && secrets.cacheSecretAccessKey) {
      environment.AWS_ACCESS_KEY_ID = secrets.cacheAccessKeyId;
      environment.AWS_SECRET_ACCESS_KEY = secrets.cacheSecretAccessKey;
    }
  }
  return environment;
}
