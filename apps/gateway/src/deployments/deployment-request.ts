import { z } from 'zod';
import { CACHE_SCOPES } from '@switchyard/shared';

/** The seed's tasks, as its clients send them, and the Hub's pipeline tags they stand for. */
export const SEED_TASKS: Readonly<Record<string, string>> = { text2img: 'text-to-image', image2img: 'image-to-image', text2video: 'text-to-video' };

const optionalText = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`).optional();

/** `POST /v1/deployments`: the seed's fields. */
export const deploymentRequestSchema = z
  .object({
    hf_model_id: optionalText(256),
    model_name: optionalText(128),
    provider: optionalText(64),
    user_runpod_key: optionalText(512),
    user_webhook_url: z.string().url('must be an http(s) URL').max(2048).optional(),
    gpu_tier: optionalText(64),
    hf_token: optionalText(512),
    region: optionalText(32),
    task: optionalText(64),
    cache_scope: z.enum(CACHE_SCOPES, { error: `must be ${CACHE_SCOPES.join(', ')}` }).default('off'),
    user_s3_url: z
      .string()
      .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, 'must be s3://<bucket>[/<prefix>]')
      .optional(),
    user_aws_access_key_id: optionalText(256),
    user_aws_secret_access_key: optionalText(512),
    user_aws_endpoint_url: z.string().url('must be an http(s) URL').optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (!value.hf_model_id && !value.model_name) ctx.addIssue({ code: 'custom', path: ['hf_model_id'], message: 'give hf_model_id, or model_name' });
    if (value.hf_model_id && value.model_name) ctx.addIssue({ code: 'custom', path: ['model_name'], message: 'give hf_model_id or model_name, not both' });
    if (value.cache_scope === 'private') {
      for (const field of ['user_s3_url', 'user_aws_access_key_id', 'user_aws_secret_access_key'] as const) {
        if (!value[field]) ctx.addIssue({ code: 'custom', path: [field], message: 'is required with cache_scope "private"' });
      }
    } else {
      for (const field of ['user_s3_url', 'user_aws_access_key_id', 'user_aws_secret_access_key', 'user_aws_endpoint_url'] as const) {
        if (value[field]) ctx.addIssue({ code: 'custom', path: [field], message: 'is only for cache_scope "private"' });
      }
    }
  });

export type DeploymentRequest = z.infer<typeof deploymentRequestSchema>;

export const listQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }).strict();
export const gpusQuerySchema = z.object({ min_vram_gb: z.coerce.number().positive().max(1024).default(0.001), gpu_tier: optionalText(64) }).strict();

/** What a deployed worker posts to its readiness callback (the seed's `/internal/deployment-ready` body). */
export const workerReportSchema = z
  .object({
    status: z.enum(['downloading_model', 'loading_model', 'ready', 'failed']),
    message: z.string().max(2000).optional(),
    worker_id: z.string().max(200).optional(),
  })
  .strict();
