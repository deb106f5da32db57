import { z } from 'zod';
import { deploymentConfigShape } from '@switchyard/deployments';
import { emptyAsUnset, env, jobSecretsKeySchema, parseConfig, redisConfigSchema } from '@switchyard/shared';

/** The deployer's settings: where RunPod and the Hub are, and how the endpoints it creates are shaped. */
export function loadDeployerConfig(environment: NodeJS.ProcessEnv = process.env) {
  const schema = redisConfigSchema.extend({
    ...deploymentConfigShape,
    /** Opens the secrets the gateway sealed for each deployment (the gateway's JOB_SECRETS_KEY); without it the gateway accepts no deployment either. */
    JOB_SECRETS_KEY: jobSecretsKeySchema,
    /** The gateway's public URL: deployed workers post their readiness to `{url}/v1/deployments/{id}/ready`. Unset, readiness is polled only. */
    DEPLOYER_CALLBACK_URL: emptyAsUnset(env.url(['http:', 'https:']).optional()),
    /** Switchyard's image, which serves every worker app in RunPod mode (WORKER_MODE=runpod). */
    DEPLOYER_WORKER_IMAGE: z.string().min(1).default('ghcr.io/switchyard-dev/switchyard-gpu:latest'),
    /** A serverless template of yours to base endpoints on instead of the bare image; it is never deleted. */
    DEPLOYER_TEMPLATE_ID: emptyAsUnset(z.string().min(1).optional()),
    DEPLOYER_CONTAINER_DISK_GB: env.positiveInt(40),
    DEPLOYER_WORKERS_MIN: z.coerce.number().int().min(0).default(0),
    DEPLOYER_WORKERS_MAX: env.positiveInt(3),
    DEPLOYER_IDLE_TIMEOUT_S: z.coerce.number().int().min(1).max(3600).default(120),
    DEPLOYER_QUEUE_DELAY_S: env.positiveInt(4),
    DEPLOYER_FLASHBOOT: z.enum(['OFF', 'FLASHBOOT', 'PRIORITY_FLASHBOOT']).default('FLASHBOOT'),
    DEPLOYER_EXECUTION_TIMEOUT_MS: env.positiveInt(600_000),
    DEPLOYER_READY_TIMEOUT_MS: env.positiveInt(900_000),
    DEPLOYER_READY_POLL_MS: env.positiveInt(5_000),
    DEPLOYER_HEALTH_CHECK_WAIT_MS: env.positiveInt(60_000),
  });
  return parseConfig('deployer', schema, environment);
}

export type DeployerConfig = ReturnType<typeof loadDeployerConfig>;
