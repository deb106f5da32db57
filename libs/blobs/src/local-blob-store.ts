import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobRef } from '@switchyard/shared';
import { assertBlobId, blobExpiry, BlobNotFoundError, newBlobId, type BlobBody, type BlobStore } from './blob-store';

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Blobs as files in one folder, named by their id (which starts with the expiry, so the sweep
 * needs no index). A blob is written under a temporary name and renamed, so readers never see
 * half of one. Serves one host: processes on other hosts need the S3-compatible store.
 */
export class LocalBlobStore implements BlobStore {
  private ready?: Promise<unknown>;

  constructor(readonly directory: string) {}

  get location(): string {
    return this.directory;
  }

  async put(body: BlobBody, contentType: string, expiresAt: number): Promise<BlobRef> {
    await (this.ready ??= mkdir(this.directory, { recursive: true }));
    const blob = newBlobId(expiresAt);
    const temporary = join(this.directory, `.${blob}.partial`);
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      await pipeline(
        body instanceof Uint8Array ? Readable.from([body]) : Readable.from(body),
        async function* (source: AsyncIterable<Uint8Array>) {
          for await (const chunk of source) {
            hash.update(chunk);
            bytes += chunk.byteLength;
            yield chunk;
          }
        },
        createWriteStream(temporary, { flags: 'wx' }),
      );
      await rename(temporary, join(this.directory, blob));
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    return { blob, bytes, sha256: hash.digest('hex'), contentType };
  }

  async get(blob: string): Promise<Buffer> {
    assertBlobId(blob);
    try {
      return await readFile(join(this.directory, blob));
    } catch (error) {
      if (isMissing(error)) throw new BlobNotFoundError(blob);
      throw error;
    }
  }

  async open(blob: string): Promise<Readable> {
    assertBlobId(blob);
    const stream = createReadStream(join(this.directory, blob));
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (error) => reject(isMissing(error) ? new BlobNotFoundError(blob) : error));
    });
    return stream;
  }

  async delete(blob: string): Promise<void> {
    assertBlobId(blob);
    await rm(join(this.directory, blob), { force: true });
  }

  async deleteExpired(before: Date, limit: number): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if (isMissing(error)) return 0;
      throw error;
    }
    const doomed = names
      // A `.partial` file is a write that never finished (its process died); it goes with its expiry too.
      .filter((name) => (blobExpiry(name.replace(/^\.(.*)\.partial$/, '$1')) ?? Number.POSITIVE_INFINITY) < before.getTime())
      .sort()
      .slice(0, limit);
    await Promise.all(doomed.map((name) => rm(join(this.directory, name), { force: true })));
    return doomed.length;
  }
}
