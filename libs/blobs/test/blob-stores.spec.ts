import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startS3Server, type S3Server } from '@switchyard/testing';
import { PayloadTooLargeError, parseClaim } from '@switchyard/shared';
import { BlobClaimCheck, BlobNotFoundError, LocalBlobStore, S3BlobStore, type BlobStore } from '../src';

const HOUR = 3_600_000;

async function* chunks(...parts: Buffer[]): AsyncIterable<Uint8Array> {
  for (const part of parts) yield part;
}

describe.each(['local', 's3'] as const)('the %s blob store', (kind) => {
  let store: BlobStore;
  let s3: S3Server | undefined;
  let directory: string | undefined;

  // A folder (or key prefix) per test, so that one test's blobs never count in another's sweep.
  beforeAll(async () => {
    if (kind === 'local') directory = mkdtempSync(join(tmpdir(), 'sy-blob-store-'));
    else s3 = await startS3Server({ buckets: ['blobs'] });
  });

  beforeEach(() => {
    const place = randomBytes(4).toString('hex');
    store = s3
      ? new S3BlobStore({
          bucket: 'blobs',
          prefix: `claims/${place}`,
          endpoint: s3.endpoint,
          region: s3.region,
          credentials: s3.credentials,
          forcePathStyle: true,
        })
      : new LocalBlobStore(join(directory!, place));
  });

  afterAll(async () => {
    await s3?.close();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it('gives back exactly the bytes it took, with their size and SHA-256, from bytes or a stream', async () => {
    const first = randomBytes(300_000);
    const second = randomBytes(70_000);
    const fromBytes = await store.put(first, 'application/octet-stream', Date.now() + HOUR);
    const fromStream = await store.put(chunks(first, second), 'application/json', Date.now() + HOUR);

    expect(fromBytes).toMatchObject({ bytes: first.length, sha256: createHash('sha256').update(first).digest('hex'), contentType: 'application/octet-stream' });
    expect((await store.get(fromBytes.blob)).equals(first)).toBe(true);
    const both = Buffer.concat([first, second]);
    expect(fromStream.sha256).toBe(createHash('sha256').update(both).digest('hex'));
    const opened: Buffer[] = [];
    for await (const chunk of await store.open(fromStream.blob)) opened.push(chunk as Buffer);
    expect(Buffer.concat(opened).equals(both)).toBe(true);
  });

  it('answers BlobNotFoundError for a deleted blob and for anything that is not a blob id', async () => {
    const ref = await store.put(Buffer.from('x'), 'text/plain', Date.now() + HOUR);
    await store.delete(ref.blob);
    await expect(store.get(ref.blob)).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(store.get('../../etc/passwd')).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it('sweeps only blobs that expired before the given time, the longest expired first, at most `limit` a call', async () => {
    const now = Date.now();
    const [lastToExpire, second, first] = await Promise.all([1, 2, 3].map((n) => store.put(Buffer.from(`old ${n}`), 'text/plain', now - n * HOUR)));
    const live = await store.put(Buffer.from('new'), 'text/plain', now + HOUR);

    expect(await store.deleteExpired(new Date(now), 2)).toBe(2);
    for (const ref of [first, second]) await expect(store.get(ref.blob)).rejects.toBeInstanceOf(BlobNotFoundError);
    expect((await store.get(lastToExpire.blob)).toString()).toBe('old 1');
    expect((await store.get(live.blob)).toString()).toBe('new');
    expect(await store.deleteExpired(new Date(now), 2)).toBe(1);
    expect(await store.deleteExpired(new Date(now), 2)).toBe(0);
  });

  it('claim-checks JSON over the threshold, keeps smaller JSON inline and refuses JSON over the maximum', async () => {
    const claimCheck = new BlobClaimCheck(store, 1024, 64 * 1024);
    const small = JSON.stringify({ text: 'a'.repeat(100) });
    const large = JSON.stringify({ text: 'é'.repeat(2_000) });
    expect(await claimCheck.offload(small, 'output', Date.now() + HOUR)).toBe(small);
    // Only text that cannot reach the threshold in UTF-8 is known to stay inline without being measured.
    expect([claimCheck.keepsInline(small), claimCheck.keepsInline(large), claimCheck.keepsInline('é'.repeat(400))]).toEqual([true, false, false]);
    const stored = await claimCheck.offload(large, 'output', Date.now() + HOUR);
    const ref = parseClaim(stored)!;
    expect(ref.bytes).toBe(Buffer.byteLength(large));
    expect(await claimCheck.load(ref)).toBe(large);
    await expect(claimCheck.offload(JSON.stringify('b'.repeat(70_000)), 'output', Date.now() + HOUR)).rejects.toBeInstanceOf(PayloadTooLargeError);
  });
});
