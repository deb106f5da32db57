import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Seals a caller's secret (an `s3Config` access secret) for the worker that needs it: AES-256-GCM
 * under JOB_SECRETS_KEY, bound to its job id, so the queue entry in Redis never holds it in the
 * clear and a sealed value copied onto another job does not open. The key is shared by the gateway
 * and the workers through configuration. Kept to these two functions until a secrets library lands.
 */
export function sealSecret(key: Buffer, secret: string, jobId: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(jobId, 'utf8'));
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64');
}

/** Throws when the value was not sealed for this job under this key. */
export function openSecret(key: Buffer, sealed: string, jobId: string): string {
  const bytes = Buffer.from(sealed, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12)).setAAD(Buffer.from(jobId, 'utf8'));
  decipher.setAuthTag(bytes.subarray(12, 28));
  return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
}

/** RunPod's `s3Config` as it travels to the worker: the secret sealed. */
export interface SealedS3Config {
  accessId: string;
  sealedSecret: string;
  bucketName: string;
  endpointUrl: string;
}
