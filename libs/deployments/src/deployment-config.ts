import { z } from 'zod';
import { emptyAsUnset, env } from '@switchyard/shared';

const httpUrl = () => env.url(['http:', 'https:']);

/**
 * The deployment settings the gateway (which checks and accepts deployments) and the deployer
 * (which runs them) share: where RunPod and the Hub are, and the platform's shared model cache.
 */
export const deploymentConfigShape = {
  /** RunPod's REST v2 management API. */
  RUNPOD_REST_URL: httpUrl().default('https://api.runpod.io/v2'),
  /** RunPod's serverless job API, where deployed endpoints take jobs (`{url}/v2/{endpointId}/run`). */
  RUNPOD_JOB_API_URL: httpUrl().default('https://api.runpod.ai'),
  /** RunPod URLs on loopback or private addresses are refused unless this is set (a local RunPod stand-in). */
  RUNPOD_ALLOW_PRIVATE: env.boolean(false),
  HF_ENDPOINT: httpUrl().default('https://huggingface.co'),
  /** How long RunPod's GPU catalogue (prices, stock) is reused. */
  DEPLOYER_CATALOG_TTL_MS: env.positiveInt(5 * 60_000),
  /** The platform's model cache for `cache_scope: shared`: a bucket, read by deployed workers, for the listed models only. */
  DEPLOYER_SHARED_CACHE_BUCKET: emptyAsUnset(z.string().optional()),
  DEPLOYER_SHARED_CACHE_PREFIX: z.string().default('models'),
  DEPLOYER_SHARED_CACHE_ENDPOINT: emptyAsUnset(httpUrl().optional()),
  DEPLOYER_SHARED_CACHE_REGION: z.string().default('us-east-1'),
  /** Keys the deployed workers read the shared cache with: give read-only ones. */
  DEPLOYER_SHARED_CACHE_ACCESS_KEY_ID: emptyAsUnset(z.string().optional()),
  DEPLOYER_SHARED_CACHE_SECRET_ACCESS_KEY: emptyAsUnset(z.string().optional()),
  DEPLOYER_SHARED_CACHE_MODELS: env.list(),
};

export type DeploymentConfig = z.infer<z.ZodObject<typeof deploymentConfigShape>>;
