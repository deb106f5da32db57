import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { BlobRef } from '@switchyard/shared';
import { assertBlobId, blobExpiry, BlobNotFoundError, collect, newBlobId, type BlobBody, type BlobStore } from './blob-store';

/** Where a store of ours keeps its objects: a bucket and key prefix on AWS or an S3-compatible server. */
export interface S3Location {
  bucket: string;
  /** Key prefix inside the bucket (no leading or trailing `/` needed), e.g. `blobs`. */
  prefix?: string;
  /** An S3-compatible store (MinIO, R2, s3rver); AWS when left out. */
  endpoint?: string;
  region: string;
  /** Left out: the AWS SDK's default credential chain (instance roles, IRSA). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Path-style URLs (`endpoint/bucket/key`), which MinIO and s3rver need. */
  forcePathStyle?: boolean;
}

export type S3BlobStoreOptions = S3Location;

const DELETE_CONCURRENCY = 16;

const silentLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** The S3 client settings every store of ours uses with S3-compatible servers. */
export function s3ClientFor(options: Omit<S3Location, 'bucket' | 'prefix'>): S3Client {
  return new S3Client({
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle,
    credentials: options.credentials,
    // With the SDK's default checksums a streamed upload is framed as aws-chunked, which s3rver and some other S3-compatible stores keep verbatim.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    logger: silentLogger,
  });
}

function isMissingObject(error: unknown): boolean {
  return error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404);
}

/**
 * Blobs as objects in an S3-compatible bucket, keyed `<prefix>/<id>`. Ids start with the expiry,
 * and S3 lists keys in order, so the sweep lists from the start and stops at the first blob that
 * has not expired.
 */
export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly prefix: string;

  constructor(private readonly options: S3BlobStoreOptions) {
    this.client = s3ClientFor(options);
    const prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.prefix = prefix ? `${prefix}/` : '';
  }

  get location(): string {
    return `s3://${this.options.bucket}/${this.prefix}`;
  }

  async put(body: BlobBody, contentType: string, expiresAt: number): Promise<BlobRef> {
    const blob = newBlobId(expiresAt);
    // Buffered: S3 wants a length up front, and claim-checked values are bounded by the maximum size.
    const { bytes, sha256 } = await collect(body);
    await this.client.send(
      new PutObjectCommand({ Bucket: this.options.bucket, Key: this.key(blob), Body: bytes, ContentType: contentType, ContentLength: bytes.byteLength }),
    );
    return { blob, bytes: bytes.byteLength, sha256, contentType };
  }

  async get(blob: string): Promise<Buffer> {
    return (await collect(await this.open(blob))).bytes;
  }

  async open(blob: string): Promise<Readable> {
    assertBlobId(blob);
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(blob) }));
      const body = response.Body;
      if (body instanceof Readable) return body;
      if (body && typeof body === 'object' && Symbol.asyncIterator in body) return Readable.from(body as AsyncIterable<Uint8Array>);
      throw new TypeError('The S3 response has no readable body');
    } catch (error) {
      if (isMissingObject(error)) throw new BlobNotFoundError(blob);
      throw error;
    }
  }

  async delete(blob: string): Promise<void> {
    assertBlobId(blob);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.key(blob) }));
  }

  async deleteExpired(before: Date, limit: number): Promise<number> {
    // ListObjects (v1): the first page is all a call needs, and s3rver cannot page ListObjectsV2 on Node 24.
    const listed = await this.client.send(new ListObjectsCommand({ Bucket: this.options.bucket, Prefix: this.prefix, MaxKeys: Math.min(limit, 1000) }));
    const doomed: string[] = [];
    for (const { Key } of listed.Contents ?? []) {
      const expiry = Key ? blobExpiry(Key.slice(this.prefix.length)) : undefined;
      if (expiry === undefined) continue;
      if (expiry >= before.getTime()) break;
      doomed.push(Key!);
    }
    // One DELETE per object, a few at a time: multi-object delete needs Content-MD5, which not every S3-compatible store takes as the SDK sends it.
    for (let i = 0; i < doomed.length; i += DELETE_CONCURRENCY) {
      await Promise.all(doomed.slice(i, i + DELETE_CONCURRENCY).map((Key) => this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key }))));
    }
    return doomed.length;
  }

  private key(blob: string): string {
    return this.prefix + blob;
  }
}
