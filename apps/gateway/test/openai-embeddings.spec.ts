import OpenAI from 'openai';
import sharp from 'sharp';
import { startServer, type TestServer } from '../../../libs/outbound/test/support/test-server';
import { API_KEY, EmbedderWorkerUnderTest, startTestPlatform, type GatewayUnderTest, type TestPlatform } from './support/platform';

function norm(vector: readonly number[]): number {
  return Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
}

describe('OpenAI-compatible embeddings API', () => {
  let platform: TestPlatform;
  let gateway: GatewayUnderTest;
  let worker: EmbedderWorkerUnderTest;
  let images: TestServer;
  let photo: Buffer;
  let client: OpenAI;

  beforeAll(async () => {
    photo = await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 10, g: 120, b: 200 } } })
      .png()
      .toBuffer();
    images = await startServer((request, response) => {
      if (request.path === '/photo.png') response.writeHead(200, { 'content-type': 'image/png' }).end(photo);
      else response.writeHead(404).end();
    });
    platform = await startTestPlatform({ echoWorker: false });
    gateway = platform.gateway;
    worker = await EmbedderWorkerUnderTest.start(platform.stores.prefix, { EMBEDDER_IMAGE_FETCH_ALLOW: '127.0.0.1' });
    client = new OpenAI({ apiKey: API_KEY, baseURL: `${gateway.baseUrl}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await worker?.close();
    await platform?.close();
    await images?.close();
  });

  describe('with the official openai client', () => {
    it('embeds a string (the client asks for base64 and decodes it) exactly as the float encoding answers', async () => {
      const response = await client.embeddings.create({ model: 'sentence-transformers/all-MiniLM-L6-v2', input: 'red leather shoes' });
      expect(response).toMatchObject({
        object: 'list',
        model: 'sentence-transformers/all-MiniLM-L6-v2',
        usage: { prompt_tokens: 5, total_tokens: 5 },
        data: [{ object: 'embedding', index: 0 }],
      });
      const floats = await client.embeddings.create({ model: 'all-MiniLM-L6-v2', input: 'red leather shoes', encoding_format: 'float' });
      expect(response.data[0].embedding).toHaveLength(384);
      expect(response.data[0].embedding).toEqual(floats.data[0].embedding.map((value) => Math.fround(value)));
      expect(norm(response.data[0].embedding)).toBeCloseTo(1, 5);
    });

    it('embeds a list in order, counting the tokens of all texts', async () => {
      const texts = ['blue cotton jacket', 'black leather bag', 'red shoes'];
      const response = await client.embeddings.create({ model: 'all-MiniLM-L6-v2', input: texts });
      expect(response.data.map((item) => item.index)).toEqual([0, 1, 2]);
      const single = await client.embeddings.create({ model: 'all-MiniLM-L6-v2', input: texts[1] });
      response.data[1].embedding.forEach((value, i) => expect(value).toBeCloseTo(single.data[0].embedding[i], 5));
      expect(response.usage.prompt_tokens).toBe(5 + 5 + 4);
    });

    it('keeps the first `dimensions`, normalized again', async () => {
      const response = await client.embeddings.create({ model: 'all-MiniLM-L6-v2', input: 'red shoes', dimensions: 128 });
      expect(response.data[0].embedding).toHaveLength(128);
      expect(norm(response.data[0].embedding)).toBeCloseTo(1, 5);
    });

    it('embeds text with CLIP, and images with CLIP through the `modality` extension', async () => {
      const text = await client.embeddings.create({ model: 'openai/clip-vit-base-patch32', input: 'a photo of a cat' });
      expect(text.data[0].embedding).toHaveLength(512);
      const byUrl = await client.embeddings.create({
        model: 'clip-vit-base-patch32',
        input: [`${images.origin}/photo.png`],
        modality: 'image',
      } as OpenAI.EmbeddingCreateParams);
      const byDataUri = await client.embeddings.create({
        model: 'clip-vit-base-patch32',
        input: `data:image/png;base64,${photo.toString('base64')}`,
        modality: 'image',
      } as OpenAI.EmbeddingCreateParams);
      expect(byUrl.usage.prompt_tokens).toBe(0);
      byUrl.data[0].embedding.forEach((value, i) => expect(value).toBeCloseTo(byDataUri.data[0].embedding[i], 5));
    });

    it('lists the models and finds one by id', async () => {
      const models = [];
      for await (const model of client.models.list()) models.push(model.id);
      expect(models).toEqual(['sentence-transformers/all-MiniLM-L6-v2', 'openai/clip-vit-base-patch32']);
      expect(await client.models.retrieve('sentence-transformers/all-MiniLM-L6-v2')).toMatchObject({
        id: 'sentence-transformers/all-MiniLM-L6-v2',
        object: 'model',
      });
      await expect(client.models.retrieve('gpt-4')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    });

    it('raises the client’s own error classes', async () => {
      await expect(client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
      await expect(client.embeddings.create({ model: 'all-MiniLM-L6-v2', input: [[1, 2, 3]] })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
      const wrongKey = new OpenAI({ apiKey: 'not-the-key', baseURL: `${gateway.baseUrl}/v1`, maxRetries: 0 });
      await expect(wrongKey.embeddings.create({ model: 'all-MiniLM-L6-v2', input: 'x' })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    });
  });

  describe('errors in OpenAI’s shape', () => {
    const post = (body: unknown, headers?: Record<string, string>) => gateway.request('POST', '/v1/embeddings', body, headers);

    it('names the parameter at fault', async () => {
      expect(await post({ model: 'all-MiniLM-L6-v2', input: [] })).toMatchObject({
        status: 400,
        body: { error: { message: 'input must not be an empty array', type: 'invalid_request_error', param: 'input', code: null } },
      });
      expect((await post({ input: 'x' })).body.error).toMatchObject({ param: 'model', type: 'invalid_request_error' });
      expect((await post({ model: 'all-MiniLM-L6-v2', input: 'x', encoding_format: 'int8' })).body.error.param).toBe('encoding_format');
      expect((await post({ model: 'all-MiniLM-L6-v2', input: 'x', dimensions: 1000 })).body.error).toMatchObject({
        param: 'dimensions',
        message: 'dimensions: must be at most 384, the dimensions of sentence-transformers/all-MiniLM-L6-v2',
      });
      expect((await post({ model: 'all-MiniLM-L6-v2', input: ['ok', 'x'.repeat(40_000)] })).body.error).toMatchObject({
        param: 'input',
        message: 'input[1]: is longer than the limit of 32768 characters',
      });
      expect((await post({ model: 'all-MiniLM-L6-v2', input: 'a photo', modality: 'image' })).body.error).toMatchObject({ param: 'input' });
    });

    it('answers a bad image with a 400 carrying the worker’s reason', async () => {
      const response = await post({ model: 'clip-vit-base-patch32', input: `${images.origin}/missing.png`, modality: 'image' });
      expect(response).toMatchObject({
        status: 400,
        body: { error: { message: 'Failed to download image: 404 Not Found', type: 'invalid_request_error', param: 'input' } },
      });
    });

    it('answers a missing key with 401 and an unknown model with 404', async () => {
      expect(await post({ model: 'all-MiniLM-L6-v2', input: 'x' }, { authorization: '' })).toMatchObject({
        status: 401,
        body: { error: { type: 'invalid_request_error', code: 'invalid_api_key', param: null } },
      });
      expect(await post({ model: 'nope', input: 'x' })).toMatchObject({
        status: 404,
        body: { error: { message: 'The model `nope` does not exist', code: 'model_not_found', param: 'model' } },
      });
    });
  });
});
