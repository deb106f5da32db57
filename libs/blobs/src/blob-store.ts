import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BlobRef } from '@switchyard/shared';

export type BlobBody = Uint8Array | AsyncIterable<Uint8Array>;

/**
 * Where large job values live once (the claim check), each with an expiry. Implementations must be
 * safe to use from several processes at once (the gateway and every worker share one store).
 */
export interface BlobStore {
  /** Where the blobs are, for messages (never with credentials). */
  readonly location: string;
  put(body: BlobBody, contentType: string, expiresAt: number): Promise<BlobRef>;
  /** The whole blob; throws BlobNotFoundError when it is gone. */
  get(blob: string): Promise<Buffer>;
  /** The blob as a stream, for serving it without holding it in memory. */
  open(blob: string): Promise<Readable>;
  delete(blob: string): Promise<void>;
  /** Deletes at most `limit` blobs that expired before `before`; answers how many. */
  deleteExpired(before: Date, limit: number): Promise<number>;
}

export class BlobNotFoundError extends Error {
  override readonly name = 'BlobNotFoundError';
  constructor(blob: string) {
    super(`Blob ${blob} not found (expired or deleted)`);
  }
}

/** A blob id: its expiry, fixed-width so that ids sort by it, then randomness nobody can guess. */
const BLOB_ID = /^(\d{13})-[0-9a-f]{32}$/;

export function newBlobId(expiresAt: number): string {
  return `${String(Math.max(0, Math.floor(expiresAt))).padStart(13, '0')}-${randomBytes(16).toString('hex')}`;
}

export function isBlobId(value: string): boolean {
  return BLOB_ID.test(value);
}

/** The expiry an id carries (epoch ms), or undefined for a name that is not a blob id. */
export function blobExpiry(value: string): number | undefined {
  const match = BLOB_ID.exec(value);
  return match ? Number(match[1]) : undefined;
}

/** Refuses anything that is not a blob id before it reaches a path or an object key. */
export function assertBlobId(value: string): void {
  if (!isBlobId(value)) throw new BlobNotFoundError(value.slice(0, 80));
}

/** Reads a body whole, hashing it on the way. */
export async function collect(body: BlobBody): Promise<{ bytes: Buffer; sha256: string }> {
  const hash = createHash('sha256');
  if (body instanceof Uint8Array) {
    hash.update(body);
    return { bytes: Buffer.from(body.buffer, body.byteOffset, body.byteLength), sha256: hash.digest('hex') };
  }
  const parts: Buffer[] = [];
  for await (const chunk of body) {
    hash.update(chunk);
    parts.push(Buffer.from(chunk));
  }
  return { bytes: Buffer.concat(parts), sha256: hash.digest('hex') };
}
