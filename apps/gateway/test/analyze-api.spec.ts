import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { ApiKeyManager } from '../src/auth/api-key-manager';
import { startServer, type TestServer } from '../../../libs/outbound/test/support/test-server';
import { A1111_PARAMETERS, MANIFEST } from '../../../libs/provenance/test/support/fixtures';
import { app11Segments, text, withJpegSegments, withPngChunks } from '../../../libs/provenance/test/support/containers';
import { API_KEY, DetectorWorkerUnderTest, gatewayConfig, GatewayUnderTest, startTestPlatform, type TestPlatform } from './support/platform';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A photo-like image: smooth gradients and a few shapes, so that a re-encoding keeps its perceptual hash close. */
async function photo(seed: number, width = 480, height = 360): Promise<sharp.Sharp> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const inCircle = (x - ((seed * 97) % width)) ** 2 + (y - ((seed * 61) % height)) ** 2 < (height / 4) ** 2;
      raw[i] = inCircle ? 230 : Math.round((255 * x) / width);
      raw[i + 1] = Math.round((255 * (seed % 2 ? y : height - y)) / height);
      raw[i + 2] = x > width * 0.7 ? 40 : 160;
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } });
}

describe('POST /v1/analyze', () => {
  let platform: TestPlatform;
  let gateway: GatewayUnderTest;
  let trusting: GatewayUnderTest;
  let worker: DetectorWorkerUnderTest;
  let images: TestServer;
  let jpeg: Buffer;
  let betaKey: string;

  /** A multipart upload, as the web page and curl -F send it. */
  async function upload(bytes: Buffer, options: { filename?: string; sourceUrl?: string; key?: string; through?: GatewayUnderTest; field?: string } = {}) {
    const form = new FormData();
    form.append(options.field ?? 'file', new Blob([new Uint8Array(bytes)]), options.filename ?? 'upload.bin');
    if (options.sourceUrl) form.append('sourceUrl', options.sourceUrl);
    const response = await fetch(`${(options.through ?? gateway).baseUrl}/v1/analyze`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.key ?? API_KEY}` },
      body: form,
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }
  const analyzeJson = (body: unknown) => gateway.request('POST', '/v1/analyze', body);
  const ok = async (result: Promise<{ status: number; body: Record<string, any> }>) => {
    const { status, body } = await result;
    expect({ status, error: body.error }).toEqual({ status: 200, error: undefined });
    return body;
  };

  beforeAll(async () => {
    jpeg = await (await photo(1)).jpeg({ quality: 92 }).toBuffer();
    images = await startServer((request, response) => {
      if (request.path === '/photo.jpg') response.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg);
      else response.writeHead(404).end();
    });
    platform = await startTestPlatform({ echoWorker: false, config: { ANALYZE_IMAGE_FETCH_ALLOW: '127.0.0.1', RATE_LIMIT_MULTIPLIER: '100' } });
    gateway = platform.gateway;
    trusting = await GatewayUnderTest.start(
      gatewayConfig({
        REDIS_PREFIX: platform.stores.prefix,
        DATABASE_URL: platform.stores.databaseUrl,
        ANALYZE_TRUST_NEAR_DUPLICATES: 'true',
        GATEWAY_ROLES: 'api',
      }),
    );
    worker = await DetectorWorkerUnderTest.start(platform.stores.prefix);
    const manager = gateway.app.get(ApiKeyManager);
    await manager.createProject('beta');
    betaKey = (await manager.create({ name: 'beta-rw', projectId: 'beta' })).key;
  }, 120_000);

  afterAll(async () => {
    await worker?.close();
    await trusting?.close();
    await platform?.close();
    await images?.close();
  });

  describe('a verdict', () => {
    let first: Record<string, any>;

    it('scores an upload with a spai job, fuses it with the (absent) evidence and says what decided', async () => {
      first = await ok(upload(jpeg, { filename: 'holiday.jpg' }));
      expect(first).toMatchObject({
        sha256: sha256(jpeg),
        cache_hit: false,
        near_duplicate_of: null,
        decided_by: 'model',
        evidence: [],
        deciding_evidence: [],
        c2pa: null,
        image: { width: 480, height: 360, format: 'jpeg', bytes: jpeg.length },
        model: { name: 'spai', version: 'mever-team/spai@local', threshold: 0.5, patches_used: 5, patches_total: 5, job_id: expect.any(String) },
      });
      expect(first.score).toBe(first.model.score);
      expect(first.is_ai_generated).toBe(first.score >= 0.5);
      expect(first.confidence).toBeCloseTo(Math.min(1, Math.max(0.5, first.is_ai_generated ? first.score : 1 - first.score)), 12);
      // The job is an ordinary spai job: recorded and visible through the RunPod API, with the score answered.
      const job = await gateway.request('GET', `/v2/spai/status/${first.model.job_id}`);
      expect(job.body).toMatchObject({ status: 'COMPLETED', output: { score: first.score, image_size: { width: 480, height: 360 } } });
    });

    it('answers the same bytes from the verdict cache, with no job', async () => {
      const again = await ok(upload(jpeg));
      expect(again).toEqual({ ...first, cache_hit: true, latency_ms: expect.any(Number) });
      expect(worker.spai.detector.stats().aggregations).toBe(1);
    });

    it('keeps verdicts per project: another project misses the cache and gets its own job', async () => {
      const beta = await ok(upload(jpeg, { key: betaKey }));
      expect(beta).toMatchObject({ sha256: first.sha256, cache_hit: false, near_duplicate_of: null });
      expect(beta.model.job_id).not.toBe(first.model.job_id);
      // And that job is beta's alone.
      expect((await gateway.request('GET', `/v2/spai/status/${beta.model.job_id}`)).status).toBe(404);
    });

    it('finds a near duplicate (the same photo at another JPEG quality) and still runs the model', async () => {
      const requality = await (await photo(1)).jpeg({ quality: 55 }).toBuffer();
      const near = await ok(upload(requality));
      expect(near.near_duplicate_of).toEqual({ sha256: first.sha256, distance: expect.any(Number), label: first.label });
      expect(near.near_duplicate_of.distance).toBeLessThanOrEqual(10);
      expect(near.model.job_id).not.toBe(first.model.job_id);
      expect(near.model.reused_from).toBeUndefined();
    });

    it("reuses a near duplicate's score when configured to trust them", async () => {
      const resized = await (await photo(1)).resize(360, 270).jpeg({ quality: 80 }).toBuffer();
      const reused = await ok(upload(resized, { through: trusting }));
      expect(reused.near_duplicate_of).toMatchObject({ distance: expect.any(Number) });
      expect(reused.model).toMatchObject({ reused_from: reused.near_duplicate_of.sha256, score: expect.any(Number) });
    });

    it('does not take a different image for a near duplicate', async () => {
      const other = await (await photo(5)).rotate(90).jpeg().toBuffer();
      expect((await ok(upload(other))).near_duplicate_of).toBeNull();
    });
  });

  describe('provenance evidence', () => {
    it('calls a PNG with an A1111 `parameters` chunk AI-generated whatever the model says, confidence ≥ 0.95', async () => {
      const png = withPngChunks(await (await photo(2)).png().toBuffer(), [text('parameters', A1111_PARAMETERS)]);
      const result = await ok(upload(png, { filename: 'castle.png' }));
      expect(result).toMatchObject({ is_ai_generated: true, label: 'ai_generated', image: { format: 'png' } });
      expect(result.confidence).toBeGreaterThanOrEqual(0.95);
      expect(result.decided_by).toBe(result.model.is_ai_generated ? 'model_and_evidence' : 'evidence');
      expect(result.deciding_evidence).toEqual([expect.objectContaining({ source: 'png-text', strength: 'strong' })]);
      expect(result.evidence).toEqual(result.deciding_evidence);
    });

    it('reads a C2PA manifest declaring trainedAlgorithmicMedia in a JPEG, its signature unverified', async () => {
      const credentialed = withJpegSegments(await (await photo(3)).jpeg().toBuffer(), app11Segments(MANIFEST, 1));
      const result = await ok(upload(credentialed));
      expect(result.is_ai_generated).toBe(true);
      expect(result.deciding_evidence).toContainEqual(expect.objectContaining({ source: 'c2pa', strength: 'strong' }));
      expect(result.c2pa).toMatchObject({ signature: expect.stringMatching(/^(invalid|unverified)$/) });
    });

    it('takes a filename and a source URL as weak evidence, which decides nothing', async () => {
      const plain = await (await photo(4)).jpeg().toBuffer();
      const result = await ok(upload(plain, { filename: 'midjourney_render.jpg', sourceUrl: 'https://cdn.midjourney.com/abc/0_0.png' }));
      expect(result.evidence.length).toBeGreaterThan(0);
      expect(result.evidence.every((item: { strength: string }) => item.strength === 'weak')).toBe(true);
      expect(result).toMatchObject({ decided_by: 'model', deciding_evidence: [] });
    });
  });

  describe('JSON bodies', () => {
    it('takes image_base64 (bare or a data URL) and image_url, fetched with the SSRF-safe client', async () => {
      const other = await (await photo(6)).jpeg().toBuffer();
      const byBase64 = await ok(analyzeJson({ image_base64: `data:image/jpeg;base64,${other.toString('base64')}` }));
      expect(byBase64).toMatchObject({ sha256: sha256(other), cache_hit: false });
      const byUrl = await ok(analyzeJson({ image_url: `${images.origin}/photo.jpg` }));
      expect(byUrl).toMatchObject({ sha256: sha256(jpeg), cache_hit: true });
    });
  });

  describe('bad input gets a 4xx naming the field, and never a crash', () => {
    const failure = async (result: Promise<{ status: number; body: Record<string, any> }>) => {
      const { status, body } = await result;
      return { status, error: body.error as string, field: body.field as string | undefined };
    };

    it('refuses a missing file, a wrong field, a non-image, a truncated image and an unknown form field', async () => {
      const form = new FormData();
      form.append('sourceUrl', 'https://example.com/x.png');
      const noFile = await fetch(`${gateway.baseUrl}/v1/analyze`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}` }, body: form });
      expect(noFile.status).toBe(400);
      expect(await noFile.json()).toMatchObject({ field: 'file', error: expect.stringMatching(/^file: is required/) });
      expect(await failure(upload(jpeg, { field: 'image' }))).toMatchObject({ status: 400, field: 'image' });
      expect(await failure(upload(Buffer.from('%PDF-1.4 not an image')))).toMatchObject({ status: 415, field: 'file' });
      expect(await failure(upload(jpeg.subarray(0, 300)))).toMatchObject({ status: 415, field: 'file' });
      expect(await failure(upload(Buffer.alloc(0)))).toMatchObject({ status: 400, field: 'file' });
    });

    it('refuses a decompression bomb from its header, and an upload past the size limit', async () => {
      const bomb = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } })
        .png()
        .toBuffer();
      bomb.writeUInt32BE(20_000, 16);
      bomb.writeUInt32BE(20_000, 20);
      expect(await failure(upload(bomb))).toMatchObject({ status: expect.any(Number), field: 'file' });
      expect((await failure(upload(bomb))).status).toBeGreaterThanOrEqual(413);
      expect(await failure(upload(Buffer.alloc(15 * 1024 * 1024, 1)))).toMatchObject({ status: 413, error: expect.stringMatching(/larger than the limit/) });
    });

    it('refuses bad JSON bodies and internal image URLs', async () => {
      expect(await failure(analyzeJson({}))).toMatchObject({ status: 400, error: 'body: send exactly one of image_url and image_base64' });
      expect(await failure(analyzeJson({ image_url: 'https://example.com/a.png', image_base64: 'AAAA' }))).toMatchObject({
        status: 400,
        field: 'image_base64',
      });
      expect(await failure(analyzeJson({ image_base64: 'AAAA', colour: 'red' }))).toMatchObject({ status: 400, field: 'colour' });
      expect(await failure(analyzeJson({ image_url: 'ftp://example.com/a.png' }))).toMatchObject({ status: 400, field: 'image_url' });
      expect(await failure(analyzeJson({ image_url: 'http://169.254.169.254/latest/meta-data' }))).toMatchObject({
        status: 422,
        field: 'image_url',
        error: expect.stringMatching(/^image_url: Failed to download image: Refused/),
      });
      const wrongType = await fetch(`${gateway.baseUrl}/v1/analyze`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'text/plain' },
        body: 'hello',
      });
      expect(wrongType.status).toBe(415);
    });

    it('refuses a missing key in the API’s own error shape', async () => {
      const response = await fetch(`${gateway.baseUrl}/v1/analyze`, { method: 'POST', body: new FormData() });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ code: 'unauthorized', error: expect.any(String) });
    });
  });
});
