import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { SPAI_FEATURE_DIM, SPAI_FOLDERS, spaiPatches, type ChwImage } from '@switchyard/image-detection';
import { startServer, type TestServer } from '../../../libs/outbound/test/support/test-server';
import { DetectorWorkerUnderTest, startTestPlatform, type GatewayUnderTest, type TestPlatform } from './support/platform';

/** The seed's sample: a 1×1 PNG. */
const BASE64_PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** SPAI's logit computed apart: the bare graphs of the replica fed by position, one patch per run, sigmoid in float64. */
async function referenceScore(modelsDir: string, bytes: Buffer, maxPatches: number): Promise<number> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const plane = info.width * info.height;
  const chw = new Float32Array(3 * plane);
  for (let pixel = 0; pixel < plane; pixel++) for (let c = 0; c < 3; c++) chw[c * plane + pixel] = data[pixel * 3 + c] / 255;
  const image: ChwImage = { data: chw, channels: 3, height: info.height, width: info.width };
  const folder = join(modelsDir, 'tiny/mever-team/spai', SPAI_FOLDERS.default);
  const encoder = await ort.InferenceSession.create(join(folder, 'patch_encoder.onnx'));
  const aggregator = await ort.InferenceSession.create(join(folder, 'patch_aggregator.onnx'));
  const { plan, patches } = spaiPatches(image, { maxPatches });
  const size = 3 * 224 * 224;
  const features = new Float32Array(plan.used * SPAI_FEATURE_DIM);
  for (let p = 0; p < plan.used; p++) {
    const out = await encoder.run({ [encoder.inputNames[0]]: new ort.Tensor('float32', patches.slice(p * size, (p + 1) * size), [1, 3, 224, 224]) });
    features.set(out[encoder.outputNames[0]].data as Float32Array, p * SPAI_FEATURE_DIM);
  }
  const out = await aggregator.run({ [aggregator.inputNames[0]]: new ort.Tensor('float32', features, [1, plan.used, SPAI_FEATURE_DIM]) });
  await Promise.all([encoder.release(), aggregator.release()]);
  const logit = (out[aggregator.outputNames[0]].data as Float32Array)[0];
  return 1 / (1 + Math.exp(-logit));
}

