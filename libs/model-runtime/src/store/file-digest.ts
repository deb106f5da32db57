import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

export interface ComputedDigest {
  size: number;
  sha256: string;
  /** The git blob id of the content: how the Hub names files that are not stored with LFS. */
  gitSha1: string;
}

/** Hashes a file in one pass: its sha256 and its git blob sha1. */
export async function digestFile(path: string, signal?: AbortSignal): Promise<ComputedDigest> {
  const { size } = await stat(path);
  const sha256 = createHash('sha256');
  const gitSha1 = createHash('sha1').update(`blob ${size}\0`);
  for await (const chunk of createReadStream(path, { signal })) {
    sha256.update(chunk as Buffer);
    gitSha1.update(chunk as Buffer);
  }
  return { size, sha256: sha256.digest('hex'), gitSha1: gitSha1.digest('hex') };
}
