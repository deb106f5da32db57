import { resolve } from 'node:path';
import { z } from 'zod';
import { env } from '@switchyard/shared';
import { LocalBlobStore } from './local-blob-store';
import { S3BlobStore } from './s3-blob-store';
import type { BlobStore } from './blob-store';

/**
 * The claim-check settings every app shares (the gateway writes inputs, workers write outputs,
 * both read): spread into an app's schema with `.extend(blobConfigShape)`.
 */
export const blobConfigShape = {
  /** `local` (a folder; one host) or `s3` (any S3-compatible store: MinIO, S3, R2). */
  BLOB_STORE: z.enum(['local', 's3']).default('local'),
  BLOB_DIR: z.string().default(resolve('.switchyard/blobs')),
  /** Inputs, outputs and stream chunks larger than this (JSON bytes) are stored once as a blob and referenced. */
  BLOB_THRESHOLD_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(256 * 1024),
  /** Larger values fail their job (or their request, 413) instead of being stored or truncated. */
  BLOB_MAX_BYTES: env.positiveInt(256 * 1024 * 1024),
  BLOB_S3_BUCKET: z.string().min(3).optional(),
  BLOB_S3_PREFIX: z.string().default('blobs'),
  BLOB_S3_ENDPOINT: env.url(['http:', 'https:']).optional(),
  BLOB_S3_REGION: z.string().default('us-east-1'),
  BLOB_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  BLOB_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  BLOB_S3_FORCE_PATH_STYLE: env.boolean(false),
};

export type BlobConfig = z.infer<z.ZodObject<typeof blobConfigShape>>;

/** Checks what zod's per-field rules cannot: the variables `BLOB_STORE=s3` needs. */
export function blobConfigIssues(config: BlobConfig): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  if (config.BLOB_STORE === 's3' && !config.BLOB_S3_BUCKET) issues.push({ path: 'BLOB_S3_BUCKET', message: 'is required when BLOB_STORE=s3' });
  if (Boolean(config.BLOB_S3_ACCESS_KEY_ID) !== Boolean(config.BLOB_S3_SECRET_ACCESS_KEY)) {
    issues.push({ path: 'BLOB_S3_SECRET_ACCESS_KEY', message: 'BLOB_S3_ACCESS_KEY_ID and BLOB_S3_SECRET_ACCESS_KEY go together' });
  }
  return issues;
}

/** For an app schema: `schema.superRefine(refineBlobConfig)`. */
export function refineBlobConfig(config: BlobConfig, ctx: z.RefinementCtx): void {
  for (const issue of blobConfigIssues(config)) ctx.addIssue({ code: 'custom', path: [issue.path], message: issue.message });
}

export function createBlobStore(config: BlobConfig): BlobStore {
  if (config.BLOB_STORE === 'local') return new LocalBlobStore(config.BLOB_DIR);
  return new S3BlobStore({
    bucket: config.BLOB_S3_BUCKET!,
    prefix: config.BLOB_S3_PREFIX,
    endpoint: config.BLOB_S3_ENDPOINT,
    region: config.BLOB_S3_REGION,
    credentials: config.BLOB_S3_ACCESS_KEY_ID ? { accessKeyId: config.BLOB_S3_ACCESS_KEY_ID, secretAccessKey: config.BLOB_S3_SECRET_ACCESS_KEY! } : undefined,
    forcePathStyle: config.BLOB_S3_FORCE_PATH_STYLE,
  });
}
