import type { Asset } from '@trustnxt/c2pa-ts/asset';

/**
 * The whole file as c2pa-ts's read-only Asset, for any container: validation only hashes byte ranges,
 * and the container walkers have already found the JUMBF (which c2pa-ts cannot do for WebP).
 */
export class BytesAsset implements Asset {
  constructor(
    private readonly bytes: Uint8Array,
    private readonly jumbf: Uint8Array,
    readonly mimeType: string,
  ) {}

  getDataLength(): number {
    return this.bytes.length;
  }

  getDataRange(start = 0, length?: number): Promise<Uint8Array> {
    return Promise.resolve(this.bytes.subarray(start, length === undefined ? undefined : start + length));
  }

  getManifestJUMBF(): Uint8Array {
    return this.jumbf;
  }

  dumpInfo(): string {
    return `${this.mimeType}, ${this.bytes.length} bytes`;
  }

  getHashExclusionRange(): never {
    throw new Error('BytesAsset is read-only');
  }

  ensureManifestSpace(): never {
    throw new Error('BytesAsset is read-only');
  }

  writeManifestJUMBF(): never {
    throw new Error('BytesAsset is read-only');
  }
}
