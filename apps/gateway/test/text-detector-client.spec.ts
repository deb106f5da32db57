import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { generateModels, modelDirectory } from '@switchyard/model-zoo';
import { createLogger } from '@switchyard/shared';
import { aggregateWindows, machineLabelIndex, softmax, specialTokensOf, tokenWindows } from '@switchyard/text-detection';
import { ApiExceptionFilter } from '../src/http/api-exception.filter';
import { CROSS_ORIGIN_ISOLATION_HEADERS, TEXT_DETECTOR_CSP, TextDetectorPage } from '../src/web/text-detector-page';
import { WebModule } from '../src/web/web.module';
import { launchChromium, openWatchedPage } from './support/chromium';

/**
 * The text detector's browser client (web/text-detector/detector-client.ts, built by
 * scripts/build-web.mjs) in headless Chromium. The server is the gateway's WebModule (the page's
 * assets and onnxruntime-web's files) plus, written here, the routes the API will own: the page,
 * a generated tiny detector's files, and a fake `/text-detector/predict` and `/models`.
 */
const MODEL_ID = 'openai-community/roberta-base-openai-detector';
const FILES_URL = `/text-detector/models/${encodeURIComponent(MODEL_ID)}/files`;
const API_KEY = 'sk-test-text-detector';
const PLAN = { maxLength: 32, overlap: 8 };

const TEXTS = {
  short: 'The cat sat on the mat.',
  medium: 'Large language models write fluent paragraphs that are often hard to tell apart from what people write.',
  long: Array.from({ length: 30 }, (_, i) => `Sentence number ${i} talks about rivers, mountains and the weather of day ${i}.`).join(' '),
};

interface BrowserAnswer {
  prediction: number;
  probability: number;
  confidence: number;
  is_fake: boolean;
  backend: string;
  model_id: string;
  latency_ms: number;
  metadata: { label: string; probabilities: Record<string, number>; tokens: number; windows: number; note: string };
}

/** The reference: the same file on onnxruntime-node, the same tokenizer and the shared maths, in float64. */
class NodeReference {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: Tokenizer,
    private readonly machineIndex: number,
  ) {}

  static async load(modelDir: string): Promise<NodeReference> {
    const json = (file: string) => readFile(join(modelDir, file), 'utf8').then(JSON.parse);
    const [session, definition, config, modelConfig] = await Promise.all([
      ort.InferenceSession.create(join(modelDir, 'onnx', 'model.onnx')),
      json('tokenizer.json'),
      json('tokenizer_config.json'),
      json('config.json'),
    ]);
    return new NodeReference(session, new Tokenizer(definition, config), machineLabelIndex(modelConfig.id2label, 'Fake'));
  }

  async predict(text: string): Promise<{ probability: number; tokens: number; windows: number }> {
    const specials = specialTokensOf(this.tokenizer.encode('a').ids, this.tokenizer.encode('a', { add_special_tokens: false }).ids);
    const ids: number[] = this.tokenizer.encode(text, { add_special_tokens: false }).ids;
    const windows = tokenWindows(ids, specials, PLAN);
    const perWindow = [];
    for (const window of windows) {
      const tensor = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);
      const feeds: Record<string, ort.Tensor> = { input_ids: tensor(window.ids), attention_mask: tensor(window.ids.map(() => 1)) };
      if (this.session.inputNames.includes('token_type_ids')) feeds.token_type_ids = tensor(window.ids.map(() => 0));
      const { logits } = await this.session.run(feeds);
      perWindow.push({ probabilities: softmax(Array.from(logits.data as Float32Array)), textTokens: window.textTokens });
    }
    return { probability: aggregateWindows(perWindow)[this.machineIndex], tokens: ids.length, windows: windows.length };
  }
}

