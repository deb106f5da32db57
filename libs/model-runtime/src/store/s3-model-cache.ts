import { createReadStream } from 'node:fs';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { s3ClientFor, type S3Location } from '@switchyard/blobs';
import { type CacheMarker, type FileDigest, markerKey, mergeCacheMarker, parseCacheMarker, refKey, snapshotKey } from './cache-layout';
import { KeyedLock } from './keyed-lock';
import type { RangeReader } from './ranged-download';

export interface S3CacheOptions extends S3Location {
  /** Copy files fetched from the Hub into the bucket. Default true. */
  writeBack?: boolean;
  /** Files larger than this are uploaded as a multipart upload with parts of this size. Default 64 MiB. */
  partBytes?: number;
}

/** A file to put into the S3 cache. */
export interface S3UploadFile {
  file: string;
  path: string;
  digest: FileDigest;
}

const DEFAULT_PART_BYTES = 64 * 1024 * 1024;
const UPLOAD_CONCURRENCY = 4;

function isMissingObject(error: unknown): boolean {
  return error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404);
}

function asByteStream(body: unknown): AsyncIterable<Uint8Array> {
  if (body && typeof body === 'object' && Symbol.asyncIterator in body) return body as AsyncIterable<Uint8Array>;
  throw new TypeError('The S3 response has no readable body');
}

/**
 * The S3 cache of models, in the same layout as the local cache. A revision's marker object is
 * written only after all of the files it lists were uploaded, so a reader that finds the marker
 * finds the files.
 */
export class S3ModelCache {
  readonly writeBack: boolean;
  private readonly client: S3Client;
  private readonly prefix: string;
  private readonly partBytes: number;
  private readonly markerLock = new KeyedLock();

  constructor(private readonly options: S3CacheOptions) {
    // The settings every S3-compatible store of ours needs: checksums only where required (s3rver and
    // others keep aws-chunked framing verbatim; our markers carry sha256), and no SDK console warnings.
    this.client = s3ClientFor(options);
    this.prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.partBytes = options.partBytes ?? DEFAULT_PART_BYTES;
    this.writeBack = options.writeBack ?? true;
  }

  /** Where the cache is, for messages. */
  get location(): string {
    return `s3://${this.options.bucket}/${this.prefix}`;
  }

  private key(relative: string): string {
    return this.prefix ? `${this.prefix}/${relative}` : relative;
  }

  async readRef(repo: string, revision: string, signal?: AbortSignal): Promise<string | undefined> {
    return (await this.readText(refKey(repo, revision), signal))?.trim();
  }

  async readMarker(repo: string, sha: string, signal?: AbortSignal): Promise<CacheMarker | undefined> {
    const text = await this.readText(markerKey(repo, sha), signal);
    return text === undefined ? undefined : parseCacheMarker(text, repo, sha);
  }

  fileReader(repo: string, sha: string, file: string, size: number): RangeReader {
    const key = this.key(snapshotKey(repo, sha, file));
    return {
      size,
      openRange: async (start, end, signal) => {
        try {
          const response = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key, Range: `bytes=${start}-${end - 1}` }), {
            abortSignal: signal,
          });
          return asByteStream(response.Body);
        } catch (error) {
          // A range past the end of a shorter object: no bytes, which the download reports as truncated.
          if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 416) return [];
          throw error;
        }
      },
    };
  }

  /** Uploads the files, then merges them into the revision's marker, then points `refs` at the revision. */
  async upload(repo: string, sha: string, files: readonly S3UploadFile[], refs: readonly string[]): Promise<void> {
    for (const { file, path, digest } of files) await this.putFile(this.key(snapshotKey(repo, sha, file)), path, digest.size);
    await this.markerLock.run(`${repo}@${sha}`, async () => {
      const digests = Object.fromEntries(files.map(({ file, digest }) => [file, digest]));
      const marker = mergeCacheMarker(await this.readMarker(repo, sha), repo, sha, digests);
      await this.putText(markerKey(repo, sha), JSON.stringify(marker, null, 2));
    });
    for (const ref of refs) await this.putText(refKey(repo, ref), sha);
  }

  destroy(): void {
    this.client.destroy();
  }

  private async readText(relative: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(relative) }), { abortSignal: signal });
      return await response.Body?.transformToString('utf8');
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw error;
    }
  }

  private async putText(relative: string, text: string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: this.key(relative), Body: text }));
  }

  private async putFile(key: string, path: string, size: number): Promise<void> {
    if (size <= this.partBytes) {
      await this.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: createReadStream(path), ContentLength: size }));
      return;
    }
    await this.putFileInParts(key, path, size);
  }

  private async putFileInParts(key: string, path: string, size: number): Promise<void> {
    const bucket = this.options.bucket;
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    try {
      const partCount = Math.ceil(size / this.partBytes);
      const parts: { PartNumber: number; ETag: string | undefined }[] = [];
      let nextPart = 1;
      const uploadParts = async (): Promise<void> => {
        for (let partNumber = nextPart++; partNumber <= partCount; partNumber = nextPart++) {
          const start = (partNumber - 1) * this.partBytes;
          const end = Math.min(size, start + this.partBytes);
          const { ETag } = await this.client.send(
            new UploadPartCommand({
              Bucket: bucket,
              Key: key,
              UploadId,
              PartNumber: partNumber,
              Body: createReadStream(path, { start, end: end - 1 }),
              ContentLength: end - start,
            }),
          );
          parts.push({ PartNumber: partNumber, ETag });
        }
      };
      // Settle every part before aborting the upload on a failure, so no part lands after the abort.
      const outcomes = await Promise.allSettled(Array.from({ length: Math.min(UPLOAD_CONCURRENCY, partCount) }, uploadParts));
      const failure = outcomes.find((outcome) => outcome.status === 'rejected');
      if (failure) throw failure.reason;
      parts.sort((a, b) => a.PartNumber - b.PartNumber);
      await this.client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
    } catch (error) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })).catch(() => undefined);
      throw error;
    }
  }
}
