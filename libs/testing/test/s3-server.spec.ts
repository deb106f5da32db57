import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startS3Server } from '@switchyard/testing';

describe('startS3Server', () => {
  it('serves an S3 API with its buckets on a free port, and removes its data on close', async () => {
    const server = await startS3Server({ buckets: ['models', 'outputs'] });
    const client = new S3Client({
      endpoint: server.endpoint,
      region: server.region,
      credentials: server.credentials,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    try {
      await client.send(new PutObjectCommand({ Bucket: 'outputs', Key: 'a/b.txt', Body: 'hello switchyard' }));
      const range = await client.send(new GetObjectCommand({ Bucket: 'outputs', Key: 'a/b.txt', Range: 'bytes=6-15' }));
      const listing = await client.send(new ListObjectsV2Command({ Bucket: 'outputs', Prefix: 'a/' }));

      expect(server.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await range.Body!.transformToString()).toBe('switchyard');
      expect(listing.Contents?.map((object) => object.Key)).toEqual(['a/b.txt']);
    } finally {
      client.destroy();
      await server.close();
    }
    await expect(import('node:fs/promises').then((fs) => fs.stat(server.directory))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