describe('the text detector browser client', () => {
  let zooDir: string;
  let modelDir: string;
  let modelSha256: string;
  let modelBytes: number;
  let app: NestFastifyApplication;
  let baseUrl: string;
  let reference: NodeReference;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  /** Requests the test server answered, by path. */
  let served: string[] = [];
  /** What the fake `POST /text-detector/predict` answers next. */
  let predictAnswer: { status: number; body: unknown };
  let predictBodies: unknown[];

  const clientAnswer = (overrides: Record<string, unknown> = {}) => ({
    prediction: null,
    probability: null,
    confidence: null,
    is_fake: null,
    backend: 'client',
    model_id: MODEL_ID,
    latency_ms: 0.4,
    metadata: {
      note: 'fell back from local: no live workers',
      client: {
        model_url: `${FILES_URL}/onnx/model.onnx`,
        tokenizer_url: `${FILES_URL}/tokenizer.json`,
        tokenizer_config_url: `${FILES_URL}/tokenizer_config.json`,
        model_bytes: modelBytes,
        model_sha256: modelSha256,
        id2label: { '0': 'Fake', '1': 'Real' },
        machine_label: 'Fake',
        machine_label_index: 0,
        max_length: PLAN.maxLength,
        overlap: PLAN.overlap,
        threshold: 0.5,
        wasm_path: '/text-detector/ort/',
        ...overrides,
      },
    },
  });

  beforeAll(async () => {
    zooDir = await mkdtemp(join(tmpdir(), 'text-detector-client-'));
    await generateModels({ outDir: zooDir, tiers: ['tiny'], models: ['textDetector'] });
    modelDir = modelDirectory(zooDir, 'tiny', 'textDetector');
    const model = await readFile(join(modelDir, 'onnx', 'model.onnx'));
    modelSha256 = createHash('sha256').update(model).digest('hex');
    modelBytes = model.byteLength;
    reference = await NodeReference.load(modelDir);

    app = await NestFactory.create<NestFastifyApplication>(WebModule, new FastifyAdapter({ forceCloseConnections: true }), { logger: false });
    app.useGlobalFilters(new ApiExceptionFilter(createLogger('text-detector-client-test', 'silent')));
    const fastify = app.getHttpAdapter().getInstance();
    fastify.addHook('onRequest', async (request) => {
      served.push(decodeURIComponent(request.url));
    });
    const textDetectorPage = app.get(TextDetectorPage);
    fastify.get('/text-detector/', (_request, reply) => textDetectorPage.sendPage(reply));
    fastify.get<{ Params: { id: string; '*': string } }>('/text-detector/models/:id/files/*', async (request, reply) => {
      const file = request.params['*'];
      if (request.params.id !== MODEL_ID || !['onnx/model.onnx', 'tokenizer.json', 'tokenizer_config.json'].includes(file))
        return reply.code(404).send({ detail: 'no such file' });
      return reply
        .headers({ ...CROSS_ORIGIN_ISOLATION_HEADERS, 'content-type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream' })
        .send(await readFile(join(modelDir, file)));
    });
    fastify.get('/text-detector/models', async (request, reply) => {
      if (request.headers.authorization !== `Bearer ${API_KEY}`) return reply.code(401).send({ detail: 'Invalid API key' });
      return { configured_models: { [MODEL_ID]: { size: 'tiny' }, 'Hello-SimpleAI/chatgpt-detector-roberta': { size: 'small' } }, default_model: MODEL_ID };
    });
    fastify.post('/text-detector/predict', async (request, reply) => {
      if (request.headers.authorization !== `Bearer ${API_KEY}`) return reply.code(401).send({ detail: 'Invalid API key' });
      predictBodies.push(request.body);
      return reply.code(predictAnswer.status).send(predictAnswer.body);
    });
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();

    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    if (zooDir) await rm(zooDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    served = [];
    predictBodies = [];
    predictAnswer = { status: 200, body: clientAnswer() };
    ({ context, page, problems } = await openWatchedPage(browser));
  });

  afterEach(() => context.close());

  /** Runs the served module's `predictInBrowser` on each text in the page, in turn. */
  function predictInPage(answer: unknown, texts: readonly string[]): Promise<BrowserAnswer[]> {
    return page.evaluate<BrowserAnswer[]>(`(async () => {
      const { predictInBrowser } = await import('/text-detector/assets/detector-client.js');
      const answers = [];
      for (const text of ${JSON.stringify(texts)}) answers.push(await predictInBrowser(${JSON.stringify(answer)}, text));
      return answers;
    })()`);
  }

  it('serves the page cross-origin isolated under its CSP, its files typed, nothing else reachable', async () => {
    const response = await page.goto(`${baseUrl}/text-detector/`);
    expect(response?.status()).toBe(200);
    const headers = response!.headers();
    expect(headers).toMatchObject({
      ...CROSS_ORIGIN_ISOLATION_HEADERS,
      'content-security-policy': TEXT_DETECTOR_CSP,
      'content-type': 'text/html; charset=utf-8',
    });
    expect(await page.evaluate<boolean>('crossOriginIsolated')).toBe(true);
    expect(await page.locator('script:not([src])').count()).toBe(0);
    const assets = await page.evaluate<string[]>(
      "[...document.querySelectorAll('script[src]')].map((node) => node.src).concat([...document.querySelectorAll('link[rel=stylesheet]')].map((node) => node.href))",
    );
    expect(assets).toHaveLength(2);
    for (const url of assets) {
      const asset = await fetch(url);
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(asset.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    }

    const wasm = await fetch(`${baseUrl}/text-detector/ort/ort-wasm-simd-threaded.wasm`);
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    expect(new Uint8Array(await wasm.arrayBuffer()).subarray(0, 4)).toEqual(new Uint8Array([0, 0x61, 0x73, 0x6d]));
    const client = await fetch(`${baseUrl}/text-detector/assets/detector-client.js`);
    expect([client.status, client.headers.get('content-type'), client.headers.get('cache-control')]).toEqual([
      200,
      'text/javascript; charset=utf-8',
      'no-cache',
    ]);
    // A stable name revalidates: the same content is a 304 without a body.
    const again = await fetch(`${baseUrl}/text-detector/assets/detector-client.js`, { headers: { 'if-none-match': client.headers.get('etag')! } });
    expect(again.status).toBe(304);

    for (const path of [
      '/text-detector/assets/index.html',
      '/text-detector/assets/nope.js',
      '/text-detector/assets/..%2F..%2Fpackage.json',
      '/text-detector/ort/ort.min.mjs',
      '/text-detector/ort/..%2Fdetector-client.js',
      '/text-detector/ort/ort-wasm-simd-threaded.jsep.wasm',
    ]) {
      const missing = await fetch(baseUrl + path);
      expect([path, missing.status]).toEqual([path, 404]);
      expect(await missing.json()).toMatchObject({ code: 'not_found' });
    }
    expect(problems).toEqual([]);
  });

  it('gives the probability the server computes, windows included, and fetches the model once', async () => {
    await page.goto(`${baseUrl}/text-detector/`);
    const texts = Object.values(TEXTS);
    const answers = await predictInPage(clientAnswer(), texts);
    for (const [i, text] of texts.entries()) {
      const expected = await reference.predict(text);
      const answer = answers[i];
      expect(Math.abs(answer.probability - expected.probability)).toBeLessThan(1e-4);
      expect(answer).toMatchObject({
        backend: 'client',
        model_id: MODEL_ID,
        prediction: expected.probability >= 0.5 ? 1 : 0,
        is_fake: expected.probability >= 0.5,
        metadata: { tokens: expected.tokens, windows: expected.windows, note: 'fell back from local: no live workers' },
      });
      expect(answer.confidence).toBeCloseTo(Math.abs(answer.probability - 0.5) * 2, 12);
      expect(answer.metadata.probabilities.Fake + answer.metadata.probabilities.Real).toBeCloseTo(1, 10);
      expect(answer.metadata.label).toBe(answer.is_fake ? 'Fake' : 'Real');
      expect(answer.latency_ms).toBeGreaterThan(0);
    }
    expect(answers.map((answer) => answer.metadata.windows)).toEqual([1, expect.any(Number), expect.any(Number)]);
    expect(answers[2].metadata.windows).toBeGreaterThanOrEqual(3);
    // Different texts, different probabilities: the reference comparison is not between constants.
    expect(new Set(answers.map((answer) => answer.probability.toFixed(6))).size).toBe(texts.length);

    await predictInPage(clientAnswer(), [TEXTS.short]);
    const downloads = (file: string) => served.filter((path) => path === `/text-detector/models/${MODEL_ID}/files/${file}`).length;
    expect([downloads('onnx/model.onnx'), downloads('tokenizer.json'), downloads('tokenizer_config.json')]).toEqual([1, 1, 1]);
    // A new page load: the model comes from the Cache API, checked against its SHA-256 (the tokenizer is left to the HTTP cache).
    await page.reload();
    const [afterReload] = await predictInPage(clientAnswer(), [TEXTS.short]);
    expect(afterReload.probability).toBe(answers[0].probability);
    expect(downloads('onnx/model.onnx')).toBe(1);
    // Only the two files the build copied; the glue module is loaded again by each worker thread.
    expect([...new Set(served.filter((path) => path.startsWith('/text-detector/ort/')))].sort()).toEqual([
      '/text-detector/ort/ort-wasm-simd-threaded.mjs',
      '/text-detector/ort/ort-wasm-simd-threaded.wasm',
    ]);
    // Threads: a cross-origin isolated page with more than one core runs ort's wasm on workers.
    if ((await page.evaluate<number>('navigator.hardwareConcurrency')) > 1) expect(page.workers().length).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  }, 60_000);

  it('refuses a model whose SHA-256 is not the announced one', async () => {
    await page.goto(`${baseUrl}/text-detector/`);
    const wrong = '0'.repeat(64);
    await expect(predictInPage(clientAnswer({ model_url: `${FILES_URL}/onnx/model.onnx?copy`, model_sha256: wrong }), [TEXTS.short])).rejects.toThrow(
      `not the ${wrong} announced`,
    );
  });

  it('on the page: lists the models, runs a client answer in the browser and shows a server answer with its note', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(`${baseUrl}/text-detector/`);
    await page.fill('#api-key', API_KEY);
    await page.dispatchEvent('#api-key', 'change');
    await expect(page.locator('#model option').count()).resolves.toBeGreaterThanOrEqual(1);
    await page.locator(`#model option[value="${MODEL_ID}"]`).waitFor({ state: 'attached' });
    expect(await page.locator('#model option').allTextContents()).toEqual([
      "Auto (the gateway's default)",
      `${MODEL_ID} (default)`,
      'Hello-SimpleAI/chatgpt-detector-roberta',
    ]);

    await page.fill('#text', TEXTS.long);
    await page.selectOption('#model', MODEL_ID);
    await page.click('#detect');
    await page.locator('#result').waitFor({ timeout: 30_000 });
    const expected = await reference.predict(TEXTS.long);
    expect(await page.textContent('#probability')).toBe(`${(expected.probability * 100).toFixed(1)}%`);
    expect(await page.textContent('#backend')).toBe('your browser (client)');
    expect(await page.textContent('#note')).toBe('fell back from local: no live workers');
    expect(predictBodies).toEqual([{ text: TEXTS.long, model_id: MODEL_ID }]);
    // A phone screen: nothing scrolls sideways, the controls are touch-sized.
    const widths = await page.evaluate<{ scroll: number; client: number }>(
      '({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })',
    );
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    for (const control of ['#api-key', '#forget-key', '#text', '#model', '#detect']) {
      const box = await page.locator(control).boundingBox();
      expect([control, box!.height >= 44]).toEqual([control, true]);
    }

    predictAnswer = {
      status: 200,
      body: {
        prediction: 1,
        probability: 0.91,
        confidence: 0.82,
        is_fake: true,
        backend: 'remote',
        model_id: MODEL_ID,
        latency_ms: 12.5,
        metadata: {
          label: 'Fake',
          probabilities: { Fake: 0.91, Real: 0.09 },
          tokens: 7,
          windows: 1,
          note: 'fell back from local: estimated wait over 2000 ms',
        },
      },
    };
    await page.selectOption('#model', '');
    await page.click('#detect');
    await page.locator('#backend', { hasText: 'remote' }).waitFor();
    expect(await page.textContent('#verdict')).toBe('Likely machine-written');
    expect(await page.textContent('#probability')).toBe('91.0%');
    expect(await page.textContent('#note')).toBe('fell back from local: estimated wait over 2000 ms');
    expect(predictBodies[1]).toEqual({ text: TEXTS.long });

    predictAnswer = { status: 404, body: { detail: "Model 'nope' is not configured" } };
    await page.click('#detect');
    await page.locator('#error').waitFor();
    expect(await page.textContent('#error')).toBe("Model 'nope' is not configured");
    expect(await page.isEnabled('#detect')).toBe(true);
    // The failed request is the only console error: Chromium logs every 4xx resource.
    expect(problems.filter((problem) => !problem.includes('404'))).toEqual([]);
  }, 60_000);
});
