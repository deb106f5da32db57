import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { generateModels } from '@switchyard/model-zoo';
import { createLogger, type EmbedderOutput } from '@switchyard/shared';
import { startServer, type TestServer } from '../../../libs/outbound/test/support/test-server';
import { loadEmbedderConfig } from '../src/config';
import { EmbeddingService, type EmbeddingFailure } from '../src/embedding-service';

const png = (colour: { r: number; g: number; b: number }) =>
  sharp({ create: { width: 64, height: 48, channels: 3, background: colour } })
    .png()
    .toBuffer();

function norm(vector: readonly number[]): number {
  return Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
}

describe('EmbeddingService', () => {
  let folder: string;
  let server: TestServer;
  let service: EmbeddingService;
  let red: Buffer;
  const signal = new AbortController().signal;
  const embed = (input: Record<string, unknown>) => service.embed(input as never, signal);
  const succeeded = (result: EmbedderOutput | EmbeddingFailure) => {
    if ('error' in result) throw new Error(`expected vectors, got error ${JSON.stringify(result)}`);
    return result;
  };

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'embedder-'));
    await generateModels({ outDir: folder, tiers: ['tiny'], models: ['miniLm', 'clip'] });
    red = await png({ r: 255, g: 0, b: 0 });
    server = await startServer((request, response) => {
      if (request.path === '/red.png') response.writeHead(200, { 'content-type': 'image/png' }).end(red);
      else response.writeHead(404).end();
    });
    const config = loadEmbedderConfig({
      MODEL_DIR: join(folder, 'tiny'),
      MODEL_CACHE_DIR: join(folder, 'cache'),
      HF_HUB_OFFLINE: 'true',
      EMBEDDER_IMAGE_FETCH_ALLOW: '127.0.0.1',
      EMBEDDER_MAX_TEXTS: '8',
      EMBEDDER_BATCH_WAIT_MS: '20',
    });
    service = await EmbeddingService.load(config, createLogger('embedder-test', 'warn'));
  });

  afterAll(async () => {
    await service.close();
    await server.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('answers a text in the seed’s format, with the token count, the model’s limit and whether it was cut', async () => {
    const output = succeeded(await embed({ text: 'red leather shoes' }));
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
    expect(norm(output.vector!)).toBeCloseTo(1, 5);
  });

  it('answers a list with count and average latency, and marks the texts that were cut', async () => {
    const output = succeeded(await embed({ texts: ['blue cotton jacket', 'word '.repeat(300)] }));
    expect(output).toMatchObject({ count: 2, dimensions: 384, type: 'text', truncated: [false, true], avg_latency_per_item_ms: expect.any(Number) });
    expect(output.vectors).toHaveLength(2);
    expect(output.tokens).toBe(5 + 256);
  });

  it('batches the items of concurrent jobs into shared runs, each getting its own vector', async () => {
    const texts = ['red shoes', 'a blue cotton jacket for winter', 'black bag', 'green tree', 'white sky', 'dog'];
    const alone = await Promise.all(texts.map(async (text) => succeeded(await embed({ text })).vector));
    const before = (service.describe().batching as Record<string, { batchesRun: number; itemsRun: number }>)[
      'sentence-transformers/all-MiniLM-L6-v2/onnx/model.onnx'
    ];
    const together = await Promise.all(texts.map(async (text) => succeeded(await embed({ text })).vector));
    const after = (service.describe().batching as Record<string, { batchesRun: number; itemsRun: number }>)[
      'sentence-transformers/all-MiniLM-L6-v2/onnx/model.onnx'
    ];
    expect(after.itemsRun - before.itemsRun).toBe(6);
    expect(after.batchesRun - before.batchesRun).toBe(1);
    together.forEach((vector, index) => vector!.forEach((value, i) => expect(value).toBeCloseTo(alone[index]![i], 5)));
  });

  it('embeds text with CLIP’s text tower when asked for the CLIP model, in the image space of 512 dimensions', async () => {
    const output = succeeded(await embed({ text: 'a photo of a cat', model: 'clip-vit-base-patch32' }));
    expect(output).toMatchObject({ dimensions: 512, model: 'openai/clip-vit-base-patch32', type: 'text', max_tokens: 77 });
    expect(output.vector).toHaveLength(512);
  });

  it('embeds images from a URL and from base64 alike', async () => {
    const fromUrl = succeeded(await embed({ image_url: `${server.origin}/red.png` }));
    const fromBase64 = succeeded(await embed({ images_base64: [red.toString('base64'), `data:image/png;base64,${red.toString('base64')}`] }));
    expect(fromUrl).toMatchObject({ dimensions: 512, model: 'openai/clip-vit-base-patch32', type: 'image' });
    expect(fromBase64.count).toBe(2);
    fromBase64.vectors!.forEach((vector) => vector.forEach((value, i) => expect(value).toBeCloseTo(fromUrl.vector![i], 5)));
  });

  it('truncates to the requested dimensions and normalizes again', async () => {
    const output = succeeded(await embed({ text: 'red shoes', dimensions: 64 }));
    expect(output.dimensions).toBe(64);
    expect(output.vector).toHaveLength(64);
    expect(norm(output.vector!)).toBeCloseTo(1, 5);
  });

  it('fails only the job with a bad image; the jobs batched with it get their vectors', async () => {
    const results = await Promise.all([
      embed({ image_base64: red.toString('base64') }),
      embed({ image_base64: Buffer.from('not an image at all').toString('base64') }),
      embed({ image_urls: [`${server.origin}/red.png`, `${server.origin}/gone.png`] }),
      embed({ image_url: `${server.origin}/red.png` }),
    ]);
    expect(succeeded(results[0]).vector).toHaveLength(512);
    expect(results[1]).toEqual({ error: 'Invalid image: Input buffer contains unsupported image format' });
    expect(results[2]).toEqual({ error: 'image_urls[1]: Failed to download image: 404 Not Found' });
    expect(succeeded(results[3]).vector).toHaveLength(512);
  });

  it('applies its own configured limits, which may be below the contract’s defaults', async () => {
    expect(await embed({ texts: Array.from({ length: 9 }, () => 'x') })).toEqual({ error: "texts: 'texts' has more than the limit of 8 items" });
  });

  it('stops a job whose signal fires before its batch runs', async () => {
    const cancelled = new AbortController();
    const pending = service.embed({ text: 'never embedded' }, cancelled.signal);
    cancelled.abort(new Error('cancelled'));
    await expect(pending).rejects.toThrow('cancelled');
  });

  it('describes what it runs for the worker’s /health', () => {
    expect(service.describe()).toMatchObject({
      executionProvider: 'cpu',
      // MODEL_INFERENCE_THREADS' default on this machine: one per four cores, at least one.
      inferenceThreads: Math.max(1, Math.floor(availableParallelism() / 4)),
      models: [
        {
          graph: 'sentence-transformers/all-MiniLM-L6-v2/onnx/model.onnx',
          executionProvider: 'cpu',
          nodesByProvider: { cpu: expect.any(Number) },
          dimensions: 384,
        },
        { graph: 'openai/clip-vit-base-patch32/onnx/text_model.onnx', executionProvider: 'cpu', dimensions: 512 },
        { graph: 'openai/clip-vit-base-patch32/onnx/vision_model.onnx', executionProvider: 'cpu', dimensions: 512 },
      ],
    });
  });
});