describe('spai endpoint through the RunPod-compatible API', () => {
  let platform: TestPlatform;
  let gateway: GatewayUnderTest;
  let worker: DetectorWorkerUnderTest;
  let images: TestServer;
  let photo: Buffer;

  const runsync = (input: unknown, endpoint = 'spai') => gateway.request('POST', `/v2/${endpoint}/runsync?wait=30000`, { input });
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
  const refused = async (input: unknown) => {
    const response = await gateway.request('POST', '/v2/spai/run', { input });
    expect(response.status).toBe(400);
    return response.body;
  };

  beforeAll(async () => {
    const raw = Buffer.alloc(500 * 300 * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 7 + (i % 500) * 3) % 256;
    photo = await sharp(raw, { raw: { width: 500, height: 300, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer();
    images = await startServer((request, response) => {
      const routes: Record<string, () => void> = {
        '/photo.jpg': () => response.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo),
        '/page.html': () => response.writeHead(200, { 'content-type': 'text/html' }).end('<html>not an image</html>'),
        '/to-internal': () => response.writeHead(302, { location: 'http://10.0.0.1/photo.jpg' }).end(),
      };
      (routes[request.path] ?? (() => response.writeHead(404).end()))();
    });
    platform = await startTestPlatform({ echoWorker: false, config: { ENDPOINT_ALIASES: 'q7k2runpodid=spai' } });
    gateway = platform.gateway;
    // 127.0.0.1 (the test image server) is allowed by address; every other internal destination stays refused.
    worker = await DetectorWorkerUnderTest.start(platform.stores.prefix, {
      SPAI_IMAGE_FETCH_ALLOW: '127.0.0.1',
      SPAI_IMAGE_FETCH_TIMEOUT_MS: '3000',
      SPAI_MAX_IMAGE_PIXELS: '4000000',
      SPAI_MAX_PATCHES: '4',
    });
  });

  afterAll(async () => {
    await worker?.close();
    await platform?.close();
    await images?.close();
  });

  describe("the seed's curl calls", () => {
    it('answers the health check once the model is loaded', async () => {
      expect(await completed({ health_check: true })).toEqual({ status: 'ok', message: 'spai-ready' });
    });

    it('scores the 1×1 PNG sample: padded to 224, five-cropped, the score the bare graphs give', async () => {
      const output = await completed({ image_base64: BASE64_PIXEL });
      const expected = await referenceScore(worker.modelsDir, Buffer.from(BASE64_PIXEL, 'base64'), 4);
      expect(Math.abs(output.score - expected)).toBeLessThan(1e-5);
      expect(output).toEqual({
        is_ai_generated: output.score >= 0.5,
        score: output.score,
        label: output.score >= 0.5 ? 'ai_generated' : 'authentic',
        probabilities: { ai_generated: output.score, authentic: 1 - output.score },
        threshold: 0.5,
        model: 'spai',
        model_version: 'mever-team/spai@local',
        image_size: { width: 1, height: 1 },
        patch_mode: 'five-crop',
        patches_used: 4,
        patches_total: 5,
        patches_capped: true,
        latency_ms: expect.any(Number),
        timings_ms: { decode: expect.any(Number), encoder: expect.any(Number), aggregator: expect.any(Number) },
        execution_provider: 'cpu',
      });
      // Neither of the seed handler's bugs: the score is the model's, not a constant 1.0.
      expect(output.score).toBeGreaterThan(0);
      expect(output.score).toBeLessThan(1);
    });

    it("serves an operator's old RunPod endpoint id through ENDPOINT_ALIASES", async () => {
      const response = await runsync({ image_base64: BASE64_PIXEL }, 'q7k2runpodid');
      expect(response.body).toMatchObject({ status: 'COMPLETED', output: { model: 'spai', image_size: { width: 1, height: 1 } } });
    });
  });

  describe('every input form', () => {
    it('fetches image_url with the SSRF-safe client, and reads `image` as a URL, a data URL or bare base64', async () => {
      const byUrl = await completed({ image_url: `${images.origin}/photo.jpg` });
      expect(byUrl).toMatchObject({ image_size: { width: 500, height: 300 }, patch_mode: 'five-crop', timings_ms: { fetch: expect.any(Number) } });
      expect(Math.abs(byUrl.score - (await referenceScore(worker.modelsDir, photo, 4)))).toBeLessThan(1e-5);
      const dataUrl = `data:image/jpeg;base64,${photo.toString('base64')}`;
      for (const image of [`${images.origin}/photo.jpg`, dataUrl, photo.toString('base64')]) {
        expect((await completed({ image })).score).toBeCloseTo(byUrl.score, 6);
      }
    });

    it('takes a per-request threshold and a lower patch cap', async () => {
      const base = await completed({ image_base64: BASE64_PIXEL });
      const strict = await completed({ image_base64: BASE64_PIXEL, threshold: Math.min(0.999, base.score + 0.001) });
      expect(strict).toMatchObject({ is_ai_generated: false, label: 'authentic', threshold: Math.min(0.999, base.score + 0.001) });
      const lenient = await completed({ image_base64: BASE64_PIXEL, threshold: Math.max(0.001, base.score - 0.001) });
      expect(lenient).toMatchObject({ is_ai_generated: true, label: 'ai_generated' });
      expect(await completed({ image_base64: BASE64_PIXEL, max_patches: 2 })).toMatchObject({ patches_used: 2, patches_total: 5 });
      // Above the worker's cap, the cap holds.
      expect(await completed({ image_base64: BASE64_PIXEL, max_patches: 50 })).toMatchObject({ patches_used: 4 });
    });
  });

  describe('input the gateway refuses with a 400 naming the field', () => {
    it('refuses no image, two images, unknown fields and bad options', async () => {
      expect(await refused({})).toMatchObject({ error: 'input: needs an image: image_base64, image_url or image (or health_check: true)' });
      expect(await refused({ image_base64: BASE64_PIXEL, image_url: 'https://example.com/a.png' })).toMatchObject({
        error: 'input.image_url: give one image, not image_base64 and image_url',
      });
      expect((await refused({ image_base64: BASE64_PIXEL, imgae: 'x' })).error).toMatch(/^input\.imgae: is not a field of spai/);
      expect((await refused({ image_base64: BASE64_PIXEL, threshold: 2 })).error).toBe('input.threshold: must be below 1');
      expect((await refused({ image_base64: BASE64_PIXEL, max_patches: 0 })).error).toBe('input.max_patches: must be at least 1');
      expect((await refused({ image_base64: 'not base64!' })).error).toMatch(/^input\.image_base64: is not valid base64/);
      expect((await refused({ image_url: 'ftp://example.com/a.png' })).error).toBe('input.image_url: must be an http or https URL');
      expect((await refused({ image: 'file:///etc/passwd' })).error).toMatch(/^input\.image: is not valid base64/);
      expect((await refused({ health_check: 'yes' })).error).toBe('input.health_check: must be true or false');
    });
  });

  describe('bad images fail the job with a clear error and never the worker', () => {
    it('fails non-images, truncated and corrupt files', async () => {
      expect(await failed({ image_base64: Buffer.from('<html>not an image</html>').toString('base64') })).toMatch(/^Cannot decode the image/);
      expect(await failed({ image_base64: photo.subarray(0, photo.length / 2).toString('base64') })).toMatch(/^Cannot decode the image/);
      const corrupt = Buffer.from(photo);
      corrupt.fill(0xff, 200, 600);
      expect(await failed({ image_base64: corrupt.toString('base64') })).toMatch(/^Cannot decode the image/);
      for (const format of ['png', 'webp'] as const) {
        const encoded = await sharp(photo).toFormat(format).toBuffer();
        expect(await failed({ image_base64: encoded.subarray(0, encoded.length / 2).toString('base64') })).toMatch(/^Cannot decode the image/);
      }
    });

    it('refuses a decompression bomb from its header', async () => {
      const png = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } })
        .png()
        .toBuffer();
      // IHDR's width and height (bytes 16–23) rewritten to 30000×30000, its CRC left stale: the header is read first.
      png.writeUInt32BE(30_000, 16);
      png.writeUInt32BE(30_000, 20);
      expect(await failed({ image_base64: png.toString('base64') })).toMatch(/^(Image too large: 30000×30000 pixels|Cannot decode the image)/);
    });

    it('refuses internal addresses, also behind a redirect, and pages that are not images', async () => {
      expect(await failed({ image_url: 'http://169.254.169.254/latest/meta-data' })).toMatch(/^Failed to download image: Refused/);
      expect(await failed({ image_url: `${images.origin}/to-internal` })).toMatch(/^Failed to download image: Refused/);
      expect(await failed({ image_url: `${images.origin}/page.html` })).toMatch(/^Failed to download image/);
      expect(await failed({ image_url: `${images.origin}/missing.png` })).toBe('Failed to download image: 404 Not Found');
    });

    it('still serves after all of that', async () => {
      expect(await completed({ health_check: true })).toEqual({ status: 'ok', message: 'spai-ready' });
    });
  });
});
