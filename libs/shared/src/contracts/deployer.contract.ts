import { z } from 'zod';
import { QUEUES } from '../queues';
import { defineQueueContract } from './queue-contract';

/** The seed's deployment statuses, in the order a deployment goes through them. */
export const DEPLOYMENT_STATUSES = [
  'validating',
  'selecting_gpu',
  'creating_endpoint',
  'downloading_model',
  'loading_model',
  'ready',
  'failed',
  'deleting',
  'deleted',
  'webhook_failed',
] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

/** The phases whose durations are recorded: the statuses a deployment passes through on its way to `ready`. */
export const DEPLOYMENT_PHASES = ['validating', 'selecting_gpu', 'creating_endpoint', 'downloading_model', 'loading_model'] as const;
export type DeploymentPhase = (typeof DEPLOYMENT_PHASES)[number];

export const CACHE_SCOPES = ['off', 'shared', 'private'] as const;
export type CacheScope = (typeof CACHE_SCOPES)[number];

/** Every deployment id: the seed's `dep_<year>_<8 hex>`. */
export const DEPLOYMENT_ID_PATTERN = /^dep_\d{4}_[0-9a-f]{8}$/;
const deploymentId = z.string().regex(DEPLOYMENT_ID_PATTERN, 'must be a deployment id (dep_YYYY_<8 hex>)');

/**
 * A secret as it travels to the deployer: sealed under JOB_SECRETS_KEY and bound to the deployment
 * id (`sealSecret(key, value, deploymentId)`), so neither the queue entry, its events nor the job
 * record hold it in the clear.
 */
const sealed = z.string().min(1);

/** Where the worker's model cache lives; its keys travel sealed beside it. */
const modelCacheSchema = z.discriminatedUnion('scope', [
  z.object({ scope: z.literal('off') }),
  z.object({
    scope: z.enum(['shared', 'private']),
    bucket: z.string().min(1),
    prefix: z.string(),
    endpointUrl: z.string().url().optional(),
    region: z.string().min(1),
    sealedAccessKeyId: sealed.optional(),
    sealedSecretAccessKey: sealed.optional(),
  }),
]);
export type DeploymentModelCache = z.infer<typeof modelCacheSchema>;

const deployInput = z.object({
  operation: z.literal('deploy'),
  deployment_id: deploymentId,
  model_id: z.string().min(1),
  /** The Switchyard endpoint queue the deployed worker serves (the model's task decides it). */
  endpoint: z.string().min(1),
  /** The worker app whose image and code serve that endpoint. */
  worker_app: z.string().min(1),
  task: z.string().min(1),
  gpu_tier: z.string().optional(),
  region: z.string().optional(),
  cache: modelCacheSchema,
  sealed_runpod_api_key: sealed,
  sealed_hf_token: sealed.optional(),
  created_at: z.string(),
});

const deleteInput = z.object({
  operation: z.literal('delete'),
  deployment_id: deploymentId,
  sealed_runpod_api_key: sealed,
  /** What the deployment created, as far as its record knows; the deployer also finds them by name. */
  runpod_endpoint_id: z.string().optional(),
  runpod_template_id: z.string().optional(),
});

export type DeployOperation = z.infer<typeof deployInput>;
export type DeleteOperation = z.infer<typeof deleteInput>;

/** What a deployment has learnt so far: each status chunk carries the fields that changed. */
export const deploymentFactsSchema = z.object({
  model_vram_gb: z.number().optional(),
  vram_source: z.string().optional(),
  gpu_allocated: z.string().optional(),
  gpu_pool: z.string().optional(),
  price_per_hour_usd: z.number().optional(),
  max_workers: z.number().int().optional(),
  runpod_endpoint_id: z.string().optional(),
  runpod_template_id: z.string().optional(),
  endpoint_url: z.string().optional(),
  error: z.string().optional(),
});
export type DeploymentFacts = z.infer<typeof deploymentFactsSchema>;

/**
 * The deployer's stream chunks: a status change (with the phases' durations so far and the facts
 * it learnt), or a log line. The gateway records them on the deployment and serves them as the
 * deployment's SSE status and log streams.
 */
export const deploymentChunkSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('status'),
    status: z.enum(DEPLOYMENT_STATUSES),
    at: z.string(),
    phase_durations: z.record(z.string(), z.number()),
    facts: deploymentFactsSchema,
  }),
  z.object({ kind: z.literal('log'), level: z.enum(['info', 'warn', 'error']), message: z.string(), at: z.string() }),
]);
export type DeploymentChunk = z.infer<typeof deploymentChunkSchema>;

/** The seed's `deployment_ready` webhook body, which is also the deploy job's output. */
const readyOutput = z.object({
  event: z.literal('deployment_ready'),
  deployment_id: deploymentId,
  status: z.literal('ready'),
  endpoint_url: z.string(),
  runpod_endpoint_id: z.string(),
  model_id: z.string(),
  gpu_allocated: z.string(),
  created_at: z.string(),
  ready_at: z.string(),
  duration_seconds: z.number(),
  phase_durations: z.record(z.string(), z.number()),
  usage_example: z.object({
    method: z.literal('POST'),
    url: z.string(),
    headers: z.record(z.string(), z.string()),
    body: z.object({ input: z.record(z.string(), z.unknown()) }),
  }),
});
export type DeploymentReadyBody = z.infer<typeof readyOutput>;

const deletedOutput = z.object({
  event: z.literal('deployment_deleted'),
  deployment_id: deploymentId,
  status: z.literal('deleted'),
  deleted: z.object({ endpoints: z.array(z.string()), templates: z.array(z.string()) }),
});

/**
 * The `deployer` queue: deployments of Hugging Face models to RunPod serverless endpoints that run
 * Switchyard's own worker image. Internal: only the gateway's `/v1/deployments` API queues its
 * jobs, never `/v2`. A deploy job runs until the endpoint is ready (or failed, cleaned up); a
 * delete job removes what a deployment created.
 */
export const deployerContract = defineQueueContract({
  queue: QUEUES.deployer,
  description: 'Deploys a Hugging Face model to a RunPod serverless endpoint running a Switchyard worker, or deletes such a deployment.',
  input: z.discriminatedUnion('operation', [deployInput, deleteInput]),
  output: z.union([readyOutput, deletedOutput]),
  internal: true,
  webhookBody: ({ status, input, output, error }) =>
    status === 'COMPLETED'
      ? output
      : {
          event: 'deployment_failed',
          deployment_id: (input as DeployOperation).deployment_id,
          status: 'failed',
          model_id: (input as DeployOperation).model_id,
          error: error ?? `the deployment ended ${status}`,
        },
  // A deployment waits on RunPod, not on a device.
  gpuConcurrency: 16,
});

export type DeployerInput = z.infer<typeof deployerContract.input>;
export type DeployerOutput = z.infer<typeof deployerContract.output>;
