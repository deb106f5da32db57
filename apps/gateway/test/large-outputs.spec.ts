import { createHash, randomBytes } from 'node:crypto';
import type { INestMicroservice } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { BlobClaimCheck, BlobNotFoundError } from '@switchyard/blobs';
import { RedisKeys, type BlobRef } from '@switchyard/shared';
import { RetentionService } from '../src/retention/retention.service';
import { eventually, startEchoWorker, startTestPlatform, TEST_BLOB_DIR, type TestPlatform } from './support/platform';
import { WebhookReceiver } from './support/webhook-receiver';

/** Every entry added to the event stream while it runs, read with XRANGE as they come (the recorder trims acknowledged ones). */
class EventStreamTap {
  readonly sizes = new Map<string, number>();
  private running = true;
  private readonly loop: Promise<void>;

  constructor(redis: Redis, stream: string) {
    this.loop = (async () => {
      let last = await redis.xinfo('STREAM', stream).then(
        (info) => String((info as unknown[])[(info as unknown[]).indexOf('last-generated-id') + 1]),
        () => '0-0',
      );
      while (this.running) {
        const entries = (await redis.xrange(stream, `(${last}`, '+', 'COUNT', 100)) as [string, string[]][];
        for (const [id, fields] of entries) {
          last = id;
          this.sizes.set(
            id,
            fields.reduce((sum, field) => sum + Buffer.byteLength(field), 0),
          );
        }
        if (entries.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
  }

  async stop(): Promise<number[]> {
    this.running = false;
    await this.loop;
    return [...this.sizes.values()];
  }
}

const MB = 1024 * 1024;

/** Length and SHA-256 of a text: compares megabytes without printing them when they differ. */
function digest(text: string): { length: number; sha256: string } {
  return { length: text.length, sha256: createHash('sha256').update(text).digest('hex') };
}

/** An input whose text is random, so a copy that went wrong anywhere cannot look right. */
function randomInput(bytes: number): { data: string } {
  return {
    data: randomBytes(Math.ceil((bytes * 3) / 4))
      .toString('base64')
      .slice(0, bytes),
  };
}

describe('large outputs and inputs (claim check)', () => {
  let platform: TestPlatform;
  let tap: EventStreamTap;

  beforeAll(async () => {
    platform = await startTestPlatform();
  });

  beforeEach(() => {
    tap = new EventStreamTap(platform.stores.redis, new RedisKeys(platform.stores.prefix).queue('echo').events);
  });

  afterEach(() => tap.stop());

  afterAll(() => platform.close());

  async function recorded(jobId: string) {
    return eventually(async () => {
      const row = await platform.gateway.database.prisma.job.findUnique({ where: { id: jobId } });
      return row?.status === 'COMPLETED' && row;
    }, 20_000);
  }

  const claimCheck = () => BlobClaimCheck.fromConfig({ BLOB_STORE: 'local', BLOB_DIR: TEST_BLOB_DIR } as never);

  it('a 12 MB output by run is byte-identical through status, status-sync, the webhook and Postgres, and no stream entry passes a few KB', async () => {
    const { gateway } = platform;
    const receiver = await WebhookReceiver.start();
    try {
      // The contract's known fields come first once parsed, so `repeat` leads here too.
      const input = { repeat: 2, ...randomInput(4 * MB) };
      const expected = JSON.stringify({ echo: input, copies: [input, input] });
      expect(expected.length).toBeGreaterThan(12 * MB);

      const run = await gateway.request('POST', '/v2/echo/run', { input, webhook: receiver.url });
      expect(run.status).toBe(200);
      const synced = await gateway.request('GET', `/v2/echo/status-sync/${run.body.id}?wait=30000`);
      expect(synced.body.status).toBe('COMPLETED');
      expect(digest(JSON.stringify(synced.body.output))).toEqual(digest(expected));
      const status = await gateway.request('GET', `/v2/echo/status/${run.body.id}`);
      expect(digest(JSON.stringify(status.body.output))).toEqual(digest(expected));

      const [delivery] = await eventually(async () => receiver.received.length === 1 && receiver.received, 20_000);
      expect(digest(JSON.stringify(JSON.parse(delivery.body).output))).toEqual(digest(expected));

      // Postgres holds references, not bytes; the blobs they name hold the very same text.
      const row = await recorded(run.body.id);
      expect(row.output).toBeNull();
      expect(row.input).toBeNull();
      const outputRef = row.outputBlob as unknown as BlobRef;
      expect(outputRef).toMatchObject({ bytes: Buffer.byteLength(expected), contentType: 'application/json' });
      expect(digest(await claimCheck().load(outputRef))).toEqual(digest(expected));
      expect(digest(await claimCheck().load(row.inputBlob as unknown as BlobRef))).toEqual(digest(JSON.stringify(input)));

      const sizes = await tap.stop();
      expect(sizes.length).toBeGreaterThanOrEqual(3);
      expect(Math.max(...sizes)).toBeLessThan(4 * 1024);
    } finally {
      await receiver.close();
    }
  });

  it('a 12 MB input and output by runsync are stored once, referenced everywhere else', async () => {
    const { gateway } = platform;
    const input = randomInput(12 * MB);
    const expected = JSON.stringify({ echo: input });

    const response = await gateway.request('POST', '/v2/echo/runsync?wait=60000', { input });
    expect(response.body.status).toBe('COMPLETED');
    expect(digest(JSON.stringify(response.body.output))).toEqual(digest(expected));
    const status = await gateway.request('GET', `/v2/echo/status/${response.body.id}`);
    expect(digest(JSON.stringify(status.body.output))).toEqual(digest(expected));

    const row = await recorded(response.body.id);
    expect(digest(await claimCheck().load(row.outputBlob as unknown as BlobRef))).toEqual(digest(expected));
    expect((row.inputBlob as unknown as BlobRef).bytes).toBe(Buffer.byteLength(JSON.stringify(input)));

    const sizes = await tap.stop();
    expect(Math.max(...sizes)).toBeLessThan(4 * 1024);
  });

  it('answers a signed link instead of the output when asked (?output=url), served without a key and refused when tampered with', async () => {
    const { gateway } = platform;
    const input = randomInput(MB);
    const response = await gateway.request('POST', '/v2/echo/runsync?wait=30000&output=url', { input });
    expect(response.body.status).toBe('COMPLETED');
    expect(response.body.output).toBeUndefined();
    const link = response.body.outputUrl as { url: string; bytes: number; sha256: string; expiresAt: number };
    expect(link).toMatchObject({ contentType: 'application/json', bytes: Buffer.byteLength(JSON.stringify({ echo: input })) });

    const fetched = await fetch(link.url);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('content-type')).toContain('application/json');
    expect(digest(await fetched.text())).toEqual(digest(JSON.stringify({ echo: input })));

    const tampered = new URL(link.url);
    tampered.searchParams.set('expires', String(link.expiresAt + 60_000));
    expect((await fetch(tampered)).status).toBe(403);

    const viaStatus = await gateway.request('GET', `/v2/echo/status/${response.body.id}?output=url`);
    expect(viaStatus.body.outputUrl.sha256).toBe(link.sha256);
    await tap.stop();
  });

  it('keeps small outputs inline, in Redis and Postgres alike', async () => {
    const { gateway } = platform;
    const response = await gateway.request('POST', '/v2/echo/runsync?wait=30000&output=url', { input: { n: 1 } });
    expect(response.body.output).toEqual({ echo: { n: 1 } });
    const row = await recorded(response.body.id);
    expect(row.output).toEqual({ echo: { n: 1 } });
    expect(row.outputBlob).toBeNull();
    await tap.stop();
  });
});

describe('limits and expiry of large values', () => {
  let platform: TestPlatform;
  let worker: INestMicroservice;
  const limits = { BLOB_MAX_BYTES: String(800_000) };

  beforeAll(async () => {
    platform = await startTestPlatform({ echoWorker: false, config: limits });
    worker = await startEchoWorker(platform.stores.prefix, { blobs: limits });
  });

  afterAll(async () => {
    await worker.close();
    await platform.close();
  });

  it('fails a job whose output is over BLOB_MAX_BYTES, saying so, instead of truncating it', async () => {
    const response = await platform.gateway.request('POST', '/v2/echo/runsync?wait=30000', { input: { repeat: 1, ...randomInput(500_000) } });
    expect(response.body.status).toBe('FAILED');
    expect(JSON.parse(response.body.error)).toMatchObject({ error_type: 'PayloadTooLargeError', error_message: expect.stringContaining('output is') });
  });

  it('refuses an input over BLOB_MAX_BYTES with 413', async () => {
    const response = await platform.gateway.request('POST', '/v2/echo/run', { input: randomInput(900_000) });
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ code: 'payload_too_large' });
  });

  it('deletes blobs with their job in the retention sweep', async () => {
    const { gateway } = platform;
    const response = await gateway.request('POST', '/v2/echo/runsync?wait=30000', { input: randomInput(300_000), policy: { ttl: 60_000 } });
    expect(response.body.status).toBe('COMPLETED');
    const row = await eventually(async () => {
      const job = await gateway.database.prisma.job.findUnique({ where: { id: response.body.id } });
      return job?.status === 'COMPLETED' && job;
    });
    const claimCheck = gateway.app.get(BlobClaimCheck);
    const refs = [row.inputBlob, row.outputBlob] as unknown as BlobRef[];
    for (const ref of refs) await expect(claimCheck.store.get(ref.blob)).resolves.toBeInstanceOf(Buffer);

    const counts = await gateway.app.get(RetentionService).sweep(new Date(Date.now() + 120_000));
    expect(counts.blobs).toBeGreaterThanOrEqual(2);
    for (const ref of refs) await expect(claimCheck.store.get(ref.blob)).rejects.toBeInstanceOf(BlobNotFoundError);
  });
});
