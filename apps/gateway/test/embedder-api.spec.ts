import sharp from 'sharp';
import { startServer, unusedPort, type TestServer } from '../../../libs/outbound/test/support/test-server';
import { EmbedderWorkerUnderTest, startTestPlatform, type GatewayUnderTest, type TestPlatform } from './support/platform';

type BatchStats = Record<string, { batchesRun: number; itemsRun: number }>;
const VISION = 'openai/clip-vit-base-patch32/onnx/vision_model.onnx';

function norm(vector: readonly number[]): number {
  return Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
}

describe('embedder endpoint through the RunPod-compatible API', () => {
  let platform: TestPlatform;
  let gateway: GatewayUnderTest;
  let worker: EmbedderWorkerUnderTest;
  let images: TestServer;
  let photo: Buffer;
  let transparent: Buffer;

  const runsync = (input: unknown) => gateway.request('POST', '/v2/embedder/runsync?wait=20000', { input });
  const completed = async (input: unknown) => {
    const response = await runsync(input);
    expect(response.body).toMatchObject({ status: 'COMPLETED' });
    return response.body.output;
  };
  const failed = async (input: unknown) => {
    const response = await runsync(input);
    expect(response.body).toMatchObject({ status: 'FAILED' });
    return response.body.error as string;
  };

  beforeAll(async () => {
    photo = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 200, g: 30, b: 40 } } })
      .jpeg()
      .toBuffer();
    transparent = await sharp({ create: { width: 100, height: 300, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 0.3 } } })
      .png()
      .toBuffer();
    images = await startServer((request, response) => {
      const routes: Record<string, () => void> = {
        '/photo.jpg': () => response.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo),
        '/logo.png': () => response.writeHead(200, { 'content-type': 'image/png' }).end(transparent),
        '/page.html': () => response.writeHead(200, { 'content-type': 'text/html' }).end('<html>not an image</html>'),
        '/huge.png': () => response.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(300_000)),
        '/to-internal': () => response.writeHead(302, { location: `http://localhost:${images.port}/photo.jpg` }).end(),
      };
      (routes[request.path] ?? (() => response.writeHead(404).end()))();
    });
    platform = await startTestPlatform({ echoWorker: false });
    gateway = platform.gateway;
    // 127.0.0.1 (the test image server) is allowed by address; every other internal destination stays refused.
    worker = await EmbedderWorkerUnderTest.start(platform.stores.prefix, {
      EMBEDDER_IMAGE_FETCH_ALLOW: '127.0.0.1',
      EMBEDDER_MAX_IMAGE_BYTES: '200000',
      EMBEDDER_IMAGE_FETCH_TIMEOUT_MS: '2000',
      EMBEDDER_BATCH_WAIT_MS: '40',
    });
  });

  afterAll(async () => {
    await worker?.close();
    await platform?.close();
    await images?.close();
  });

  describe('every input form', () => {
    it('embeds `text` as the seed did, L2-normalized, with the tokens read and the model’s limit', async () => {
      const output = await completed({ text: 'red leather shoes' });
      expect(output).toEqual({
        vector: expect.any(Array),
        dimensions: 384,
        model: 'sentence-transformers/all-MiniLM-L6-v2',
        type: 'text',
        latency_ms: expect.any(Number),
        tokens: 5,
        max_tokens: 256,
        truncated: false,
        execution_provider: 'cpu',
      });
      expect(output.vector).toHaveLength(384);
      expect(norm(output.vector)).toBeCloseTo(1, 5);
    });

    it('embeds `texts` with count and average latency, marking the text cut at 256 tokens', async () => {
      const output = await completed({ texts: ['red leather shoes', 'blue cotton jacket', 'word '.repeat(400)] });
      expect(output).toMatchObject({ count: 3, dimensions: 384, type: 'text', truncated: [false, false, true], avg_latency_per_item_ms: expect.any(Number) });
      expect(output.vectors).toHaveLength(3);
      expect(output.vectors[0]).not.toEqual(output.vectors[1]);
    });

    it('embeds `text` with CLIP’s text tower when the CLIP model is asked for', async () => {
      const output = await completed({ text: 'a photo of a red shoe', model: 'openai/clip-vit-base-patch32' });
      expect(output).toMatchObject({ dimensions: 512, model: 'openai/clip-vit-base-patch32', type: 'text', max_tokens: 77 });
    });

    it('embeds `image_url` and `image_urls` fetched over HTTP', async () => {
      const single = await completed({ image_url: `${images.origin}/photo.jpg` });
      expect(single).toEqual({
        vector: expect.any(Array),
        dimensions: 512,
        model: 'openai/clip-vit-base-patch32',
        type: 'image',
        latency_ms: expect.any(Number),
        execution_provider: 'cpu',
      });
      expect(norm(single.vector)).toBeCloseTo(1, 5);
      const list = await completed({ image_urls: [`${images.origin}/photo.jpg`, `${images.origin}/logo.png`] });
      expect(list).toMatchObject({ count: 2, dimensions: 512, type: 'image' });
      list.vectors[0].forEach((value: number, i: number) => expect(value).toBeCloseTo(single.vector[i], 5));
    });

    it('embeds `image_base64` and `images_base64`, bare or as data URIs, like the same image by URL', async () => {
      const byUrl = await completed({ image_url: `${images.origin}/logo.png` });
      const single = await completed({ image_base64: transparent.toString('base64') });
      const list = await completed({ images_base64: [`data:image/png;base64,${transparent.toString('base64')}`, photo.toString('base64')] });
      single.vector.forEach((value: number, i: number) => expect(value).toBeCloseTo(byUrl.vector[i], 5));
      list.vectors[0].forEach((value: number, i: number) => expect(value).toBeCloseTo(byUrl.vector[i], 5));
      expect(list.count).toBe(2);
    });

    it('keeps the first `dimensions` and normalizes them again', async () => {
      const output = await completed({ text: 'red leather shoes', dimensions: 128 });
      expect(output.dimensions).toBe(128);
      expect(output.vector).toHaveLength(128);
      expect(norm(output.vector)).toBeCloseTo(1, 5);
    });

    it('runs asynchronously with /run and /status like any endpoint', async () => {
      const run = await gateway.request('POST', '/v2/embedder/run', { input: { texts: ['a', 'b'] } });
      expect(run.body).toEqual({ id: expect.any(String), status: 'IN_QUEUE' });
      const status = await gateway.request('GET', `/v2/embedder/status-sync/${run.body.id}?wait=10000`);
      expect(status.body).toMatchObject({ status: 'COMPLETED', output: { count: 2, dimensions: 384 } });
    });
  });

  describe('input the gateway refuses with a 400', () => {
    const refused = async (input: unknown) => {
      const response = await gateway.request('POST', '/v2/embedder/run', { input });
      expect(response.status).toBe(400);
      return response.body;
    };

    it('answers wrong, missing or conflicting keys with the seed’s error shape', async () => {
      const expectedKeys = ['text', 'texts', 'image_url', 'image_urls', 'image_base64', 'images_base64'];
      expect(await refused({ invalid_key: 'x' })).toMatchObject({
        error: 'Invalid input format',
        field: 'input',
        received_keys: ['invalid_key'],
        expected_keys: expectedKeys,
      });
      expect(await refused({})).toMatchObject({ received_keys: [], expected_keys: expectedKeys });
      expect(await refused({ text: 'a', texts: ['b'] })).toMatchObject({ received_keys: ['text', 'texts'] });
    });

    it('refuses empty lists, non-strings, empty and over-long texts', async () => {
      expect((await refused({ texts: [] })).error).toBe("input.texts: 'texts' list cannot be empty");
      expect((await refused({ image_urls: [] })).error).toBe("input.image_urls: 'image_urls' list cannot be empty");
      expect((await refused({ texts: ['ok', 42] })).error).toBe('input.texts.1: must be a string');
      expect((await refused({ text: 7 })).error).toBe('input.text: must be a string');
      expect((await refused({ text: '' })).error).toBe('input.text: must not be empty');
      expect((await refused({ text: 'x'.repeat(32_769) })).error).toBe('input.text: is longer than the limit of 32768 characters');
      expect((await refused({ texts: Array.from({ length: 1025 }, () => 'x') })).error).toBe("input.texts: 'texts' has more than the limit of 1024 items");
    });

    it('refuses invalid base64, URLs that are not http(s), unknown models and impossible dimensions', async () => {
      expect((await refused({ image_base64: 'not base64!' })).error).toMatch(/^input\.image_base64: is not valid base64/);
      expect((await refused({ image_url: 'ftp://example.com/a.png' })).error).toBe('input.image_url: must be an http or https URL');
      expect((await refused({ text: 'a', model: 'gpt-4' })).error).toMatch(/^input\.model: unknown model "gpt-4"/);
      expect((await refused({ image_url: 'https://example.com/a.png', model: 'all-MiniLM-L6-v2' })).error).toBe(
        'input.model: sentence-transformers/all-MiniLM-L6-v2 cannot embed images; use openai/clip-vit-base-patch32',
      );
      expect((await refused({ text: 'a', dimensions: 385 })).error).toBe(
        'input.dimensions: must be at most 384, the dimensions of sentence-transformers/all-MiniLM-L6-v2',
      );
    });
  });

  describe('images the worker cannot use fail their job with a clear error', () => {
    it('reports an error status, an unreachable host, a non-image type and an oversized image', async () => {
      expect(await failed({ image_url: `${images.origin}/missing.png` })).toBe('Failed to download image: 404 Not Found');
      const port = await unusedPort();
      expect(await failed({ image_url: `http://127.0.0.1:${port}/a.png` })).toMatch(
        /^Failed to download image: Connection to http:\/\/127\.0\.0\.1:\d+ failed/,
      );
      expect(await failed({ image_url: `${images.origin}/page.html` })).toMatch(/^Failed to download image: .*content-type "text\/html"/);
      expect(await failed({ image_url: `${images.origin}/huge.png` })).toMatch(/^Image too large: .* sent more than the limit of 200000 bytes/);
    });

    it('refuses internal addresses (SSRF), also behind a redirect', async () => {
      expect(await failed({ image_url: `http://localhost:${images.port}/photo.jpg` })).toMatch(/Refused .*localhost is a local-network name/);
      expect(await failed({ image_url: 'http://169.254.169.254/latest/meta-data/' })).toMatch(/Refused .*cloud metadata service/);
      expect(await failed({ image_url: 'http://10.0.0.7/photo.jpg' })).toMatch(/Refused .*10\.0\.0\.7 is private/);
      expect(await failed({ image_url: 'http://[::1]/photo.jpg' })).toMatch(/Refused .*is loopback/);
      expect(await failed({ image_urls: [`${images.origin}/photo.jpg`, `${images.origin}/to-internal`] })).toMatch(
        /^image_urls\[1\]: Failed to download image: Refused .*localhost/,
      );
    });

    it('reports base64 that does not decode to an image', async () => {
      expect(await failed({ image_base64: Buffer.from('plain text, not pixels').toString('base64') })).toBe(
        'Invalid image: Input buffer contains unsupported image format',
      );
    });

    it('never fails the jobs batched with a bad one', async () => {
      const before = (worker.embeddings.describe().batching as BatchStats)[VISION];
      const good = photo.toString('base64');
      const results = await Promise.all([
        runsync({ image_base64: good }),
        runsync({ image_base64: Buffer.from('broken').toString('base64') }),
        runsync({ image_urls: [`${images.origin}/photo.jpg`, `${images.origin}/nowhere.png`] }),
        runsync({ images_base64: [good, good] }),
        runsync({ image_url: `${images.origin}/logo.png` }),
      ]);
      expect(results.map((result) => result.body.status)).toEqual(['COMPLETED', 'FAILED', 'FAILED', 'COMPLETED', 'COMPLETED']);
      expect(results[3].body.output.count).toBe(2);
      const after = (worker.embeddings.describe().batching as BatchStats)[VISION];
      // The good images shared runs: fewer batches than images.
      expect(after.batchesRun - before.batchesRun).toBeLessThan(after.itemsRun - before.itemsRun);
    });
  });
});
