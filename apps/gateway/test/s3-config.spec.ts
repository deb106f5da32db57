import { randomBytes } from 'node:crypto';
import type { INestMicroservice } from '@nestjs/common';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startS3Server, type S3Server } from '@switchyard/testing';
import { RedisKeys } from '@switchyard/shared';
import { startEchoWorker, startTestPlatform, type TestPlatform } from './support/platform';

describe("RunPod's s3Config", () => {
  let platform: TestPlatform;
  let worker: INestMicroservice;
  let s3: S3Server;
  const secrets = { JOB_SECRETS_KEY: randomBytes(32).toString('base64'), S3CONFIG_ALLOW_PRIVATE: 'true' };

  beforeAll(async () => {
    s3 = await startS3Server({ buckets: ['caller-outputs'] });
    platform = await startTestPlatform({ echoWorker: false, config: secrets });
    worker = await startEchoWorker(platform.stores.prefix, { blobs: secrets });
  });

  afterAll(async () => {
    await worker.close();
    await platform.close();
    await s3.close();
  });

  const s3Config = (overrides: Record<string, string> = {}) => ({
    accessId: s3.credentials.accessKeyId,
    accessSecret: s3.credentials.secretAccessKey,
    bucketName: 'caller-outputs',
    endpointUrl: s3.endpoint,
    ...overrides,
  });

  it('uploads the file outputs to the caller’s bucket and answers their URLs; the secret is nowhere in Redis or Postgres', async () => {
    const file = randomBytes(200_000);
    const response = await platform.gateway.request('POST', '/v2/echo/runsync?wait=30000', {
      input: { file_base64: file.toString('base64') },
      s3Config: s3Config(),
    });
    expect(response.body.status).toBe('COMPLETED');
    const url = response.body.output.echo.file_base64 as string;
    expect(url).toBe(`${s3.endpoint}/caller-outputs/${response.body.id}/echo.file_base64`);

    const client = new S3Client({ region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials });
    const object = await client.send(new GetObjectCommand({ Bucket: 'caller-outputs', Key: `${response.body.id}/echo.file_base64` }));
    expect(Buffer.from(await object.Body!.transformToByteArray()).equals(file)).toBe(true);
    client.destroy();

    const keys = new RedisKeys(platform.stores.prefix).queue('echo');
    const entries = (await platform.stores.redis.xrange(keys.events, '-', '+')) as [string, string[]][];
    expect(JSON.stringify(entries)).not.toContain(s3.credentials.secretAccessKey);
    const row = await platform.gateway.database.prisma.job.findUnique({ where: { id: response.body.id } });
    expect(JSON.stringify(row)).not.toContain(s3.credentials.secretAccessKey);
  });

  it.each([
    ['wrong keys', { accessId: 'NOT-A-KEY', accessSecret: 'not-the-secret' }, 's3Config.accessId'],
    ['an unknown bucket', { bucketName: 'no-such-bucket' }, 's3Config.bucketName'],
    ['an internal address', { endpointUrl: 'http://169.254.169.254/' }, 's3Config.endpointUrl'],
  ])('refuses %s at submission with a 400 naming the field, never echoing the secret', async (_case, overrides, field) => {
    const response = await platform.gateway.request('POST', '/v2/echo/run', { input: { file_base64: 'aGk=' }, s3Config: s3Config(overrides) });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'invalid_request', field });
    expect(JSON.stringify(response.body)).not.toContain(s3.credentials.secretAccessKey);
    expect(JSON.stringify(response.body)).not.toContain('not-the-secret');
  });
});
