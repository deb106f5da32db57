import { HeadBucketCommand, PutObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { AddressPolicy, checkUrl, resolveDestination, systemResolver, UnsafeUrlError } from '@switchyard/outbound';
import { s3ClientFor } from './s3-blob-store';

/** RunPod's s3Config, the secret in the clear: only ever in memory, never logged nor stored. */
export interface CallerS3Config {
  accessId: string;
  accessSecret: string;
  bucketName: string;
  endpointUrl: string;
}

/** What is wrong with a caller's s3Config, naming the field (`s3Config.bucketName`); never carries the secret. */
export class CallerBucketError extends Error {
  override readonly name = 'CallerBucketError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

function clientFor(config: CallerS3Config) {
  return s3ClientFor({
    endpoint: config.endpointUrl,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: config.accessId, secretAccessKey: config.accessSecret },
  });
}

/** Refuses an endpoint on an internal address (unless allowed) before any request reaches it. */
export async function checkCallerEndpoint(endpointUrl: string, policy: AddressPolicy): Promise<void> {
  try {
    await resolveDestination(checkUrl(endpointUrl, policy), policy, systemResolver);
  } catch (error) {
    if (error instanceof UnsafeUrlError) throw new CallerBucketError('s3Config.endpointUrl', error.message);
    throw new CallerBucketError('s3Config.endpointUrl', `cannot be reached: ${(error as Error).message}`);
  }
}

/** Checks at submission that the endpoint is allowed, the keys work and the bucket exists. */
export async function checkCallerBucket(config: CallerS3Config, policy: AddressPolicy): Promise<void> {
  await checkCallerEndpoint(config.endpointUrl, policy);
  const client = clientFor(config);
  try {
    await client.send(new HeadBucketCommand({ Bucket: config.bucketName }), { abortSignal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw describeFailure(error);
  } finally {
    client.destroy();
  }
}

function describeFailure(error: unknown): CallerBucketError {
  const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
  if (status === 404) return new CallerBucketError('s3Config.bucketName', 'no such bucket at the endpoint');
  if (status === 401 || status === 403) return new CallerBucketError('s3Config.accessId', 'the store refused these keys for this bucket');
  if (status !== undefined) return new CallerBucketError('s3Config.endpointUrl', `the store answered ${status}`);
  return new CallerBucketError('s3Config.endpointUrl', `cannot be reached: ${(error as Error).message}`);
}

/**
 * Uploads the output's file fields (dotted paths, each a base64 string) to the caller's bucket as
 * `<jobId>/<path>` and answers the output with each replaced by its object's URL.
 */
export async function uploadFileOutputs(
  output: unknown,
  paths: readonly string[],
  config: CallerS3Config,
  jobId: string,
  policy: AddressPolicy,
): Promise<unknown> {
  const files = paths.flatMap((path) => {
    const parts = path.split('.');
    let parent: unknown = output;
    for (const part of parts.slice(0, -1)) parent = parent && typeof parent === 'object' ? (parent as Record<string, unknown>)[part] : undefined;
    const last = parts[parts.length - 1];
    const holder = parent && typeof parent === 'object' ? (parent as Record<string, unknown>) : undefined;
    return holder && typeof holder[last] === 'string' ? [{ path, holder, last }] : [];
  });
  if (files.length === 0) return output;
  // Checked again here: the address a name resolves to can change after submission.
  await checkCallerEndpoint(config.endpointUrl, policy);
  const client = clientFor(config);
  try {
    for (const { path, holder, last } of files) {
      const key = `${jobId}/${path}`;
      try {
        await client.send(new PutObjectCommand({ Bucket: config.bucketName, Key: key, Body: Buffer.from(holder[last] as string, 'base64') }));
      } catch (error) {
        throw describeFailure(error);
      }
      holder[last] = `${config.endpointUrl.replace(/\/+$/, '')}/${encodeURIComponent(config.bucketName)}/${key.split('/').map(encodeURIComponent).join('/')}`;
    }
  } finally {
    client.destroy();
  }
  return output;
}
