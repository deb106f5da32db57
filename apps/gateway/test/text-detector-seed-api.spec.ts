import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { DEFAULT_TEXT_MODEL_ID } from '@switchyard/text-detection';
import { launchChromium } from './support/chromium';
import { API_KEY, createTestStores, DetectorWorkerUnderTest, eventually, gatewayConfig, GatewayUnderTest } from './support/platform';

/**
 * The seed's text-detector API at /text-detector, as the seed's Python client calls it (httpx
 * POSTs of {text, model_id}), over the platform: the router picks the local queue (the detector
 * worker) or the browser, and the browser client gives what the server gives.
 */
const MODEL = DEFAULT_TEXT_MODEL_ID;
const encodedModel = encodeURIComponent(MODEL);
const LONG_TEXT = Array.from({ length: 110 }, (_, i) => `Sentence ${i} of a long essay that a model may or may not have written.`).join(' ');

describe('the seed text-detector API', () => {
  let stores: Awaited<ReturnType<typeof createTestStores>>;
  let detector: DetectorWorkerUnderTest;
  let gateway: GatewayUnderTest;
  let browser: Browser | undefined;
  const savedEnv = { MODEL_DIR: process.env.MODEL_DIR, MODEL_CACHE_DIR: process.env.MODEL_CACHE_DIR };

  beforeAll(async () => {
    stores = await createTestStores();
    detector = await DetectorWorkerUnderTest.start(stores.prefix, {}, { textDetector: true });
    // The gateway reads the same model folder for the browser's downloads.
    process.env.MODEL_DIR = join(detector.modelsDir, 'tiny');
    process.env.MODEL_CACHE_DIR = join(detector.modelsDir, 'gateway-cache');
    gateway = await GatewayUnderTest.start(gatewayConfig({ REDIS_PREFIX: stores.prefix, DATABASE_URL: stores.databaseUrl, ROUTING_SAMPLE_MS: '50' }));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await gateway.close();
    await detector.close().catch(() => undefined);
    await stores.cleanup();
    Object.assign(process.env, savedEnv);
  });

  const post = (path: string, body: unknown) => gateway.request('POST', `/text-detector${path}`, body);
  const get = (path: string, headers: Record<string, string> = {}) => gateway.request('GET', `/text-detector${path}`, undefined, headers);

  it('describes itself, its health, models and backends as the seed does', async () => {
    expect((await get('')).body).toMatchObject({ default_model: MODEL });
    const health = (await get('/health')).body;
    expect(health).toMatchObject({
      status: 'healthy',
      backends: { local: { status: 'healthy' }, remote: { status: 'not_configured' }, client_side: { status: 'healthy' } },
      available_models: [MODEL],
    });
    const models = (await get('/models')).body;
    expect(Object.keys(models.configured_models)).toEqual([MODEL]);
    expect(models.configured_models[MODEL]).toMatchObject({
      size_category: 'small',
      preferred_backend: 'local',
      fallback_backends: ['client'],
      machine_label: 'Fake',
      labels: { 0: 'Fake', 1: 'Real' },
      max_length: 512,
    });
    expect((await get(`/models/${encodedModel}/info`)).body).toEqual(models.configured_models[MODEL]);
    expect((await get('/backends')).body).toMatchObject({ backends: ['local', 'remote', 'client'], default_backend: 'local' });
  });

  it('answers a browser the page, cross-origin isolated', async () => {
    const page = await get('/', { accept: 'text/html,application/xhtml+xml' });
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(page.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
  });

  it('predicts on the local queue with the seed’s fields, as the model computes it', async () => {
    const answer = await post('/predict', { text: 'The quick brown fox jumps over the lazy dog.', model_id: MODEL });
    expect(answer.status).toBe(200);
    const direct = await detector.textDetector!.handle({ text: 'The quick brown fox jumps over the lazy dog.' });
    const result = (direct as { results: { probability: number; confidence: number; prediction: number; is_fake: boolean }[] }).results[0];
    expect(answer.body).toMatchObject({ backend: 'local', model_id: MODEL, prediction: result.prediction, is_fake: result.is_fake });
    expect(answer.body.probability).toBeCloseTo(result.probability, 12);
    expect(answer.body.confidence).toBeCloseTo(Math.abs(result.probability - 0.5) * 2, 12);
    expect(answer.body.latency_ms).toBeGreaterThan(0);
    expect(answer.body.metadata).toMatchObject({ windows: 1, label: expect.any(String), note: '' });
    const job = await gateway.request('GET', `/v2/text-detector/status/${answer.body.metadata.job_id}`);
    expect(job.body).toMatchObject({ status: 'COMPLETED', backend: 'local' });
  });

  it('reads a long text in windows, and a batch in order', async () => {
    const long = (await post('/predict', { text: LONG_TEXT })).body;
    expect(long.metadata.windows).toBeGreaterThan(1);
    const texts = ['First text.', LONG_TEXT, 'Third, short.'];
    const batch = (await post('/batch-predict', { texts, model_id: 'auto' })).body;
    expect(batch.total).toBe(3);
    const singles = await Promise.all(texts.map(async (text) => (await post('/predict', { text })).body));
    batch.results.forEach((result: { probability: number }, i: number) => expect(result.probability).toBeCloseTo(singles[i].probability, 9));
  });

  it('hands the model to the browser when asked, with what it needs to run it', async () => {
    const answer = (await post('/predict', { text: 'Run me in the browser.', prefer_backend: 'client' })).body;
    expect(answer).toMatchObject({ backend: 'client', prediction: null, probability: null, model_id: MODEL });
    const client = answer.metadata.client;
    expect(client).toMatchObject({
      id2label: { 0: 'Fake', 1: 'Real' },
      machine_label_index: 0,
      max_length: 512,
      overlap: 128,
      wasm_path: '/text-detector/ort/',
    });
    const onnxPath = join(detector.modelsDir, 'tiny', 'onnx-community/roberta-base-openai-detector-ONNX', 'onnx/model.onnx');
    const download = await fetch(gateway.baseUrl + client.model_url);
    expect(download.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(Buffer.from(await download.arrayBuffer()).equals(readFileSync(onnxPath))).toBe(true);
    expect(client.model_bytes).toBe(readFileSync(onnxPath).length);
    const tokenizer = (await (await fetch(gateway.baseUrl + client.tokenizer_url)).json()) as { model: { type: string } };
    expect(tokenizer.model.type).toBe('BPE');
  });

  it('gives the same probability in headless Chromium as on the server, to 1e-4', async () => {
    browser = await launchChromium();
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${gateway.baseUrl}/text-detector/`);
    const texts = ['Is this machine-written?', LONG_TEXT];
    const inBrowser = await page.evaluate<{ backend: string; probability: number; metadata: { windows: number } }[]>(`(async () => {
      const { TextDetectorClient } = await import('/text-detector/assets/detector-client.js');
      const client = new TextDetectorClient({ apiKey: ${JSON.stringify(API_KEY)} });
      const answers = [];
      for (const text of ${JSON.stringify(texts)}) answers.push(await client.predict(text, undefined, 'client'));
      return answers;
    })()`);
    for (const [i, text] of texts.entries()) {
      const server = (await post('/predict', { text, prefer_backend: 'local' })).body;
      expect(inBrowser[i].backend).toBe('client');
      expect(inBrowser[i].metadata.windows).toBe(server.metadata.windows);
      expect(Math.abs(inBrowser[i].probability - server.probability)).toBeLessThan(1e-4);
    }
  }, 120_000);

  it.each([
    ['an empty text', { text: '' }, ['body', 'text'], /at least 1 character/],
    ['an over-long text', { text: 'x'.repeat(10_001) }, ['body', 'text'], /at most 10000 characters/],
    ['a missing text', { model_id: MODEL }, ['body', 'text'], /./],
    ['an unknown field', { text: 'hi', temperature: 1 }, ['body', 'temperature'], /temperature/],
    ['an unknown prefer_backend', { text: 'hi', prefer_backend: 'gpu' }, ['body', 'prefer_backend'], /"gpu" is not a backend/],
    ['a backend the model does not have (modal is remote)', { text: 'hi', prefer_backend: 'modal' }, ['body', 'prefer_backend'], /allowed: local, client/],
  ])('answers %s with the seed’s 422', async (_name, body, loc, message) => {
    const answer = await post('/predict', body);
    expect(answer.status).toBe(422);
    expect(answer.body.detail[0].loc).toEqual(loc);
    expect(answer.body.detail[0].msg).toMatch(message);
  });

  it('answers a batch over 100 texts with 422, and unknown models with 404', async () => {
    const batch = await post('/batch-predict', { texts: Array.from({ length: 101 }, () => 'x') });
    expect(batch.status).toBe(422);
    expect(batch.body.detail[0]).toMatchObject({ loc: ['body', 'texts'], msg: 'must hold at most 100 texts' });
    for (const answer of [await post('/predict', { text: 'hi', model_id: 'nobody/nothing' }), await get('/models/nobody%2Fnothing/info')]) {
      expect(answer.status).toBe(404);
      expect(answer.body.detail).toMatch(/Model "nobody\/nothing"/);
    }
    expect((await get(`/models/${encodedModel}/files/..%2Fconfig.json`)).status).toBe(404);
  });

  it('needs a key to predict', async () => {
    const answer = await gateway.request('POST', '/text-detector/predict', { text: 'hi' }, { authorization: '' });
    expect(answer.status).toBe(401);
  });

  it('counts what it answered, by backend', async () => {
    const stats = (await get('/stats')).body;
    expect(stats.by_backend.local).toBeGreaterThan(0);
    expect(stats.by_backend.client).toBeGreaterThan(0);
    expect(stats.errors).toBeGreaterThan(0);
  });

  it('falls back to the browser when no worker serves the model, and says why', async () => {
    await detector.close();
    await eventually(async () => (await get('/health')).body.backends.local.status === 'unavailable');
    const answer = (await post('/predict', { text: 'Nobody is serving this.' })).body;
    expect(answer).toMatchObject({ backend: 'client', metadata: { note: 'fell back from local: no live workers' } });

    // A job cannot go to the browser: it waits in its queue for workers, and says why.
    const queued = (await gateway.request('POST', '/v2/text-detector/run', { input: { text: 'Waiting for a worker.' } })).body;
    // RunPod's answer, and nothing of the routing decision.
    expect(queued).toEqual({ id: expect.any(String), status: 'IN_QUEUE' });
    const { id } = queued;
    expect((await gateway.request('GET', `/v2/text-detector/status/${id}`)).body).toMatchObject({
      status: 'IN_QUEUE',
      backend: 'local',
      routeNote:
        'queued locally, as no backend can take it now: local: no live workers; client: runs in the browser, so only /text-detector/predict can answer with it',
    });
  });
});
