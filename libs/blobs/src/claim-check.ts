import { BlobStoreUnavailableError, claimText, PayloadTooLargeError, type BlobRef, type PayloadOffload } from '@switchyard/shared';
import type { BlobStore } from './blob-store';
import { createBlobStore, type BlobConfig } from './blob-config';

const JSON_TYPE = 'application/json';

/**
 * The claim check the job state store runs values through: JSON text over `thresholdBytes` is
 * stored once in the blob store, with its job's expiry, and replaced by a reference; text over
 * `maxBytes` is refused. Failures of the store become BlobStoreUnavailableError, so a job fails
 * with a clear reason instead of hanging.
 */
export class BlobClaimCheck implements PayloadOffload {
  constructor(
    readonly store: BlobStore,
    readonly thresholdBytes: number,
    readonly maxBytes: number,
  ) {}

  static fromConfig(config: BlobConfig): BlobClaimCheck {
    return new BlobClaimCheck(createBlobStore(config), config.BLOB_THRESHOLD_BYTES, config.BLOB_MAX_BYTES);
  }

  async offload(json: string, field: string, expiresAt: number): Promise<string> {
    if (this.keepsInline(json)) return json;
    const bytes = Buffer.from(json, 'utf8');
    if (bytes.byteLength > this.maxBytes) throw new PayloadTooLargeError(field, bytes.byteLength, this.maxBytes);
    if (bytes.byteLength <= this.thresholdBytes) return json;
    try {
      return claimText(await this.store.put(bytes, JSON_TYPE, expiresAt));
    } catch (error) {
      throw new BlobStoreUnavailableError(`The blob store (${this.store.location}) could not take the ${field}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Text too short to pass the threshold in UTF-8 (at most 3 bytes a UTF-16 unit) stays inline unmeasured; longer text is measured. */
  keepsInline(json: string): boolean {
    return json.length <= this.thresholdBytes / 3;
  }

  async load(ref: BlobRef): Promise<string> {
    let bytes: Buffer;
    try {
      bytes = await this.store.get(ref.blob);
    } catch (error) {
      throw new BlobStoreUnavailableError(`Blob ${ref.blob} could not be read from ${this.store.location}: ${(error as Error).message}`, { cause: error });
    }
    return bytes.toString('utf8');
  }
}
